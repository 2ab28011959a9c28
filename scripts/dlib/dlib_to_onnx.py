#!/usr/bin/env python3
"""Convert dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat)
to ONNX, reading dlib's own serialisation directly (dlib is not imported).

The network is the one of dlib's examples/dnn_face_recognition_ex.cpp (anet_type):

    loss_metric<fc_no_bias<128,avg_pool_everything<
        alevel0<alevel1<alevel2<alevel3<alevel4<
        max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,input_rgb_image_sized<150>>>>>>>>>>>>

with residual blocks of two 3x3 con + affine (the trained file stores the batch norms
as affine layers), residual_down blocks whose skip path is avg_pool<2,2,2,2>, and
add_prev with dlib's zero-padding rule when the two operands differ in size.

Output graph (opset 13):
    input  "input"      float32 [1,3,150,150]  RGB, 0..255 (a dlib 150x150 face chip)
    output "descriptor" float32 [1,128]        the raw descriptor (not normalised)
dlib's input normalisation, (pixel - avg)/256, is part of the graph (Sub, Mul).

Usage:
    python3 dlib_to_onnx.py MODEL.dat OUT.onnx [--check]

--check also runs a pure-numpy forward pass written from dlib's source against the
ONNX model (through onnxruntime) on random inputs. That is a self-consistency check,
not the check against dlib itself: see check_dlib_onnx.py for that.
"""

import argparse
import hashlib
import struct
import sys
import time

import numpy as np

# --------------------------------------------------------------------------------------
# dlib's serialisation primitives (dlib/serialize.h, dlib/float_details.h,
# dlib/cuda/tensor.h)
# --------------------------------------------------------------------------------------


class DlibFormatError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def fail(self, msg):
        raise DlibFormatError(f"at byte {self.pos}: {msg}")

    def byte(self):
        if self.pos >= len(self.data):
            self.fail("unexpected end of file")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def raw(self, n):
        if self.pos + n > len(self.data):
            self.fail("unexpected end of file")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    # ser_helper::unpack_int for signed types: control byte = size | 0x80 if negative,
    # then `size` little-endian magnitude bytes.
    def signed(self, max_bytes=8):
        ctrl = self.byte()
        neg = bool(ctrl & 0x80)
        size = ctrl & 0x0F
        if size == 0 or size > max_bytes:
            self.fail(f"bad signed integer control byte 0x{ctrl:02x}")
        v = int.from_bytes(self.raw(size), "little")
        return -v if neg else v

    # ser_helper::unpack_int for unsigned types: size &= 0x8F, must be 1..sizeof(T).
    def unsigned(self, max_bytes=8):
        ctrl = self.byte()
        size = ctrl & 0x8F
        if size == 0 or size > max_bytes:
            self.fail(f"bad unsigned integer control byte 0x{ctrl:02x}")
        return int.from_bytes(self.raw(size), "little")

    def int32(self):
        return self.signed(4)

    def int64(self):
        return self.signed(8)

    def uint32(self):
        return self.unsigned(4)

    def uint64(self):
        return self.unsigned(8)

    def boolean(self):
        ch = self.byte()
        if ch == ord("1"):
            return True
        if ch == ord("0"):
            return False
        self.fail(f"bad bool byte 0x{ch:02x}")

    def string(self):
        n = self.uint64()
        return self.raw(n).decode("latin-1")

    # float_details: int64 mantissa, int16 exponent; value = mantissa * 2**exponent,
    # exponent 32000/32001/32002 = +inf/-inf/nan. The older ASCII format (a first byte
    # with any of the 0x70 bits set) does not occur in this model and is refused.
    def _float_details(self):
        if self.pos < len(self.data) and (self.data[self.pos] & 0x70) != 0:
            self.fail("old ASCII floating point format is not supported")
        mantissa = self.int64()
        exponent = self.signed(2)
        return mantissa, exponent

    def float64(self):
        m, e = self._float_details()
        if e == 32000:
            return float("inf")
        if e == 32001:
            return float("-inf")
        if e == 32002:
            return float("nan")
        return float(np.ldexp(np.float64(m), e))

    def float32(self):
        # convert_to_T<float>: std::ldexp((float)mantissa, exponent). A float written by
        # dlib has at most 24 significant mantissa bits, so (float)mantissa is exact and
        # the one rounding is that of ldexp, the same as rounding the exact double.
        m, e = self._float_details()
        if e == 32000:
            return np.float32(np.inf)
        if e == 32001:
            return np.float32(-np.inf)
        if e == 32002:
            return np.float32(np.nan)
        if abs(m) >= (1 << 53):
            self.fail("float mantissa too wide")
        return np.float32(np.ldexp(np.float64(m), e))

    # resizable_tensor: int version (2), long long num_samples, k, nr, nc, then the
    # values as 4-byte little-endian IEEE floats.
    def tensor(self):
        version = self.int32()
        if version != 2:
            self.fail(f"unexpected resizable_tensor version {version}")
        n, k, nr, nc = (self.int64() for _ in range(4))
        count = n * k * nr * nc
        arr = np.frombuffer(self.raw(4 * count), dtype="<f4").astype(np.float32)
        return arr.reshape(n, k, nr, nc)

    # alias_tensor: int version (1), long long num_samples, k, nr, nc (no data).
    def alias_tensor(self):
        version = self.int32()
        if version != 1:
            self.fail(f"unexpected alias_tensor version {version}")
        return tuple(self.int64() for _ in range(4))


