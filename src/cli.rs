//! Command line: arguments → config → one of the commands. Thin on purpose;
//! every command's work lives in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use dlp_milter::config::Config;
use dlp_milter::report;
use dlp_milter::scan::Engine;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dlp-milter",
    version,
    about = "Outbound-email data-loss-prevention milter for Postfix"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan .eml files (or folders of them) and print what the policy finds and would do.
    Scan(ScanArgs),
    /// Run the milter daemon.
    Serve(dlp_milter::milter::ServeArgs),
    /// Rules: validate the config and its rules without starting.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Validate a config file and its rules; exit 2 with file:line: reason when invalid.
    Check {
        #[arg(long)]
        config: Option<PathBuf>,
        /// A rules folder to check instead of the one the config names.
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct ScanArgs {
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Messages (.eml) or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Exit status 2: bad arguments or an invalid config/rules file.
pub const EXIT_CONFIG: u8 = 2;

/// Loads the config named on the command line, or the built-in defaults.
pub fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::default()),
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Serve(args) => serve(args),
        Command::Rules {
            command: RulesCommand::Check { config, rules },
        } => {
            let mut cfg = match load_config(config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e:#}");
                    return Ok(ExitCode::from(EXIT_CONFIG));
                }
            };
            if rules.is_some() {
                cfg.rules.dir = rules;
            }
            match Engine::from_config(&cfg) {
                Ok(engine) => {
                    let p = &engine.policy;
                    println!(
                        "ok: {} rules ({} enabled), mode {:?}, from {}",
                        p.rules.len(),
                        p.rules.iter().filter(|r| r.enabled).count(),
                        p.mode,
                        cfg.rules
                            .dir
                            .as_ref()
                            .map(|d| d.display().to_string())
                            .unwrap_or_else(|| "the shipped rules".into())
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(EXIT_CONFIG))
                }
            }
        }
    }
}

/// `serve`: config → logging → a tokio runtime → the daemon. A config
/// error exits 2 like `rules check`, before anything is bound.
fn serve(args: dlp_milter::milter::ServeArgs) -> Result<ExitCode> {
    let config = match dlp_milter::milter::server::load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    init_daemon_logging(&config.log);
    let threads = config.milter.scan_threads();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.milter.io_threads)
        .enable_all()
        .thread_name("dlp-milter")
        // Scans are capped separately (milter.scan_threads); the rest of
        // the blocking pool serves quarantine fsyncs.
        .max_blocking_threads(threads + 16)
        .build()
        .context("cannot start the async runtime")?;
    runtime
        .block_on(dlp_milter::milter::serve(args, config))
        .context("serve")?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon logs at `log.level` (default info) in `log.format` (text or
/// JSON, one object per line); RUST_LOG overrides the level.
fn init_daemon_logging(log: &dlp_milter::config::LogConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if log.format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Files to scan: each path, or the regular files in a folder (sorted, recursively).
fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(d) = stack.pop() {
                if let Ok(rd) = std::fs::read_dir(&d) {
                    for e in rd.flatten() {
                        let path = e.path();
                        if path.is_dir() {
                            stack.push(path);
                        } else if path.extension().is_some_and(|x| x == "eml") {
                            found.push(path);
                        }
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let cfg = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e:#}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let engine = match Engine::from_config(&cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    use std::io::Write;
    for path in collect(&args.paths) {
        let shown = path.display().to_string();
        match std::fs::read(&path).with_context(|| format!("cannot read {shown}")) {
            Ok(raw) => {
                let r = engine.scan(&raw, None);
                if r.error.is_some() {
                    failed = true;
                }
                match args.format {
                    Format::Json => writeln!(out, "{}", report::json_line(&shown, &r))?,
                    Format::Text => write!(out, "{}", report::text(&shown, &r))?,
                }
            }
            Err(e) => {
                failed = true;
                match args.format {
                    Format::Json => {
                        writeln!(out, "{}", report::json_error(&shown, &format!("{e:#}")))?
                    }
                    Format::Text => eprintln!("{shown}: {e:#}"),
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
