//! Running an ONNX network on the CPU: a thin wrapper over `tract-onnx` that loads a
//! model for one fixed input shape and returns plain `f32` outputs.
//!
//! Model files come from the configuration; a missing or unloadable file becomes a
//! [`FaceError`] naming the file and the fix. Input tensors hold face pixels: they
//! are built here and dropped right after the run (tract's internal activations are
//! freed but not wiped; see docs/face.md).

use super::{check_model, FaceError};
use std::path::Path;
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

/// A loaded network with a fixed NCHW input shape.
pub struct Net {
    plan: Arc<TypedRunnableModel>,
    input_shape: [usize; 4],
}

impl core::fmt::Debug for Net {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Net(input {:?})", self.input_shape)
    }
}

impl Net {
    /// Loads and optimises the model at `path` for inputs of `input_shape` (NCHW).
    pub fn load(path: &Path, input_shape: [usize; 4]) -> Result<Net, FaceError> {
        check_model(path)?;
        let invalid = |e: TractError| FaceError::ModelInvalid {
            path: path.to_owned(),
            reason: format!("{e:#}").chars().take(300).collect(),
        };
        let plan = tract_onnx::onnx()
            .model_for_path(path)
            .and_then(|m| m.with_input_fact(0, f32::fact(input_shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(invalid)?;
        Ok(Net { plan, input_shape })
    }

    /// Runs the network on `input` (NCHW, `input_shape` elements).
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Output>, FaceError> {
        let err = |e: TractError| FaceError::Inference(format!("{e:#}"));
        let tensor = Tensor::from_shape(&self.input_shape, &input).map_err(err)?;
        drop(zeroize::Zeroizing::new(input));
        let outputs = self.plan.run(tvec!(tensor.into_tvalue())).map_err(err)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_names_the_fix() {
        let e = Net::load(Path::new("/nonexistent/x.onnx"), [1, 3, 8, 8]).unwrap_err();
        assert!(e.to_string().contains("scripts/fetch-models.sh"), "{e}");
    }

    #[test]
    fn corrupt_file_is_model_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.onnx");
        std::fs::write(&path, b"this is not onnx").unwrap();
        let e = Net::load(&path, [1, 3, 8, 8]).unwrap_err();
        assert!(matches!(e, FaceError::ModelInvalid { .. }), "{e}");
        assert!(e.to_string().contains("broken.onnx"), "{e}");
    }
}