# --------------------------------------------------------------------------------------
# The network template (examples/dnn_face_recognition_ex.cpp), outermost layer first
# --------------------------------------------------------------------------------------
# ('con', num_filters, nr, nc, stride_y, stride_x)  padding = nr/2 if stride == 1 else 0
# ('affine',) ('relu',) ('max_pool', nr, nc, sy, sx) ('avg_pool', nr, nc, sy, sx)
# ('add_prev', tag) ('tag', id) ('skip', id) ('fc', num_outputs)


def _block(n, stride):
    # block<N,BN,stride,SUBNET> = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>
    return [("affine",), ("con", n, 3, 3, 1, 1), ("relu",), ("affine",),
            ("con", n, 3, 3, stride, stride)]


def _ares(n):
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [("relu",), ("add_prev", 1)] + _block(n, 1) + [("tag", 1)]


def _ares_down(n):
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>>
    return ([("relu",), ("add_prev", 2), ("avg_pool", 2, 2, 2, 2), ("skip", 1), ("tag", 2)]
            + _block(n, 2) + [("tag", 1)])


def network_template():
    layers = [("fc", 128), ("avg_pool", 0, 0, 1, 1)]               # fc_no_bias, avg_pool_everything
    layers += _ares_down(256)                                        # alevel0
    layers += _ares(256) + _ares(256) + _ares_down(256)              # alevel1
    layers += _ares(128) + _ares(128) + _ares_down(128)              # alevel2
    layers += _ares(64) + _ares(64) + _ares(64) + _ares_down(64)     # alevel3
    layers += _ares(32) + _ares(32) + _ares(32)                      # alevel4
    layers += [("max_pool", 3, 3, 2, 2), ("relu",), ("affine",), ("con", 32, 7, 7, 2, 2)]
    return layers  # the last con sits on input_rgb_image_sized<150>


# --------------------------------------------------------------------------------------
# Parsing the layer details (dlib/dnn/layers.h, input.h, loss.h)
# --------------------------------------------------------------------------------------


def _expect(r, what, got, want):
    if got != want:
        r.fail(f"{what}: found {got!r}, the network template needs {want!r}")


