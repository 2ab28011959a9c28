//! The `kaonin` command line (CONTRACT §1): the daemon, the demo, the virtual card,
//! the reference PC receiver, screen rendering, evaluation tools and config checking.
//!
//! Exit codes: 0 success; 2 usage or configuration error (one line naming the
//! problem); 1 any other failure. Logs go to stderr; stdout carries only data.

use anyhow::Context;
use clap::{Parser, Subcommand};
use kaonin::config::{Config, DEFAULT_PATH};
use std::path::PathBuf;
use std::process::ExitCode;

// The simulators and evaluation tools are cargo features (`sim`, `tools`) that the
// desktop build has and the packaged board build leaves out. Without them their
// commands still parse (any arguments) and answer with exit 2 and one line.
#[cfg(feature = "sim")]
use kaonin::sim::pc_cli::PcArgs;
#[cfg(not(feature = "sim"))]
type PcArgs = LeftOut;
#[cfg(feature = "tools")]
use kaonin::tools::{face_eval::FaceEvalArgs, ocr_eval::OcrEvalCmd};
#[cfg(not(feature = "tools"))]
type FaceEvalArgs = LeftOut;
#[cfg(not(feature = "tools"))]
type OcrEvalCmd = LeftOut;

/// The arguments of a command this build leaves out (accepted, then refused).
#[derive(clap::Args)]
#[allow(dead_code)]
struct LeftOut {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Parser)]
#[command(
    name = "kaonin",
    version,
    about = "Daemon for face-authentication My Number card readers"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the daemon.
    Run {
        /// Config file.
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
    },
    /// Run whole simulated receptions on mock hardware and print what happens.
    Demo {
        /// Where the screen PNGs go.
        #[arg(long, default_value = "kaonin-demo")]
        out: PathBuf,
    },
    /// A virtual My Number card attached to vpcd; reads insert/remove/quit on stdin.
    Vcard {
        /// Card profile (TOML).
        #[arg(long)]
        profile: PathBuf,
        /// vpcd address.
        #[arg(long, default_value = "127.0.0.1:35963")]
        vpcd: String,
        /// Write the public key (PEM) of the CA that signs this profile's 券面AP
        /// certificate to FILE, for `[card] kenmen_trust`, and exit.
        #[arg(long, value_name = "FILE")]
        write_kenmen_trust: Option<PathBuf>,
    },
    /// The reference eligibility-PC receiver.
    Pc(PcArgs),
    /// Make this terminal's (or, with --pc, the PC's) TLS key pair; print its fingerprint.
    Pair {
        #[command(flatten)]
        args: kaonin::link::cli::PairArgs,
        /// Config whose terminal.state_dir receives the key pair.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Draw screens to PNG.
    Render {
        /// Screen id (see CONTRACT §3).
        #[arg(long, required_unless_present = "all")]
        screen: Option<String>,
        /// Every screen × language × resolution, plus a contact sheet.
        #[arg(long)]
        all: bool,
        /// Language.
        #[arg(long)]
        lang: Option<String>,
        /// Output PNG file (or directory with --all).
        #[arg(long)]
        out: PathBuf,
    },
    /// Manage the staff passcodes of visual-check mode on this terminal.
    Passcode {
        #[command(subcommand)]
        action: PasscodeAction,
        /// Config whose terminal.state_dir holds the passcodes (before or after the
        /// action: `kaonin passcode set ACCOUNT --config FILE`).
        #[arg(long, global = true, default_value = DEFAULT_PATH)]
        config: PathBuf,
    },
    /// Print the operations figures (receptions, consents, locks, errors).
    Stats {
        /// Config whose terminal.state_dir holds the figures.
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
        /// Prometheus text format instead of a table.
        #[arg(long)]
        prometheus: bool,
    },
    /// Evaluate the face matcher on a pairs file (LFW pairs.txt or CSV), or make a
    /// chip-style photo from a face image.
    FaceEval(Box<FaceEvalArgs>),
    /// Evaluate card-face reading (照合番号B by OCR) on a directory of images with
    /// a truth file, or generate a synthetic set (docs/ocr.md).
    OcrEval(OcrEvalCmd),
    /// Validate a config file.
    CheckConfig {
        /// Config file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum PasscodeAction {
    /// Set ACCOUNT's passcode; the four digits are read from stdin (never argv).
    Set { account: String },
    /// Remove ACCOUNT's passcode.
    Revoke { account: String },
    /// List the accounts that have a passcode.
    List,
    /// Measure the time one passcode guess costs on this machine (Argon2id at the
    /// store's cost) and the time to try all 10,000 (docs/security.md).
    Bench {
        /// Hashes to time.
        #[arg(long, default_value_t = 10)]
        rounds: u32,
    },
}

fn main() -> ExitCode {
    init_logs();
    // Before anything holds a PIN, a passcode or a photo.
    kaonin::cli::harden_process();
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(config) = e.downcast_ref::<kaonin::config::ConfigError>() {
                eprintln!("kaonin: {config}");
                return ExitCode::from(2);
            }
            if let Some(usage) = e.downcast_ref::<kaonin::cli::UsageError>() {
                eprintln!("kaonin: {usage}");
                return ExitCode::from(2);
            }
            eprintln!("kaonin: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KAONIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if kaonin::logs::to_journal() {
        // Under systemd: priorities the journal understands, its own timestamps.
        logs.with_ansi(false)
            .event_format(kaonin::logs::JournalFormat)
            .init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

fn dispatch(command: Cmd) -> anyhow::Result<()> {
    match command {
        Cmd::Run { config } => {
            let config = Config::load(&config)?;
            runtime()?.block_on(kaonin::cli::run_daemon(config))
        }
        Cmd::Demo { out } => demo(&out),
        Cmd::Vcard {
            profile,
            vpcd,
            write_kenmen_trust,
        } => vcard(&profile, &vpcd, write_kenmen_trust.as_deref()),
        Cmd::Pc(args) => pc(args),
        Cmd::Pair { args, config } => kaonin::cli::run_pair(&args, config.as_deref()),
        Cmd::Render {
            screen,
            all,
            lang,
            out,
        } => render(screen.as_deref(), all, lang.as_deref(), &out),
        Cmd::Passcode {
            action: PasscodeAction::Bench { rounds },
            ..
        } => kaonin::cli::passcode_bench(rounds),
        Cmd::Passcode { action, config } => {
            let config = Config::load(&config)?;
            kaonin::cli::passcode(&config, action.into())
        }
        Cmd::Stats { config, prometheus } => {
            let config = Config::load(&config)?;
            let stats = kaonin::stats::Stats::open_read_only(&config.terminal.state_dir)?;
            if prometheus {
                print!("{}", stats.render_prometheus());
            } else {
                print!("{}", stats.render_table());
            }
            Ok(())
        }
        Cmd::FaceEval(args) => face_eval(&args),
        Cmd::OcrEval(cmd) => ocr_eval(&cmd),
        Cmd::CheckConfig { file } => {
            Config::load(&file)?;
            println!("{}: ok", file.display());
            Ok(())
        }
    }
}

/// The answer of a command this build leaves out.
#[allow(dead_code)]
fn left_out(command: &str, feature: &str) -> anyhow::Result<()> {
    Err(kaonin::cli::UsageError {
        flag: command.into(),
        reason: format!("this build leaves out the {feature} (cargo feature `{feature}`)"),
    }
    .into())
}

#[cfg(feature = "sim")]
fn demo(out: &std::path::Path) -> anyhow::Result<()> {
    runtime()?.block_on(kaonin::sim::demo::run(out))
}

#[cfg(feature = "sim")]
fn vcard(
    profile: &std::path::Path,
    vpcd: &str,
    write_trust: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(out) = write_trust {
        let loaded = kaonin::sim::vcard::Profile::load(profile)
            .with_context(|| format!("virtual card {}", profile.display()))?;
        let pem = kaonin::sim::vcard::ca_public_pem(&loaded)
            .with_context(|| format!("virtual card {}", profile.display()))?;
        std::fs::write(out, pem).with_context(|| format!("writing {}", out.display()))?;
        return Ok(());
    }
    let stdin = std::io::stdin().lock();
    kaonin::sim::vcard::run_vcard(profile, vpcd, stdin)
        .with_context(|| format!("virtual card {}", profile.display()))
}

#[cfg(feature = "sim")]
fn pc(args: PcArgs) -> anyhow::Result<()> {
    runtime()?.block_on(kaonin::cli::run_pc(args))
}

#[cfg(not(feature = "sim"))]
fn demo(_: &std::path::Path) -> anyhow::Result<()> {
    left_out("demo", "sim")
}

#[cfg(not(feature = "sim"))]
fn vcard(_: &std::path::Path, _: &str, _: Option<&std::path::Path>) -> anyhow::Result<()> {
    left_out("vcard", "sim")
}

#[cfg(not(feature = "sim"))]
fn pc(_: PcArgs) -> anyhow::Result<()> {
    left_out("pc", "sim")
}

#[cfg(feature = "tools")]
fn render(
    screen: Option<&str>,
    all: bool,
    lang: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    Ok(kaonin::tools::render::render_cli(screen, all, lang, out)?)
}

#[cfg(feature = "tools")]
fn face_eval(args: &FaceEvalArgs) -> anyhow::Result<()> {
    print!("{}", kaonin::tools::face_eval::face_eval_cli(args)?);
    Ok(())
}

#[cfg(feature = "tools")]
fn ocr_eval(cmd: &OcrEvalCmd) -> anyhow::Result<()> {
    use kaonin::tools::ocr_eval::EvalError;
    match kaonin::tools::ocr_eval::ocr_eval_command(cmd) {
        Ok(outcome) => {
            println!("{outcome}");
            Ok(())
        }
        Err(e @ (EvalError::Usage(_) | EvalError::BadToday)) => Err(kaonin::cli::UsageError {
            flag: "ocr-eval".into(),
            reason: e.to_string(),
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "tools"))]
fn render(_: Option<&str>, _: bool, _: Option<&str>, _: &std::path::Path) -> anyhow::Result<()> {
    left_out("render", "tools")
}

#[cfg(not(feature = "tools"))]
fn face_eval(_: &FaceEvalArgs) -> anyhow::Result<()> {
    left_out("face-eval", "tools")
}

#[cfg(not(feature = "tools"))]
fn ocr_eval(_: &OcrEvalCmd) -> anyhow::Result<()> {
    left_out("ocr-eval", "tools")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

impl From<PasscodeAction> for kaonin::cli::Passcode {
    fn from(action: PasscodeAction) -> Self {
        match action {
            PasscodeAction::Set { account } => kaonin::cli::Passcode::Set(account),
            PasscodeAction::Revoke { account } => kaonin::cli::Passcode::Revoke(account),
            PasscodeAction::List | PasscodeAction::Bench { .. } => kaonin::cli::Passcode::List,
        }
    }
}
