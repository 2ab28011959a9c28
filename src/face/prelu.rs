//! PReLU in one pass, for tract.
//!
//! tract-onnx expands ONNX `PRelu(x, slope)` into three whole-tensor operations
//! (`x * slope`, `x > 0`, select), none of which it can fuse into the convolution
//! before it. The development embedder (`fr_feature.onnx`, a MobileFaceNet) has 33 of
//! them: they took more than half of its run time (measured: 29 ms per embedding, and
//! 13 ms with the same network on plain ReLU). This module registers a replacement
//! that walks the tensor once, scaling the negative values of each channel by that
//! channel's slope. The result is the same function (checked against tract's own
//! expansion in the tests below and on the real model in tests/face_models.rs).

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::tract_ndarray::Zip;

/// Registers the one-pass PReLU in an ONNX loader, in place of tract's expansion.
pub fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert("PRelu", build);
}

fn build(
    _ctx: &ParsingContext,
    _node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(PreluExpansion), vec![]))
}

/// The inference-time op: checks like tract's own, wires [`Prelu`].
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct PreluExpansion;

impl Expansion for PreluExpansion {
    fn name(&self) -> StaticName {
        "Prelu".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let x = inputs[0];
        let mut slope = inputs[1];
        let rank = model.outlet_fact(x)?.rank();
        // ONNX broadcasts the slope from the right: give it the input's rank.
        while model.outlet_fact(slope)?.rank() < rank {
            let r = model.outlet_fact(slope)?.rank();
            slope = model.wire_node(format!("{name}.add-axis-{r}"), AxisOp::Add(0), &[slope])?[0];
        }
        model.wire_node(name, Prelu, &[x, slope])
    }
}

/// `x` where `x ≥ 0`, `slope · x` elsewhere; `slope` has the input's rank and
/// broadcasts to it.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct Prelu;