def parse_con(r, spec):
    _, num_filters, nr, nc, sy, sx = spec
    version = r.string()
    if version not in ("con_4", "con_5", "con_6"):
        r.fail(f"expected a con_ layer, found {version!r}")
    params = r.tensor()
    got_filters = r.int64()
    got_nr, got_nc = r.int64(), r.int64()
    got_sy, got_sx = r.int32(), r.int32()
    pad_y, pad_x = r.int32(), r.int32()
    filters = r.alias_tensor()
    biases = r.alias_tensor()
    for _ in range(4):  # learning rate / weight decay multipliers (double)
        r.float64()
    use_bias = True
    if version in ("con_5", "con_6"):
        use_bias = r.boolean()
    if version == "con_6":
        if r.boolean():  # use_relu: a fused relu; not in this model
            r.fail("con_ with a fused relu is not supported")
    _expect(r, "con num_filters", got_filters, num_filters)
    _expect(r, "con nr,nc", (got_nr, got_nc), (nr, nc))
    _expect(r, "con strides", (got_sy, got_sx), (sy, sx))
    # The template's default padding (layers.h): stride != 1 ? 0 : nr/2.
    _expect(r, "con padding", (pad_y, pad_x), (0 if sy != 1 else nr // 2, 0 if sx != 1 else nc // 2))
    _expect(r, "con filters alias", filters[0], num_filters)
    flat = params.reshape(-1)
    nw = int(np.prod(filters))
    w = flat[:nw].reshape(filters)
    if use_bias:
        b = flat[nw:nw + int(np.prod(biases))].reshape(-1)
        _expect(r, "con bias count", b.size, num_filters)
        _expect(r, "con params size", flat.size, nw + num_filters)
    else:
        b = None
        _expect(r, "con params size", flat.size, nw)
    return {"op": "con", "w": w, "b": b, "stride": (sy, sx), "pad": (pad_y, pad_x)}


def parse_affine(r):
    version = r.string()
    if version not in ("affine_", "affine_2"):
        # (dlib can also read bn_con2/bn_fc2 here; this model has affine_ layers.)
        r.fail(f"expected an affine_ layer, found {version!r}")
    params = r.tensor().reshape(-1)
    gamma = r.alias_tensor()
    beta = r.alias_tensor()
    mode = r.int32()
    disabled = r.boolean() if version == "affine_2" else False
    if mode != 0:  # 0 = CONV_MODE: one gamma/beta per channel
        r.fail(f"affine_ mode {mode} is not CONV_MODE")
    ng = int(np.prod(gamma))
    g = params[:ng].reshape(-1)
    b = params[ng:ng + int(np.prod(beta))].reshape(-1)
    _expect(r, "affine params size", params.size, g.size + b.size)
    return {"op": "affine", "gamma": g, "beta": b, "disabled": disabled}


def parse_relu(r):
    version = r.string()
    if version == "relu_":
        return {"op": "relu", "disabled": False}
    if version == "relu_2":
        return {"op": "relu", "disabled": r.boolean()}
    r.fail(f"expected a relu_ layer, found {version!r}")


def parse_pool(r, spec):
    kind, nr, nc, sy, sx = spec
    version = r.string()
    _expect(r, "pool version", version, kind + "_2")
    got = (r.int64(), r.int64(), r.int32(), r.int32())
    pad_y, pad_x = r.int32(), r.int32()
    _expect(r, f"{kind} nr,nc,strides", got, (nr, nc, sy, sx))
    _expect(r, f"{kind} padding", (pad_y, pad_x),
            (0 if sy != 1 else nr // 2, 0 if sx != 1 else nc // 2))
    return {"op": kind, "size": (nr, nc), "stride": (sy, sx), "pad": (pad_y, pad_x)}


def parse_add_prev(r, tag):
    _expect(r, "add_prev version", r.string(), "add_prev_")
    return {"op": "add_prev", "tag": tag}


def parse_fc(r, spec):
    version = r.string()
    if version not in ("fc_2", "fc_3"):
        r.fail(f"expected an fc_ layer, found {version!r}")
    num_outputs = r.uint64()
    num_inputs = r.uint64()
    params = r.tensor().reshape(-1)
    weights = r.alias_tensor()
    r.alias_tensor()  # biases
    bias_mode = r.int32()
    for _ in range(4):
        r.float64()
    if version == "fc_3":
        r.boolean()  # use_bias (meaningless without FC_HAS_BIAS)
    _expect(r, "fc num_outputs", num_outputs, spec[1])
    _expect(r, "fc bias mode (1 = FC_NO_BIAS)", bias_mode, 1)
    _expect(r, "fc weights alias", weights[:2], (num_inputs, num_outputs))
    _expect(r, "fc params size", params.size, num_inputs * num_outputs)
    # weights alias_tensor(num_inputs, num_outputs): output = input(1 x in) @ W(in x out)
    return {"op": "fc", "w": params.reshape(num_inputs, num_outputs)}


def parse_input(r):
    _expect(r, "input layer", r.string(), "input_rgb_image_sized")
    avg = np.array([r.float32(), r.float32(), r.float32()], dtype=np.float32)
    nr, nc = r.uint64(), r.uint64()
    _expect(r, "input size", (nr, nc), (150, 150))
    return {"op": "input", "avg": avg, "size": (nr, nc)}


def parse_loss(r):
    version = r.string()
    if version == "loss_metric_":
        return {"margin": 0.1, "dist_thresh": 0.75}
    _expect(r, "loss layer", version, "loss_metric_2")
    return {"margin": float(r.float32()), "dist_thresh": float(r.float32())}


def parse_details(r, spec):
    kind = spec[0]
    if kind == "con":
        return parse_con(r, spec)
    if kind == "affine":
        return parse_affine(r)
    if kind == "relu":
        return parse_relu(r)
    if kind in ("max_pool", "avg_pool"):
        return parse_pool(r, spec)
    if kind == "add_prev":
        return parse_add_prev(r, spec[1])
    if kind == "fc":
        return parse_fc(r, spec)
    raise AssertionError(kind)


def _add_layer_trailer(r, version, on_input):
    # add_layer (core.h): this_layer_setup_called, gradient_input_is_stale,
    # get_output_and_gradient_input_disabled, x_grad, cached_output, then params_grad
    # (version 2); for the add_layer sitting on the input layer: grad_final, then
    # _sample_expansion_factor (version 3).
    for _ in range(3):
        r.boolean()
    r.tensor()  # x_grad
    r.tensor()  # cached_output
    if on_input:
        r.tensor()  # grad_final
        if version >= 3:
            r.uint32()  # _sample_expansion_factor
    elif version >= 2:
        r.tensor()  # params_grad


def parse_model(data):
    """Parse the .dat file. Returns (input, layers innermost first, loss)."""
    r = Reader(data)
    template = network_template()
    # add_loss_layer: int version 1, the loss details, then the subnetwork.
    _expect(r, "add_loss_layer version", r.int32(), 1)
    loss = parse_loss(r)
    # Each add_layer writes its version, then its subnetwork, then its details and
    # trailer; tag and skip layers write a version (1) and their subnetwork. So the
    # file holds every layer's version outermost first, then the details innermost
    # first. Tag ids are not stored: they come from the template.
    versions = []
    for i, spec in enumerate(template):
        v = r.int32()
        if spec[0] in ("tag", "skip"):
            _expect(r, f"{spec[0]} layer version", v, 1)
        elif i == len(template) - 1:
            if v not in (2, 3):
                r.fail(f"unexpected input add_layer version {v}")
        elif v not in (1, 2):
            r.fail(f"unexpected add_layer version {v}")
        versions.append(v)
    inp = parse_input(r)
    layers = []
    for i in range(len(template) - 1, -1, -1):  # innermost first
        spec = template[i]
        if spec[0] in ("tag", "skip"):
            layers.append({"op": spec[0], "id": spec[1]})
            continue
        details = parse_details(r, spec)
        _add_layer_trailer(r, versions[i], on_input=(i == len(template) - 1))
        layers.append(details)
    if r.pos != len(data):
        r.fail(f"{len(data) - r.pos} bytes left after the network")
    return inp, layers, loss


# --------------------------------------------------------------------------------------
# Shapes, following dlib's size rules (cpu_dlib.cpp: conv, pooling, add)
# --------------------------------------------------------------------------------------


def out_shapes(inp, layers):
    shape = (3,) + tuple(inp["size"])
    tags = {}
    shapes = []
    for L in layers:
        op = L["op"]
        if op == "con":
            kh, kw = L["w"].shape[2:]
            (sy, sx), (py, px) = L["stride"], L["pad"]
            if L["w"].shape[1] != shape[0]:
                raise DlibFormatError(f"con expects {L['w'].shape[1]} channels, gets {shape[0]}")
            shape = (L["w"].shape[0], 1 + (shape[1] + 2 * py - kh) // sy,
                     1 + (shape[2] + 2 * px - kw) // sx)
        elif op in ("max_pool", "avg_pool"):
            kh, kw = L["size"]
            if kh == 0:
                shape = (shape[0], 1, 1)
            else:
                (sy, sx), (py, px) = L["stride"], L["pad"]
                shape = (shape[0], 1 + (shape[1] + 2 * py - kh) // sy,
                         1 + (shape[2] + 2 * px - kw) // sx)
        elif op == "tag":
            tags[L["id"]] = shape
        elif op == "skip":
            shape = tags[L["id"]]
        elif op == "add_prev":
            other = tags[L["tag"]]
            shape = tuple(max(a, b) for a, b in zip(shape, other))
        elif op == "fc":
            shape = (L["w"].shape[1],)
        shapes.append(shape)
    return shapes


# --------------------------------------------------------------------------------------
# A pure-numpy forward pass written from dlib's CPU code (for --check)
# --------------------------------------------------------------------------------------


def _conv_np(x, w, b, stride, pad):
    c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sy, sx), (py, px) = stride, pad
    xp = np.zeros((c, h + 2 * py, wd + 2 * px), dtype=np.float32)
    xp[:, py:py + h, px:px + wd] = x
    oh, ow = 1 + (h + 2 * py - kh) // sy, 1 + (wd + 2 * px - kw) // sx
    cols = np.empty((c, kh, kw, oh, ow), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i:i + sy * (oh - 1) + 1:sy, j:j + sx * (ow - 1) + 1:sx]
    out = w.reshape(o, -1) @ cols.reshape(-1, oh * ow)  # img2col + gemm, as dlib's CPU conv
    if b is not None:
        out += b[:, None]
    return out.reshape(o, oh, ow)


def _pool_np(x, size, stride, op):
    c, h, w = x.shape
    kh, kw = size
    if kh == 0:
        return x.reshape(c, -1).mean(axis=1, dtype=np.float32).reshape(c, 1, 1)
    sy, sx = stride
    oh, ow = 1 + (h - kh) // sy, 1 + (w - kw) // sx
    win = np.stack([x[:, i:i + sy * (oh - 1) + 1:sy, j:j + sx * (ow - 1) + 1:sx]
                    for i in range(kh) for j in range(kw)])
    return win.max(axis=0) if op == "max_pool" else win.mean(axis=0, dtype=np.float32)


def _add_padded(a, b):
    # tt::add(dest, src1, src2) with dest sized to the max of each dimension: values
    # outside a source are taken as 0.
    shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape))
    out = np.zeros(shape, dtype=np.float32)
    out[:a.shape[0], :a.shape[1], :a.shape[2]] += a
    out[:b.shape[0], :b.shape[1], :b.shape[2]] += b
    return out


def forward_numpy(inp, layers, rgb_chw_uint8):
    x = (rgb_chw_uint8.astype(np.float32) - inp["avg"][:, None, None]) * np.float32(1 / 256)
    tags = {}
    for L in layers:
        op = L["op"]
        if op == "con":
            x = _conv_np(x, L["w"], L["b"], L["stride"], L["pad"])
        elif op == "affine":
            if not L["disabled"]:
                x = x * L["gamma"][:, None, None] + L["beta"][:, None, None]
        elif op == "relu":
            if not L["disabled"]:
                x = np.maximum(x, 0)
        elif op in ("max_pool", "avg_pool"):
            x = _pool_np(x, L["size"], L["stride"], op)
        elif op == "tag":
            tags[L["id"]] = x
        elif op == "skip":
            x = tags[L["id"]]
        elif op == "add_prev":
            x = _add_padded(x, tags[L["tag"]])
        elif op == "fc":
            x = x.reshape(1, -1) @ L["w"]
    return x.reshape(-1)


# --------------------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------------------


def build_onnx(inp, layers, loss, source_sha256):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = {"n": 0}

    def fresh(prefix):
        counter["n"] += 1
        return f"{prefix}_{counter['n']}"

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, inputs, prefix, **attrs):
        out = fresh(prefix)
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    shapes = out_shapes(inp, layers)
    h, w = inp["size"]
    avg = inp["avg"].astype(np.float32).reshape(1, 3, 1, 1)
    x = node("Sub", ["input", const("input_avg_rgb", avg)], "sub_avg")
    # dlib: (pixel - avg)/256.0; dividing by 256 and multiplying by 2^-8 are the same
    # exact scaling in float32.
    x = node("Mul", [x, const("input_scale", np.array(1 / 256, dtype=np.float32))], "scale")
    shape = (3, h, w)
    tags = {}
    n_con = n_aff = 0
    for L, new_shape in zip(layers, shapes):
        op = L["op"]
        if op == "con":
            n_con += 1
            py, px = L["pad"]
            ins = [x, const(f"con{n_con}_w", L["w"].astype(np.float32))]
            if L["b"] is not None:
                ins.append(const(f"con{n_con}_b", L["b"].astype(np.float32)))
            x = node("Conv", ins, f"conv{n_con}",
                     kernel_shape=list(L["w"].shape[2:]), strides=list(L["stride"]),
                     pads=[py, px, py, px], dilations=[1, 1], group=1)
        elif op == "affine":
            n_aff += 1
            if not L["disabled"]:
                c = L["gamma"].size
                g = const(f"affine{n_aff}_gamma", L["gamma"].astype(np.float32).reshape(1, c, 1, 1))
                b = const(f"affine{n_aff}_beta", L["beta"].astype(np.float32).reshape(1, c, 1, 1))
                x = node("Mul", [x, g], f"affine{n_aff}_mul")
                x = node("Add", [x, b], f"affine{n_aff}_add")
        elif op == "relu":
            if not L["disabled"]:
                x = node("Relu", [x], "relu")
        elif op == "max_pool":
            x = node("MaxPool", [x], "maxpool", kernel_shape=list(L["size"]),
                     strides=list(L["stride"]), pads=[L["pad"][0], L["pad"][1]] * 2)
        elif op == "avg_pool":
            if L["size"][0] == 0:
                x = node("GlobalAveragePool", [x], "global_avgpool")
            else:
                if L["pad"] != (0, 0):
                    raise DlibFormatError("padded avg_pool is not supported")
                x = node("AveragePool", [x], "avgpool", kernel_shape=list(L["size"]),
                         strides=list(L["stride"]))
        elif op == "tag":
            tags[L["id"]] = (x, shape)
        elif op == "skip":
            x = tags[L["id"]][0]
        elif op == "add_prev":
            other, other_shape = tags[L["tag"]]
            operands = []
            for name, s in ((x, shape), (other, other_shape)):
                if tuple(s) != tuple(new_shape):
                    # dlib adds tensors of different sizes as if each were zero-padded
                    # at the end of every dimension (channels, rows, columns).
                    pads = np.array([0, 0, 0, 0, 0] + [new_shape[i] - s[i] for i in range(3)],
                                    dtype=np.int64)
                    name = node("Pad", [name, const(fresh("pads"), pads)], "zero_pad", mode="constant")
                operands.append(name)
            x = node("Add", operands, "add_prev")
        elif op == "fc":
            x = node("Flatten", [x], "flatten", axis=1)
            x = node("MatMul", [x, const("fc_w", L["w"].astype(np.float32))], "fc")
        shape = new_shape
    # The last node (the fc MatMul) writes the graph output directly.
    nodes[-1].output[0] = "descriptor"

    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, h, w])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, shapes[-1][0]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="kaonin scripts/dlib/dlib_to_onnx.py",
                              producer_version="1")
    model.ir_version = 7  # the IR of opset 13 (ONNX 1.8): old readers accept it
    model.doc_string = (
        "dlib_face_recognition_resnet_model_v1 (dlib, CC0 1.0) converted from dlib's "
        f"serialisation (sha256 {source_sha256}). Input: a 150x150 dlib face chip, RGB, "
        "float 0..255, NCHW. Output: the raw 128-d descriptor; dlib compares descriptors "
        f"by Euclidean distance, threshold 0.6 (loss_metric margin {loss['margin']:.4g}, "
        f"dist_thresh {loss['dist_thresh']:.4g}).")
    onnx.checker.check_model(model, full_check=True)
    return model


