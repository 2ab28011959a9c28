//! The parts of the command line that are more than parsing: starting the daemon
//! with signal handling, and turning `kaonin pc` flags into receiver options.

use crate::config::Config;

/// A command-line value that cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {reason}")]
pub struct UsageError {
    /// The flag at fault.
    pub flag: String,
    /// Why.
    pub reason: String,
}

/// Runs the daemon on the devices of `config` until SIGTERM or SIGINT.
pub async fn run_daemon(config: Config) -> anyhow::Result<()> {
    crate::daemon::abort_on_stray_panics();
    #[allow(unused_mut)]
    let (devices, mut sim) = crate::devices::build_devices(&config.devices())?;
    #[cfg(feature = "sim")]
    crate::sim::cards::attach(&mut sim);
    crate::daemon::run(&config, devices, sim, shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
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

/// Runs `kaonin pc`; bad flags are usage errors.
#[cfg(feature = "sim")]
pub async fn run_pc(args: crate::sim::pc_cli::PcArgs) -> anyhow::Result<()> {
    let options = args.into_options().map_err(|e| UsageError {
        flag: "pc".into(),
        reason: e.to_string(),
    })?;
    crate::sim::pc::run_pc(options).await?;
    Ok(())
}

/// Runs `kaonin pair`: prints this side's certificate fingerprint.
pub fn run_pair(
    args: &crate::link::cli::PairArgs,
    config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let config = match config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let fingerprint = crate::link::cli::run_pair(args, &config.terminal.state_dir)?;
    println!("{fingerprint}");
    Ok(())
}

/// What `kaonin passcode` does.
pub enum Passcode {
    /// Set an account's passcode (digits from stdin).
    Set(String),
    /// Remove an account's passcode.
    Revoke(String),
    /// List the accounts.
    List,
}

/// Runs `kaonin passcode`: the facility's local way to manage visual-check
/// passcodes when the PC does not provision them. Changes are audited.
pub fn passcode(config: &Config, action: Passcode) -> anyhow::Result<()> {
    let staff = crate::staff::Staff::open(
        &config.terminal.state_dir,
        config.policy.staff_passcode_attempts,
        std::time::Duration::from_secs(config.policy.staff_lockout_s),
    )?;
    match action {
        Passcode::Set(account) => {
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line)?;
            let digits =
                kaonin_hal::secret::Digits::parse(line.trim(), crate::staff::PASSCODE_DIGITS)
                    .map_err(|e| UsageError {
                        flag: "passcode (stdin)".into(),
                        reason: e.to_string(),
                    })?;
            staff.set_passcode(&account, &digits)?;
            println!("{account}: passcode set");
        }
        Passcode::Revoke(account) => {
            if staff.revoke(&account)? {
                println!("{account}: passcode revoked");
            } else {
                println!("{account}: had no passcode");
            }
        }
        Passcode::List => {
            for account in staff.accounts() {
                println!("{account}");
            }
        }
    }
    Ok(())
}
