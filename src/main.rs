//! The `dlp-milter` binary: parse arguments, set up logging, run a command.
#![forbid(unsafe_code)]

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(cli::EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The daemon sets up its own logging from its config (level, JSON);
    // the other commands log warnings, as text or (--log-format json) one
    // JSON object per line.
    if !matches!(
        cli.command,
        cli::Command::Serve(_) | cli::Command::Console(_)
    ) {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = if cli.log_format == Some(cli::LogFormat::Json) {
            builder.json().flatten_event(true).try_init()
        } else {
            builder.try_init()
        };
    }
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dlp-milter: {e:#}");
            ExitCode::FAILURE
        }
    }
}