def self_check(inp, layers, onnx_bytes, n=4, seed=0):
    import onnxruntime as ort
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for i in range(n):
        img = rng.integers(0, 256, size=(3, 150, 150), dtype=np.uint8)
        ref = forward_numpy(inp, layers, img)
        got = sess.run(None, {"input": img[None].astype(np.float32)})[0].reshape(-1)
        d = float(np.abs(ref - got).max())
        worst = max(worst, d)
        print(f"  numpy re-implementation vs onnxruntime, random image {i}: "
              f"max |diff| = {d:.3g}, |descriptor| = {np.linalg.norm(ref):.4f}")
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="dlib_face_recognition_resnet_model_v1.dat")
    ap.add_argument("output", help="where to write the .onnx")
    ap.add_argument("--check", action="store_true",
                    help="compare with a numpy forward pass from dlib's source (not dlib itself)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    with open(args.model, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    try:
        inp, layers, loss = parse_model(data)
    except DlibFormatError as e:
        print(f"{args.model}: not dlib's face-recognition ResNet v1: {e}", file=sys.stderr)
        return 2
    model = build_onnx(inp, layers, loss, sha)
    out = model.SerializeToString()
    with open(args.output, "wb") as f:
        f.write(out)
    dt = time.perf_counter() - t0

    counts = {}
    for L in layers:
        counts[L["op"]] = counts.get(L["op"], 0) + 1
    nparams = sum(L["w"].size + (0 if L.get("b") is None else L["b"].size) for L in layers
                  if L["op"] in ("con", "fc"))
    nparams += sum(L["gamma"].size * 2 for L in layers if L["op"] == "affine")
    print(f"read {args.model} ({len(data)} bytes, sha256 {sha})")
    print(f"  input_rgb_image_sized<150>: avg_red/green/blue = "
          f"{float(inp['avg'][0])!r}, {float(inp['avg'][1])!r}, {float(inp['avg'][2])!r}")
    print(f"  layers: {dict(sorted(counts.items()))}, {nparams} parameters")
    print(f"  loss_metric: margin {loss['margin']:.6g}, dist_thresh {loss['dist_thresh']:.6g}")
    print(f"wrote {args.output} ({len(out)} bytes, sha256 {hashlib.sha256(out).hexdigest()}) "
          f"in {dt:.2f} s")
    if args.check:
        worst = self_check(inp, layers, out)
        print(f"  worst: {worst:.3g} (self-consistency only; check_dlib_onnx.py compares with dlib)")
        if worst > 1e-5:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
