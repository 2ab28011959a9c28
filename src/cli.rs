//! The parts of the command line that are more than parsing: starting the daemon
//! with signal handling, and turning `kaonin pc` flags into receiver options.

use crate::config::Config;
use crate::flow::AckResult;
use kaonin_hal::secret::Digits;

/// A command-line value that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {reason}")]
pub struct UsageError {
    /// The flag at fault.
    pub flag: String,
    /// Why.
    pub reason: String,
}

/// `kaonin pc` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PcArgs {
    /// Where to listen: `unix:PATH` or `tcp://HOST:PORT`.
    #[arg(long)]
    pub listen: String,
    /// Provision a staff passcode on every terminal that connects (ACCOUNT=DDDD).
    #[arg(long = "passcode", value_name = "ACCOUNT=DDDD")]
    pub passcodes: Vec<String>,
    /// How to answer identities: eligible, not_eligible, not_found or error.
    #[arg(long, default_value = "eligible")]
    pub result: String,
}

/// Parses `ACCOUNT=DDDD`.
pub fn parse_passcode(text: &str) -> Result<(String, Digits), UsageError> {
    let usage = |reason: &str| UsageError {
        flag: "--passcode".into(),
        reason: format!("{reason} (expected ACCOUNT=DDDD, got \"{}\")", redact(text)),
    };
    let (account, code) = text.split_once('=').ok_or_else(|| usage("missing '='"))?;
    if account.is_empty() || !account.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(usage("the account must be letters, digits, '-', '_' or '.'"));
    }
    let code = Digits::parse(code, 4).map_err(|e| usage(&e.to_string()))?;
    Ok((account.to_owned(), code))
}

/// The passcode flag with its digits hidden, for error messages.
fn redact(text: &str) -> String {
    match text.split_once('=') {
        Some((account, code)) => format!("{account}={}", "*".repeat(code.len())),
        None => text.to_owned(),
    }
}

/// Parses an ack result name.
pub fn parse_result(text: &str) -> Result<AckResult, UsageError> {
    serde_json::from_value(serde_json::Value::String(text.into())).map_err(|_| UsageError {
        flag: "--result".into(),
        reason: format!("\"{text}\" is not one of eligible, not_eligible, not_found, error"),
    })
}

/// Runs the daemon on the devices of `config` until SIGTERM or SIGINT.
pub async fn run_daemon(config: Config) -> anyhow::Result<()> {
    let (devices, sim) = crate::daemon::build_devices(&config)?;
    crate::daemon::run(&config, devices, sim, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("stopping: session wiped, outbox kept");
}

/// Runs `kaonin pc`.
pub async fn run_pc(args: PcArgs) -> anyhow::Result<()> {
    let passcodes = args
        .passcodes
        .iter()
        .map(|p| parse_passcode(p))
        .collect::<Result<Vec<_>, _>>()?;
    let result = parse_result(&args.result)?;
    let mut options = crate::link::PcOptions::new(&args.listen);
    options.passcodes = passcodes;
    options.result = result;
    crate::link::run_pc(options).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passcode_flags() {
        let (account, code) = parse_passcode("staff-01=1234").unwrap();
        assert_eq!(account, "staff-01");
        assert_eq!(code.expose(), b"1234");
        for bad in ["staff", "=1234", "staff=12a4", "staff=12345", "st aff=1234"] {
            let e = parse_passcode(bad).unwrap_err().to_string();
            assert!(e.starts_with("--passcode:"), "{e}");
            assert!(!e.contains("1234") || bad == "st aff=1234" && !e.contains("=1234"), "{e}");
        }
    }

    #[test]
    fn result_flags() {
        assert_eq!(parse_result("not_found").unwrap(), AckResult::NotFound);
        assert!(parse_result("maybe").is_err());
    }
}
