//! Command-line arguments of `kaonin pc`, the reference eligibility-PC receiver,
//! ready to flatten into the CLI.

use super::pc::{PcError, PcOptions};
use crate::flow::AckResult;
use crate::link::tls;
use kaonin_hal::secret::Digits;
use std::path::PathBuf;

/// The ack result the reference receiver answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ResultArg {
    Eligible,
    #[value(alias = "not-eligible")]
    NotEligible,
    #[value(alias = "not-found")]
    NotFound,
    Error,
    /// Extension: the card is not registered for health-insurance use (the
    /// terminal offers 利用登録).
    #[value(alias = "not-registered")]
    NotRegistered,
}

impl From<ResultArg> for AckResult {
    fn from(r: ResultArg) -> AckResult {
        match r {
            ResultArg::Eligible => AckResult::Eligible,
            ResultArg::NotEligible => AckResult::NotEligible,
            ResultArg::NotFound => AckResult::NotFound,
            ResultArg::Error => AckResult::Error,
            ResultArg::NotRegistered => AckResult::NotRegistered,
        }
    }
}

/// `kaonin pc`: the reference eligibility-PC receiver.
#[derive(Debug, Clone, clap::Args)]
pub struct PcArgs {
    /// Where to listen: unix:PATH or tcp://HOST:PORT (TLS).
    #[arg(long)]
    pub listen: String,
    /// Provision a staff passcode on every connect (repeatable).
    #[arg(long = "passcode", value_name = "ACCOUNT=DDDD")]
    pub passcodes: Vec<String>,
    /// How identities are answered.
    #[arg(long, value_enum, default_value = "eligible")]
    pub result: ResultArg,
    /// TLS: this PC's certificate (DER).
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// TLS: this PC's private key (PKCS#8 DER).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// TLS: directory holding the key pair made by `kaonin pair --pc`.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// TLS: SHA-256 fingerprint of a terminal's certificate (repeatable).
    #[arg(long = "terminal-fingerprint", value_name = "HEX")]
    pub terminal_fingerprints: Vec<String>,
    /// Accept plain TCP (loopback only; for tests).
    #[arg(long)]
    pub allow_plain_tcp: bool,
    /// File of processed identity ids, so dedup survives restarts.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Ask each terminal for its operations figures after its hello (extension
    /// `stats_request`); the `stats` answer is printed as a JSON line.
    #[arg(long)]
    pub ask_stats: bool,
    /// A terminal's public key for `terminal_signature` (repeatable): 130 hex
    /// digits, the terminal's `identity-signing.pub`, or its TLS certificate (DER).
    /// Given: every identity is checked, and one that fails is acked `error`.
    #[arg(long = "terminal-key", value_name = "HEX|FILE")]
    pub terminal_keys: Vec<String>,
    /// Send every line read on stdin, as it is, to every connected terminal (an
    /// operator's console, e.g. `{"type":"arm_visual","account":"staff-01"}`).
    #[arg(long)]
    pub stdin_console: bool,
}

impl PcArgs {
    /// The receiver options (stdout output).
    pub fn into_options(self) -> Result<PcOptions, PcError> {
        let mut options = PcOptions::new(&self.listen);
        options.passcodes = self
            .passcodes
            .iter()
            .map(|p| parse_passcode(p))
            .collect::<Result<_, _>>()?;
        options.result = self.result.into();
        options.cert = self.cert;
        options.key = self.key;
        options.state_dir = self.state_dir;
        options.terminal_fingerprints = self.terminal_fingerprints;
        options.allow_plain_tcp = self.allow_plain_tcp;
        options.ledger = self.ledger;
        options.ask_stats = self.ask_stats;
        options.stdin_console = self.stdin_console;
        options.terminal_keys = self
            .terminal_keys
            .iter()
            .map(|k| {
                crate::link::signature::parse_public_key(k)
                    .map_err(|e| PcError::Options(format!("--terminal-key: {e}")))
            })
            .collect::<Result<_, _>>()?;
        check_listen(&options)?;
        Ok(options)
    }
}

