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

/// Keeps secrets in this process out of core files and out of other processes'
/// reach: `PR_SET_DUMPABLE` 0 (no core dump; no ptrace or `/proc/PID/mem` for
/// processes of the same user) and a core-size limit of 0 (the unit also says
/// `LimitCORE=0`). Best effort: a refusal is logged, never fatal.
pub fn harden_process() {
    use rustix::process::{set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit};
    if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        tracing::warn!(error = %e, "cannot make the process non-dumpable");
    }
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    if let Err(e) = setrlimit(Resource::Core, none) {
        tracing::warn!(error = %e, "cannot set the core-size limit to 0");
    }
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
/// passcodes when the PC does not provision them. Changes are audited, and the
/// running daemon follows them at its next check (no restart). Run it as root or as
/// the daemon's user: files stay the state directory owner's, mode 0600; another
/// user is refused with the reason.
pub fn passcode(config: &Config, action: Passcode) -> anyhow::Result<()> {
    let dir = &config.terminal.state_dir;
    // Another user could not read the store either: say why at once.
    crate::staff::file::ensure_may_write(dir)?;
    let staff = crate::staff::Staff::open_with(
        dir,
        crate::staff::LockoutPolicy::new(
            config.policy.staff_passcode_attempts,
            config.policy.staff_lockout_steps(),
        ),
    )?;
    let usage = |flag: &str, reason: String| UsageError {
        flag: flag.into(),
        reason,
    };
    match action {
        Passcode::Set(account) => {
            crate::staff::account::validate(&account)
                .map_err(|e| usage("ACCOUNT", e.to_string()))?;
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin().read_line(&mut line)?;
            let digits =
                kaonin_hal::secret::Digits::parse(line.trim(), crate::staff::PASSCODE_DIGITS)
                    .map_err(|e| usage("passcode (stdin)", e.to_string()))?;
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
            if let Some(s) = staff.locked_out_for() {
                eprintln!("staff are locked out for another {s} s (too many wrong passcodes)");
            }
        }
    }
    Ok(())
}

/// Runs `kaonin passcode bench`: the time one guess costs here, and all 10,000.
pub fn passcode_bench(rounds: u32) -> anyhow::Result<()> {
    use crate::staff::kdf;
    let one = kdf::time_one_guess(rounds)?;
    let all = one * 10_000;
    println!(
        "argon2id m={} KiB t={} p={}: {:.1} ms per guess ({} rounds); all 10,000 passcodes: {:.0} s ({:.1} min) per account on one core",
        kdf::MEMORY_KIB,
        kdf::PASSES,
        kdf::LANES,
        one.as_secs_f64() * 1000.0,
        rounds.max(1),
        all.as_secs_f64(),
        all.as_secs_f64() / 60.0,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_process_is_made_non_dumpable_without_core_files() {
        super::harden_process();
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
        let core = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!(core.current, Some(0));
    }
}