impl Op for Prelu {
    fn name(&self) -> StaticName {
        "KaoninPrelu".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Prelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (x, slope) = args_2!(inputs);
        let mut out = x.into_tensor();
        if out.datum_type() != f32::datum_type() || slope.datum_type() != f32::datum_type() {
            bail!("PReLU on {:?}: only f32 is supported", out.datum_type());
        }
        let shape: TVec<usize> = out.shape().into();
        let slope_ram = slope.try_as_plain_ram()?;
        let slopes = slope_ram.as_slice::<f32>()?;
        let mut view = out.try_as_plain_ram_mut()?;
        let data = view.as_slice_mut::<f32>()?;
        match channel_layout(&shape, slope.shape()) {
            Some((channels, inner)) if inner > 0 => {
                for (i, run) in data.chunks_mut(inner).enumerate() {
                    scale_negatives(run, slopes[i % channels]);
                }
            }
            Some(_) => {}
            None => {
                let view = slope.to_plain_array_view::<f32>()?;
                let Some(slope) = view.broadcast(&*shape) else {
                    bail!(
                        "PReLU slope {:?} does not broadcast to {shape:?}",
                        slope.shape()
                    );
                };
                let mut values = tract_ndarray::ArrayViewMutD::from_shape(&*shape, data)?;
                Zip::from(&mut values).and(&slope).for_each(|v, &s| {
                    if *v < 0.0 {
                        *v *= s
                    }
                });
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

/// For a slope of one value, or one per channel (axis 1, every other axis 1):
/// (number of slopes, length of each channel's contiguous run). `None` otherwise.
fn channel_layout(shape: &[usize], slope: &[usize]) -> Option<(usize, usize)> {
    let count: usize = slope.iter().product();
    if count == 1 {
        return Some((1, shape.iter().product()));
    }
    let per_channel = shape.len() >= 2
        && slope.len() == shape.len()
        && slope[1] == shape[1]
        && slope.iter().enumerate().all(|(i, &d)| i == 1 || d == 1);
    per_channel.then(|| (shape[1], shape[2..].iter().product()))
}

fn scale_negatives(run: &mut [f32], slope: f32) {
    // Branch-free, so the compiler vectorises it.
    for v in run {
        *v = if *v < 0.0 { *v * slope } else { *v };
    }
}

impl TypedOp for Prelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].datum_type.fact(inputs[0].shape.clone())))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: Tensor, slope: Tensor) -> Vec<f32> {
        let out = Prelu
            .eval(
                &EvalContext::out_of_plan(),
                tvec!(x.into_tvalue(), slope.into_tvalue()),
            )
            .unwrap();
        out[0]
            .try_as_plain_ram()
            .unwrap()
            .as_slice::<f32>()
            .unwrap()
            .to_vec()
    }

    fn reference(x: &[f32], slope: impl Fn(usize) -> f32) -> Vec<f32> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| if v < 0.0 { v * slope(i) } else { v })
            .collect()
    }

    fn input(n: usize) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.37).sin() * 3.0).collect()
    }

    #[test]
    fn per_channel_slopes() {
        let x = input(2 * 3 * 4 * 5);
        let slopes = [0.1f32, -0.5, 2.0];
        let got = run(
            Tensor::from_shape(&[2, 3, 4, 5], &x).unwrap(),
            Tensor::from_shape(&[1, 3, 1, 1], &slopes).unwrap(),
        );
        assert_eq!(got, reference(&x, |i| slopes[(i / 20) % 3]));
    }

    #[test]
    fn one_slope_for_all() {
        let x = input(3 * 4 * 4);
        let got = run(
            Tensor::from_shape(&[1, 3, 4, 4], &x).unwrap(),
            Tensor::from_shape(&[1, 1, 1, 1], &[0.25f32]).unwrap(),
        );
        assert_eq!(got, reference(&x, |_| 0.25));
    }

    #[test]
    fn other_broadcasts_take_the_general_path() {
        // One slope per column: not the channel layout.
        let x = input(2 * 3 * 4);
        let slopes = [1.0f32, 2.0, 3.0, 4.0];
        let got = run(
            Tensor::from_shape(&[2, 3, 4], &x).unwrap(),
            Tensor::from_shape(&[1, 1, 4], &slopes).unwrap(),
        );
        assert_eq!(got, reference(&x, |i| slopes[i % 4]));
    }

    #[test]
    fn a_slope_that_does_not_broadcast_is_an_error() {
        let e = Prelu
            .eval(
                &EvalContext::out_of_plan(),
                tvec!(
                    Tensor::from_shape(&[1, 3, 2], &[0.0f32; 6])
                        .unwrap()
                        .into_tvalue(),
                    Tensor::from_shape(&[1, 2, 1], &[1.0f32; 2])
                        .unwrap()
                        .into_tvalue()
                ),
            )
            .unwrap_err();
        assert!(e.to_string().contains("broadcast"), "{e}");
    }

    /// An ONNX graph `y = PRelu(x, slope)` with a constant slope of shape [3, 1, 1].
    fn prelu_model(slopes: &[f32; 3], shape: [i64; 4]) -> tract_onnx::pb::ModelProto {
        use tract_onnx::pb::tensor_shape_proto::{dimension::Value, Dimension};
        use tract_onnx::pb::*;
        let value = |name: &str| ValueInfoProto {
            name: name.into(),
            r#type: Some(TypeProto {
                value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                    elem_type: 1,
                    shape: Some(TensorShapeProto {
                        dim: shape
                            .iter()
                            .map(|&d| Dimension {
                                value: Some(Value::DimValue(d)),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        ModelProto {
            ir_version: 7,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            graph: Some(GraphProto {
                name: "prelu".into(),
                node: vec![NodeProto {
                    input: vec!["x".into(), "slope".into()],
                    output: vec!["y".into()],
                    name: "prelu".into(),
                    op_type: "PRelu".into(),
                    ..Default::default()
                }],
                initializer: vec![TensorProto {
                    dims: vec![3, 1, 1],
                    data_type: 1,
                    float_data: slopes.to_vec(),
                    name: "slope".into(),
                    ..Default::default()
                }],
                input: vec![value("x")],
                output: vec![value("y")],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_model_gives_what_tracts_own_expansion_gives() {
        let slopes = [0.2f32, -1.5, 3.0];
        let proto = prelu_model(&slopes, [1, 3, 5, 7]);
        let x = input(3 * 5 * 7);
        // (values, whether the optimised graph runs this module's op)
        let values = |onnx: tract_onnx::Onnx| {
            let model = onnx
                .model_for_proto_model(&proto)
                .unwrap()
                .into_optimized()
                .unwrap();
            let used = model.nodes().iter().any(|n| n.op.name() == "KaoninPrelu");
            let plan = model.into_runnable().unwrap();
            let tensor = Tensor::from_shape(&[1, 3, 5, 7], &x).unwrap();
            let out = plan.run(tvec!(tensor.into_tvalue())).unwrap();
            let view = out[0].to_plain_array_view::<f32>().unwrap();
            (view.iter().copied().collect::<Vec<_>>(), used)
        };
        let mut ours = tract_onnx::onnx();
        register(&mut ours);
        let (ours, used) = values(ours);
        assert!(used, "the registered PReLU is in the optimised graph");
        let (theirs, used) = values(tract_onnx::onnx());
        assert!(!used);
        assert_eq!(ours, theirs);
        assert_eq!(ours, reference(&x, |i| slopes[i / 35]));
    }
}