/// Refuses flag combinations that cannot work, before anything is bound.
fn check_listen(options: &PcOptions) -> Result<(), PcError> {
    use crate::link::transport::Endpoint;
    let endpoint =
        Endpoint::parse(&options.listen).map_err(|e| PcError::Options(format!("--listen: {e}")))?;
    for fp in &options.terminal_fingerprints {
        tls::parse_fingerprint(fp)
            .map_err(|e| PcError::Options(format!("--terminal-fingerprint {fp}: {e}")))?;
    }
    if let Endpoint::Tcp { .. } = endpoint {
        if options.allow_plain_tcp && !endpoint.is_loopback() {
            return Err(PcError::Options(
                "--allow-plain-tcp: only for a loopback address".into(),
            ));
        }
        let tls = !options.allow_plain_tcp;
        if tls && options.terminal_fingerprints.is_empty() {
            return Err(PcError::Options(
                "tcp:// needs TLS: give --terminal-fingerprint for each terminal".into(),
            ));
        }
        if tls && options.state_dir.is_none() && (options.cert.is_none() || options.key.is_none()) {
            return Err(PcError::Options(
                "tcp:// needs TLS: give --cert and --key, or --state-dir".into(),
            ));
        }
    }
    Ok(())
}

/// Parses `ACCOUNT=DDDD`.
pub fn parse_passcode(text: &str) -> Result<(String, Digits), PcError> {
    let (account, digits) = text
        .split_once('=')
        .ok_or_else(|| PcError::Options("--passcode wants ACCOUNT=DDDD".into()))?;
    let digits = Digits::parse(digits, crate::staff::PASSCODE_DIGITS)
        .map_err(|e| PcError::Options(format!("--passcode {account}=…: {e}")))?;
    if account.is_empty() {
        return Err(PcError::Options("--passcode: empty account".into()));
    }
    Ok((account.to_owned(), digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        pc: PcArgs,
    }

    #[test]
    fn pc_args_parse_into_options() {
        let cli = Cli::parse_from([
            "pc",
            "--listen",
            "unix:/tmp/x.sock",
            "--passcode",
            "staff-01=1234",
            "--passcode",
            "staff-02=5678",
            "--result",
            "not_found",
        ]);
        let o = cli.pc.into_options().unwrap();
        assert_eq!(o.passcodes.len(), 2);
        assert_eq!(o.passcodes[1].0, "staff-02");
        assert_eq!(o.result, AckResult::NotFound);
        for spelling in ["not_registered", "not-registered"] {
            let cli = Cli::parse_from(["pc", "--listen", "unix:/x", "--result", spelling]);
            let o = cli.pc.into_options().unwrap();
            assert_eq!(o.result, AckResult::NotRegistered, "{spelling}");
        }
    }

    #[test]
    fn impossible_listen_flags_are_usage_errors() {
        let parse = |args: &[&str]| {
            let mut all = vec!["pc"];
            all.extend_from_slice(args);
            Cli::parse_from(all).pc.into_options()
        };
        assert!(parse(&["--listen", "http://x"]).is_err());
        assert!(parse(&["--listen", "tcp://127.0.0.1:7600"]).is_err());
        assert!(parse(&["--listen", "tcp://192.0.2.1:7600", "--allow-plain-tcp"]).is_err());
        let fp = "ab".repeat(32);
        assert!(parse(&[
            "--listen",
            "tcp://127.0.0.1:7600",
            "--terminal-fingerprint",
            &fp
        ])
        .is_err());
        assert!(parse(&[
            "--listen",
            "tcp://127.0.0.1:7600",
            "--terminal-fingerprint",
            "xyz",
            "--state-dir",
            "/tmp"
        ])
        .is_err());
        assert!(parse(&[
            "--listen",
            "tcp://127.0.0.1:7600",
            "--terminal-fingerprint",
            &fp,
            "--state-dir",
            "/tmp"
        ])
        .is_ok());
        assert!(parse(&["--listen", "tcp://127.0.0.1:7600", "--allow-plain-tcp"]).is_ok());
        assert!(parse(&["--listen", "unix:/tmp/x.sock"]).is_ok());
    }

    #[test]
    fn bad_passcodes_are_refused() {
        assert!(parse_passcode("staff-01").is_err());
        assert!(parse_passcode("staff-01=12").is_err());
        assert!(parse_passcode("=1234").is_err());
    }
}
