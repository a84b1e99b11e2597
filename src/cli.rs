//! Command line: arguments → config → one of the commands. Thin on purpose;
//! every command's work lives in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use dlp_milter::config::Config;
use dlp_milter::direction::{self, Classified, Direction, Facts, Trust};
use dlp_milter::message::{clean_path, Envelope};
use dlp_milter::quarantine::{self, Quarantine, QuarantineArgs};
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
    /// Log lines on stderr as `text` (for people) or `json` (one object per
    /// line, for log shippers; fields in docs/milter.md, "Logs"). Overrides
    /// the config's `[log] format`.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// `--log-format`: how log lines are written.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The `[log] format` value this stands for.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
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
    /// Held messages: list, show, release, delete, purge, export, digest.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Check the installation: config, rules, data directory, the socket,
    /// Postfix's milter lines and their order beside a DKIM signer, the relay.
    /// Exit 0 when all is well, 1 when something fails, 3 on warnings only.
    Doctor {
        /// The daemon's config (default: /etc/dlp-milter/dlp-milter.toml when it exists).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Postfix's config directory (postconf -c DIR); default Postfix's own.
        #[arg(long, value_name = "DIR")]
        postfix_config: Option<PathBuf>,
        /// The user Postfix's daemons run as (mail_owner).
        #[arg(long, default_value = "postfix")]
        postfix_user: String,
        /// A DKIM/ARC signer's config whose `Socket` line names its milter
        /// (default: /etc/opendkim.conf and /etc/openarc.conf). Repeatable.
        #[arg(long, value_name = "FILE")]
        signer_config: Vec<PathBuf>,
        /// A DKIM/ARC signer's milter socket, Postfix notation, when its name
        /// and port do not say so (opendkim, 8891, openarc, 8894, rspamd, 11332). Repeatable.
        #[arg(long, value_name = "SOCKET")]
        signer: Vec<String>,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The web console for the DPO (a separate process sharing the quarantine).
    Console(ConsoleArgs),
    /// Console accounts: add, list, disable, passwd.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for the console's JSON API: create, list, revoke.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Internal: one scan worker process of `serve` (requests on stdin,
    /// answers on stdout; see src/scan_worker.rs). Not for people.
    #[command(hide = true)]
    ScanWorker {
        /// Memory limit (RLIMIT_DATA), MiB.
        #[arg(long)]
        memory_mb: u64,
        /// CPU-time limit (RLIMIT_CPU), seconds.
        #[arg(long)]
        cpu_s: u64,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum StateArg {
    Held,
    Released,
    Deleted,
    Expired,
    Delivered,
    Rejected,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
pub enum QuarantineCommand {
    /// List held messages (oldest first); filters combine.
    List {
        #[command(flatten)]
        common: QuarantineArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Held on or after this date (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Held on or before this date (a whole day with YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Sender address contains this.
        #[arg(long)]
        sender: Option<String>,
        /// A rule id that fired.
        #[arg(long)]
        rule: Option<String>,
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Also list rewritten, rejected and tagged messages.
        #[arg(long)]
        all: bool,
    },
    /// Show a message's record, findings (masked) and audit trail.
    Show {
        #[command(flatten)]
        common: QuarantineArgs,
        id: String,
        /// Also print the original message (audited as revealed).
        #[arg(long)]
        reveal: bool,
        /// A name recorded beside your Unix user (the one behind sudo), as a claim.
        #[arg(long)]
        by: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Release a held message: re-inject it to the relay with its original envelope.
    Release {
        #[command(flatten)]
        common: QuarantineArgs,
        id: String,
        /// Why it is safe to send (recorded in the audit trail).
        #[arg(long, required = true)]
        reason: String,
        /// A name recorded beside your Unix user (the one behind sudo), as a claim.
        #[arg(long)]
        by: Option<String>,
        /// SMTP relay, HOST:PORT (overrides the config; default 127.0.0.1:25).
        #[arg(long)]
        relay: Option<String>,
        /// Send again although an earlier release did not finish (check the relay log first).
        #[arg(long)]
        retry_interrupted: bool,
        /// Release on the sender's behalf with their justification (only where the rule allows it).
        #[arg(long)]
        as_sender: bool,
    },
    /// Delete a held message: its content is erased now; the record stays.
    Delete {
        #[command(flatten)]
        common: QuarantineArgs,
        id: String,
        #[arg(long, required = true)]
        reason: String,
        /// A name recorded beside your Unix user (the one behind sudo), as a claim.
        #[arg(long)]
        by: Option<String>,
    },
    /// Erase the content of messages whose retention period has ended.
    Purge {
        #[command(flatten)]
        common: QuarantineArgs,
        /// Pretend it is this time (YYYY-MM-DD or RFC 3339), e.g. to test retention.
        #[arg(long, hide = true)]
        now: Option<String>,
    },
    /// Export incidents for a breach log (UK GDPR Art. 33) for a date range.
    Export {
        #[command(flatten)]
        common: QuarantineArgs,
        /// From this date (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        since: String,
        /// Up to and including this date.
        #[arg(long)]
        until: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// A name recorded beside your Unix user (the one behind sudo), as a claim.
        #[arg(long)]
        by: Option<String>,
    },
    /// Send the DPO the digest of the last HOURS (run daily from a timer).
    Digest {
        #[command(flatten)]
        common: QuarantineArgs,
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Print the digest instead of sending it.
        #[arg(long)]
        print: bool,
        /// SMTP relay, HOST:PORT (overrides the config).
        #[arg(long)]
        relay: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit chain; exit 1 naming the first broken entry.
    Verify {
        #[command(flatten)]
        common: QuarantineArgs,
        /// Also check the chain against heads recorded outside the database:
        /// a file (or `-` for stdin) of digest e-mails or log lines; every
        /// line containing `dlp-milter audit head: entry N mac HEX` counts.
        #[arg(long, value_name = "FILE|-")]
        anchor: Option<PathBuf>,
    },
    /// Print the chain head (entry number + MAC) to record outside the database.
    Head {
        #[command(flatten)]
        common: QuarantineArgs,
    },
}

#[derive(clap::Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub common: QuarantineArgs,
    /// HOST:PORT to listen on (overrides `[console] listen`; default 127.0.0.1:8025).
    #[arg(long)]
    pub listen: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RoleArg {
    /// Reads (masked) and verifies the audit trail.
    Auditor,
    /// Also reveals, releases, deletes and exports.
    Dpo,
    /// Also manages users.
    Admin,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an account. Without --password-stdin a password is generated and printed once.
    Add {
        #[command(flatten)]
        common: QuarantineArgs,
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        common: QuarantineArgs,
    },
    /// Disable an account: its sessions end and its API tokens stop working.
    Disable {
        #[command(flatten)]
        common: QuarantineArgs,
        name: String,
    },
    /// Set a new password (and enable the account); its sessions end.
    Passwd {
        #[command(flatten)]
        common: QuarantineArgs,
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token acting as USER (with USER's role); printed once, as the last word.
    Create {
        #[command(flatten)]
        common: QuarantineArgs,
        #[arg(long)]
        user: String,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        common: QuarantineArgs,
    },
    /// Revoke a token by its id (`token list` shows ids).
    Revoke {
        #[command(flatten)]
        common: QuarantineArgs,
        id: String,
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
    /// Which way the message travels, as the milter would have decided it
    /// (`inbound` passes unscanned). Without it and without connection
    /// details, outbound is assumed.
    #[arg(long, value_enum)]
    pub direction: Option<DirectionArg>,
    /// Connection details to decide the direction from, as the milter does
    /// with [direction] of the config: the client's address ...
    #[arg(long)]
    pub client_addr: Option<String>,
    /// ... the SASL login ...
    #[arg(long)]
    pub auth_user: Option<String>,
    /// ... the Postfix service's milter_macro_daemon_name.
    #[arg(long)]
    pub daemon: Option<String>,
    /// Envelope sender (default: the From header).
    #[arg(long)]
    pub sender: Option<String>,
    /// Envelope recipient, repeatable (default: To, Cc and Bcc).
    #[arg(long = "rcpt")]
    pub recipients: Vec<String>,
}

/// `scan --direction`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DirectionArg {
    Outbound,
    Internal,
    Inbound,
}

impl From<DirectionArg> for Direction {
    fn from(d: DirectionArg) -> Direction {
        match d {
            DirectionArg::Outbound => Direction::Outbound,
            DirectionArg::Internal => Direction::Internal,
            DirectionArg::Inbound => Direction::Inbound,
        }
    }
}

/// How `scan` decides each message's direction.
enum DirectionMode {
    Given(Classified),
    Derived(Trust),
}

impl ScanArgs {
    /// The envelope the flags describe, if they describe one.
    fn envelope(&self) -> Option<Envelope> {
        if self.sender.is_none() && self.recipients.is_empty() {
            return None;
        }
        Some(Envelope {
            sender: self.sender.as_deref().map(clean_path).unwrap_or_default(),
            recipients: self.recipients.iter().map(|r| clean_path(r)).collect(),
            auth_user: self.auth_user.clone(),
            queue_id: None,
            client_addr: self.client_addr.clone(),
        })
    }

    fn direction_mode(&self, cfg: &Config) -> Result<DirectionMode, String> {
        if let Some(d) = self.direction {
            return Ok(DirectionMode::Given(Classified::given(
                d.into(),
                "--direction on the command line",
            )));
        }
        if self.client_addr.is_none() && self.auth_user.is_none() && self.daemon.is_none() {
            return Ok(DirectionMode::Given(Classified::assumed_outbound()));
        }
        let (trust, _) =
            Trust::from_config(cfg, direction::postfix_mynetworks).map_err(|e| e.to_string())?;
        Ok(DirectionMode::Derived(trust))
    }
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
    let log_format = cli.log_format;
    match cli.command {
        Command::Quarantine { command } => finish(quarantine_command(command)),
        Command::Audit {
            command: AuditCommand::Verify { common, anchor },
        } => finish(audit_verify(&common, anchor.as_deref())),
        Command::Audit {
            command: AuditCommand::Head { common },
        } => finish(audit_head(&common)),
        Command::Doctor {
            config,
            postfix_config,
            postfix_user,
            signer_config,
            signer,
        } => {
            let mut opts = dlp_milter::doctor::Options {
                config,
                postfix_config,
                postfix_user,
                signers: signer,
                ..Default::default()
            };
            if !signer_config.is_empty() {
                opts.signer_configs = signer_config;
            }
            let checks = dlp_milter::doctor::run(&opts);
            for c in &checks {
                println!("{c}");
            }
            Ok(ExitCode::from(dlp_milter::doctor::exit_code(&checks)))
        }
        Command::Scan(args) => scan(args),
        Command::Console(args) => finish(console(args)),
        Command::User { command } => finish(user_command(command)),
        Command::Token { command } => finish(token_command(command)),
        Command::Serve(args) => serve(args, log_format),
        Command::ScanWorker { memory_mb, cpu_s } => {
            dlp_milter::scan_worker::run(dlp_milter::scan_worker::WorkerLimits {
                memory_bytes: memory_mb.saturating_mul(1 << 20),
                cpu_s,
            })?;
            Ok(ExitCode::SUCCESS)
        }
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
            // The sections the daemon validates at start: checked here too,
            // so `rules check` is a complete config test.
            let sections = [
                cfg.milter.validate().err(),
                cfg.quarantine.validate().err().map(|e| e.to_string()),
                cfg.notice.validate().err().map(|e| e.to_string()),
                Trust::from_config(&cfg, || None)
                    .err()
                    .map(|e| e.to_string()),
            ];
            if let Some(e) = sections.into_iter().flatten().next() {
                eprintln!(
                    "{}: {e}",
                    config
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "defaults".into())
                );
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
            match Engine::from_config(&cfg) {
                Ok(engine) => {
                    let p = &engine.policy;
                    let monitored: Vec<&str> = p
                        .rules
                        .iter()
                        .filter(|r| r.enabled && r.monitor())
                        .map(|r| r.id.as_str())
                        .collect();
                    println!(
                        "ok: {} rules ({} enabled), mode {:?}{}, from {}",
                        p.rules.len(),
                        p.rules.iter().filter(|r| r.enabled).count(),
                        p.mode,
                        if monitored.is_empty() {
                            String::new()
                        } else {
                            format!(" (monitor only: {})", monitored.join(", "))
                        },
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
/// `--log-format` overrides the config's `[log] format`.
fn serve(args: dlp_milter::milter::ServeArgs, log_format: Option<LogFormat>) -> Result<ExitCode> {
    let mut config = match dlp_milter::milter::server::load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    if let Some(f) = log_format {
        config.log.format = f.as_str().to_string();
    }
    init_daemon_logging(&config.log);
    let threads = config.milter.scan_threads();
    // One I/O thread (the default) is a current-thread runtime: the accept
    // loop and every session run on the thread that polls the sockets, so a
    // new connection or a finished scan wakes one thread, not a worker that
    // then hands the task to another. Behind Postfix those hand-offs were
    // most of the milter's context switches.
    let mut builder = if config.milter.io_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(config.milter.io_threads);
        b
    };
    let runtime = builder
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
    let mode = match args.direction_mode(&cfg) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let envelope = args.envelope();
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    use std::io::Write;
    for path in collect(&args.paths) {
        let shown = path.display().to_string();
        match std::fs::read(&path).with_context(|| format!("cannot read {shown}")) {
            Ok(raw) => {
                let r = engine.scan_classified(&raw, envelope.as_ref(), |a| match &mode {
                    DirectionMode::Given(c) => c.clone(),
                    DirectionMode::Derived(trust) => direction::classify(
                        trust,
                        &Facts {
                            auth_user: args.auth_user.as_deref(),
                            client_addr: args.client_addr.as_deref(),
                            daemon: args.daemon.as_deref(),
                            sender: a.sender.as_deref().unwrap_or(""),
                            recipients: &a.recipients,
                        },
                    ),
                });
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

/// The acting person as recorded: the OS user who ran the command (the
/// real one behind sudo), with `--by` beside it as a claim, never instead
/// of it: `anna`, or `root (as dpo-anna)`. `--by` alone proves nothing;
/// the OS user is what the machine knows.
fn actor(by: Option<String>) -> String {
    let os = os_user();
    match by.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
        Some(b) if b != os => format!("{os} (as {b})"),
        _ => os,
    }
}

/// The real user: `SUDO_USER` when running as root through sudo (only
/// root's environment is trusted with it), else the name of the real uid
/// from /etc/passwd, else `uid N`.
fn os_user() -> String {
    let uid = rustix::process::getuid().as_raw();
    if rustix::process::geteuid().is_root() {
        if let Some(u) = std::env::var("SUDO_USER")
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            return u;
        }
    }
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2).and_then(|n| n.parse::<u32>().ok()) == Some(uid))
                    .then(|| f.first().map(|n| n.to_string()))
                    .flatten()
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// A library error as one message: its Display already carries the cause,
/// so the chain `{:#}` would print it twice.
fn one_message<T>(r: Result<T, quarantine::QuarantineError>) -> Result<T> {
    r.map_err(|e| anyhow::Error::msg(e.to_string()))
}

/// A bad config file or section: exit status 2, like `scan` and `rules check`.
#[derive(Debug)]
struct BadConfig(String);

impl std::fmt::Display for BadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadConfig {}

/// Config + data dir → the quarantine service (no background thread).
fn open_quarantine(common: &QuarantineArgs) -> Result<Quarantine> {
    let cfg = load_config(common.config.as_deref()).map_err(|e| BadConfig(e.to_string()))?;
    let dir = common.data_dir.clone().unwrap_or_else(|| cfg.data_dir());
    match Quarantine::open(&cfg, &dir) {
        Ok(q) => Ok(q),
        Err(
            e @ (quarantine::QuarantineError::Config(_)
            | quarantine::QuarantineError::Notice(_)
            | quarantine::QuarantineError::Relay(_)),
        ) => Err(BadConfig(e.to_string()).into()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot open the quarantine in {}: {e}",
            dir.display()
        )),
    }
}

/// Maps the errors every quarantine/audit command shares to exit statuses.
fn finish(result: Result<ExitCode>) -> Result<ExitCode> {
    match result {
        Err(e) if e.downcast_ref::<BadConfig>().is_some() => {
            eprintln!("{e}");
            Ok(ExitCode::from(EXIT_CONFIG))
        }
        // `quarantine list | head`: the reader left; not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

fn when(s: &str, end_of_day: bool) -> Result<i64> {
    quarantine::parse_when(s, end_of_day)
        .with_context(|| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

fn state_of(s: StateArg) -> quarantine::State {
    use quarantine::State;
    match s {
        StateArg::Held => State::Held,
        StateArg::Released => State::Released,
        StateArg::Deleted => State::Deleted,
        StateArg::Expired => State::Expired,
        StateArg::Delivered => State::Delivered,
        StateArg::Rejected => State::Rejected,
    }
}

fn quarantine_command(command: QuarantineCommand) -> Result<ExitCode> {
    use dlp_milter::quarantine::view;
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        QuarantineCommand::List {
            common,
            format,
            since,
            until,
            sender,
            rule,
            state,
            all,
        } => {
            let q = open_quarantine(&common)?;
            let filter = quarantine::Filter {
                since: since.as_deref().map(|s| when(s, false)).transpose()?,
                until: until.as_deref().map(|s| when(s, true)).transpose()?,
                sender,
                rule,
                state: state.map(state_of),
                holds_only: !all,
                limit: None,
            };
            let records = one_message(q.list(&filter))?;
            match format {
                Format::Json => {
                    for r in &records {
                        writeln!(out, "{}", view::list_json(r))?;
                    }
                }
                Format::Text => write!(out, "{}", view::list_text(&records, q.zone()))?,
            }
        }
        QuarantineCommand::Show {
            common,
            id,
            reveal,
            by,
            format,
        } => {
            let q = open_quarantine(&common)?;
            let shown = one_message(q.show(&id, &actor(by), reveal))?;
            match format {
                Format::Json => writeln!(out, "{}", view::show_json(&shown))?,
                Format::Text => {
                    write!(out, "{}", view::show_text(&shown, q.zone()))?;
                    if let Some(raw) = &shown.raw {
                        writeln!(
                            out,
                            "--- original message (revealed; this view is audited) ---"
                        )?;
                        out.write_all(raw)?;
                        writeln!(out)?;
                    }
                }
            }
        }
        QuarantineCommand::Release {
            common,
            id,
            reason,
            by,
            relay,
            retry_interrupted,
            as_sender,
        } => {
            let q = open_quarantine(&common)?;
            let opts = quarantine::ReleaseOptions {
                relay,
                retry_interrupted,
                as_sender,
            };
            let r = one_message(q.release(&id, &actor(by), &reason, &opts))?;
            writeln!(
                out,
                "released {} to {} recipient(s) via {} (release id {})",
                r.record.id, r.record.recipient_count, r.relay, r.release_id
            )?;
        }
        QuarantineCommand::Delete {
            common,
            id,
            reason,
            by,
        } => {
            let q = open_quarantine(&common)?;
            let r = one_message(q.delete(&id, &actor(by), &reason))?;
            writeln!(out, "deleted {}: content erased, record kept", r.id)?;
        }
        QuarantineCommand::Purge { common, now } => {
            let q = open_quarantine(&common)?;
            let at = match now {
                Some(n) => when(&n, false)?,
                None => dlp_milter::dates::now(),
            };
            let ids = one_message(q.purge(at))?;
            writeln!(out, "expired {} message(s)", ids.len())?;
            for id in ids {
                writeln!(out, "{id}")?;
            }
        }
        QuarantineCommand::Export {
            common,
            since,
            until,
            format,
            output,
            by,
        } => {
            let q = open_quarantine(&common)?;
            let (since, until) = (when(&since, false)?, when(&until, true)?);
            let fmt = match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Json => "json",
            };
            let incidents = one_message(q.export(since, until, &actor(by), fmt))?;
            let bytes = match format {
                ExportFormat::Csv => quarantine::export::to_csv(&incidents)?,
                ExportFormat::Json => {
                    let mut v = serde_json::to_vec_pretty(&incidents)?;
                    v.push(b'\n');
                    v
                }
            };
            match output {
                Some(p) => std::fs::write(&p, bytes)
                    .with_context(|| format!("cannot write {}", p.display()))?,
                None => out.write_all(&bytes)?,
            }
        }
        QuarantineCommand::Digest {
            common,
            hours,
            print,
            relay,
        } => {
            let mut q = open_quarantine(&common)?;
            if let Some(r) = relay {
                one_message(q.set_relay(&r))?;
            }
            // +1: include what happened in this very second.
            let until = dlp_milter::dates::now() + 1;
            let since = until - 1 - i64::from(hours) * 3600;
            let d = one_message(q.digest(since, until, print))?;
            if print {
                writeln!(
                    out,
                    "Subject: {}\n\n{}",
                    d.rendered.subject, d.rendered.text
                )?;
            } else if let Some(p) = d.pass {
                writeln!(
                    out,
                    "digest of {} item(s): {} notice(s) sent, {} queued for retry",
                    d.items, p.sent, p.deferred
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn audit_head(common: &QuarantineArgs) -> Result<ExitCode> {
    let q = open_quarantine(common)?;
    println!("{}", one_message(q.audit_head())?);
    Ok(ExitCode::SUCCESS)
}

fn audit_verify(common: &QuarantineArgs, anchor: Option<&Path>) -> Result<ExitCode> {
    let q = open_quarantine(common)?;
    if let Some(a) = anchor {
        // Mail or logs, as bytes: mail may not be UTF-8 (the head lines are ASCII).
        let text = if a == Path::new("-") {
            let mut s = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut s)?;
            s
        } else {
            std::fs::read(a).with_context(|| format!("cannot read {}", a.display()))?
        };
        return match one_message(q.verify_audit_anchored(&text))? {
            Ok((_, 0)) => {
                eprintln!("no audit head lines found in {}", a.display());
                Ok(ExitCode::FAILURE)
            }
            Ok((v, n)) => {
                println!(
                    "ok: {} entries, chain intact and agrees with {n} recorded head(s); head {}",
                    v.entries, v.head
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(b) => {
                eprintln!("{b}");
                Ok(ExitCode::FAILURE)
            }
        };
    }
    match one_message(q.verify_audit())? {
        Ok(v) => {
            let sealed = if v.unkeyed > 0 {
                format!(" ({} entries from before the audit key, sealed)", v.unkeyed)
            } else {
                String::new()
            };
            println!(
                "ok: {} entries, chain intact{sealed}; {} (note it outside this machine to detect rewriting and truncation later)",
                v.entries,
                dlp_milter::audit::head_line(v.entries, &v.head)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(b) => {
            eprintln!("{b}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `console`: config → logging → the web console until SIGTERM/SIGINT.
fn console(args: ConsoleArgs) -> Result<ExitCode> {
    use dlp_milter::console;
    let cfg = load_config(args.common.config.as_deref()).map_err(|e| BadConfig(e.to_string()))?;
    init_daemon_logging(&cfg.log);
    let dir = args
        .common
        .data_dir
        .clone()
        .unwrap_or_else(|| cfg.data_dir());
    let listen = args.listen.unwrap_or_else(|| cfg.console.listen.clone());
    let state = match console::Console::open(&cfg, &dir) {
        Ok(c) => std::sync::Arc::new(c),
        Err(console::error::ConsoleError::Quarantine(
            e @ (quarantine::QuarantineError::Config(_)
            | quarantine::QuarantineError::Notice(_)
            | quarantine::QuarantineError::Relay(_)),
        )) => return Err(BadConfig(e.to_string()).into()),
        Err(e) => anyhow::bail!("cannot open the console on {}: {e}", dir.display()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("dlp-console")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let local = listener.local_addr()?;
        tracing::info!(listen = %local, data_dir = %dir.display(), "console listening");
        // The address actually bound (port 0 in tests), on stdout for scripts.
        println!("dlp-milter console listening on http://{local}");
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        let shutdown = async {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            tracing::info!("console stopping");
        };
        console::serve(listener, state, shutdown)
            .await
            .context("console")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Config + data dir → the console's accounts (users, tokens).
fn open_accounts(common: &QuarantineArgs) -> Result<dlp_milter::console::accounts::Accounts> {
    let cfg = load_config(common.config.as_deref()).map_err(|e| BadConfig(e.to_string()))?;
    let dir = common.data_dir.clone().unwrap_or_else(|| cfg.data_dir());
    dlp_milter::console::accounts::Accounts::open(&cfg, &dir)
        .map_err(|e| anyhow::anyhow!("cannot open the console accounts in {}: {e}", dir.display()))
}

/// A password from stdin's first line, or a generated one (printed once).
fn new_password(from_stdin: bool) -> Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        Ok((pw, false))
    } else {
        Ok((dlp_milter::console::secrets::random_token(18), true))
    }
}

fn console_message<T>(r: Result<T, dlp_milter::console::error::ConsoleError>) -> Result<T> {
    r.map_err(|e| anyhow::Error::msg(e.to_string()))
}

fn user_command(command: UserCommand) -> Result<ExitCode> {
    use dlp_milter::console::roles::Role;
    let now = dlp_milter::dates::now();
    match command {
        UserCommand::Add {
            common,
            name,
            role,
            password_stdin,
        } => {
            let a = open_accounts(&common)?;
            let role = match role {
                RoleArg::Auditor => Role::Auditor,
                RoleArg::Dpo => Role::Dpo,
                RoleArg::Admin => Role::Admin,
            };
            let (pw, generated) = new_password(password_stdin)?;
            console_message(a.add_user(&name, role, &pw, now))?;
            console_message(a.audit(
                "user_added",
                &name,
                &actor(None),
                serde_json::json!({ "role": role.as_str() }),
            ))?;
            println!("added {name} ({})", role.as_str());
            if generated {
                println!(
                    "password (shown once; change it with `dlp-milter user passwd {name}`): {pw}"
                );
            }
        }
        UserCommand::List { common } => {
            let a = open_accounts(&common)?;
            let users = console_message(a.db.users())?;
            if users.is_empty() {
                println!("no users (add the first with `dlp-milter user add NAME --role admin`)");
            }
            for u in users {
                println!(
                    "{:<24} {:<8} {:<9} since {}",
                    u.name,
                    u.role.as_str(),
                    if u.disabled { "disabled" } else { "active" },
                    dlp_milter::dates::rfc3339(u.created_at)
                );
            }
        }
        UserCommand::Disable { common, name } => {
            let a = open_accounts(&common)?;
            console_message(a.db.disable_user(&name))?;
            console_message(a.audit("user_disabled", &name, &actor(None), serde_json::json!({})))?;
            println!("disabled {name}: its sessions ended and its tokens stopped working");
        }
        UserCommand::Passwd {
            common,
            name,
            password_stdin,
        } => {
            let a = open_accounts(&common)?;
            let (pw, generated) = new_password(password_stdin)?;
            console_message(a.set_password(&name, &pw, now))?;
            console_message(a.audit("password_set", &name, &actor(None), serde_json::json!({})))?;
            println!("password of {name} changed; its sessions ended");
            if generated {
                println!("new password (shown once): {pw}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token_command(command: TokenCommand) -> Result<ExitCode> {
    let now = dlp_milter::dates::now();
    match command {
        TokenCommand::Create { common, user } => {
            let a = open_accounts(&common)?;
            let (id, token) = console_message(a.create_token(&user, now))?;
            console_message(a.audit(
                "token_created",
                &user,
                &actor(None),
                serde_json::json!({ "token": id }),
            ))?;
            // The token is the last word: `token create ... | awk '{print $NF}'`.
            println!("token {id} for {user} (shown once; store it now): {token}");
        }
        TokenCommand::List { common } => {
            let a = open_accounts(&common)?;
            let tokens = console_message(a.db.tokens())?;
            if tokens.is_empty() {
                println!("no tokens");
            }
            for t in tokens {
                println!(
                    "{:<10} {:<24} created {} last used {} {}",
                    t.id,
                    t.user,
                    dlp_milter::dates::rfc3339(t.created_at),
                    t.last_used_at
                        .map(dlp_milter::dates::rfc3339)
                        .unwrap_or_else(|| "never".into()),
                    t.revoked_at
                        .map(|r| format!("revoked {}", dlp_milter::dates::rfc3339(r)))
                        .unwrap_or_else(|| "active".into())
                );
            }
        }
        TokenCommand::Revoke { common, id } => {
            let a = open_accounts(&common)?;
            if console_message(a.db.revoke_token(&id, now))? {
                console_message(a.audit(
                    "token_revoked",
                    &id,
                    &actor(None),
                    serde_json::json!({}),
                ))?;
                println!("revoked token {id}");
            } else {
                anyhow::bail!("no active token {id}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
