//! Command-line arguments of `kaonin pair`: make this side's TLS key pair and print
//! its fingerprint for pinning (the reference receiver's `kaonin pc` arguments are a
//! simulator's: `crate::sim::pc_cli`).

use super::tls::{self, Role};
use super::LinkError;
use std::path::{Path, PathBuf};

/// `kaonin pair`: make this side's key and certificate, print the fingerprint.
#[derive(Debug, Clone, clap::Args)]
pub struct PairArgs {
    /// Make the PC's key pair (for `kaonin pc`) instead of the terminal's.
    #[arg(long)]
    pub pc: bool,
    /// Where the key pair goes (default: the config's terminal.state_dir).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
}

/// Runs `kaonin pair`: returns the fingerprint to print. The directory is
/// `--state-dir`, else `state_dir` (the config's `terminal.state_dir`).
pub fn run_pair(args: &PairArgs, state_dir: &Path) -> Result<String, LinkError> {
    let dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| state_dir.to_path_buf());
    let role = if args.pc { Role::Pc } else { Role::Terminal };
    tls::pair(&dir, role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_uses_the_state_dir_or_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let args = PairArgs {
            pc: true,
            state_dir: Some(dir.path().into()),
        };
        let fp = run_pair(&args, Path::new("/nonexistent/state")).unwrap();
        assert!(dir.path().join("link-pc.cert.der").exists());
        let args = PairArgs {
            pc: false,
            state_dir: None,
        };
        assert_ne!(run_pair(&args, &dir.path().join("t")).unwrap(), fp);
        assert!(dir.path().join("t/link-terminal.key.der").exists());
    }
}
