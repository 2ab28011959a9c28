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
    },
    /// The reference eligibility-PC receiver.
    Pc(kaonin::link::cli::PcArgs),
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
        /// Config whose terminal.state_dir holds the passcodes.
        #[arg(long, default_value = DEFAULT_PATH)]
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
    FaceEval(kaonin::face::FaceEvalArgs),
    /// Evaluate card-face reading (照合番号B by OCR) on a directory of images with
    /// a truth file, or generate a synthetic set (docs/ocr.md).
    OcrEval(kaonin::cardface::eval::OcrEvalCmd),
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
}

fn main() -> ExitCode {
    init_logs();
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
        Cmd::Demo { out } => runtime()?.block_on(kaonin::demo::run(&out)),
        Cmd::Vcard { profile, vpcd } => {
            let stdin = std::io::stdin().lock();
            kaonin::card::sim::run_vcard(&profile, &vpcd, stdin)
                .with_context(|| format!("virtual card {}", profile.display()))
        }
        Cmd::Pc(args) => runtime()?.block_on(kaonin::cli::run_pc(args)),
        Cmd::Pair { args, config } => kaonin::cli::run_pair(&args, config.as_deref()),
        Cmd::Render {
            screen,
            all,
            lang,
            out,
        } => Ok(kaonin::ui::render_cli(
            screen.as_deref(),
            all,
            lang.as_deref(),
            &out,
        )?),
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
        Cmd::FaceEval(args) => {
            print!("{}", kaonin::face::face_eval_cli(&args)?);
            Ok(())
        }
        Cmd::OcrEval(cmd) => {
            use kaonin::cardface::eval::EvalError;
            match kaonin::cardface::eval::ocr_eval_command(&cmd) {
                Ok(outcome) => {
                    println!("{outcome}");
                    Ok(())
                }
                Err(e @ (EvalError::Usage(_) | EvalError::BadToday)) => {
                    Err(kaonin::cli::UsageError {
                        flag: "ocr-eval".into(),
                        reason: e.to_string(),
                    }
                    .into())
                }
                Err(e) => Err(e.into()),
            }
        }
        Cmd::CheckConfig { file } => {
            Config::load(&file)?;
            println!("{}: ok", file.display());
            Ok(())
        }
    }
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
            PasscodeAction::List => kaonin::cli::Passcode::List,
        }
    }
}
