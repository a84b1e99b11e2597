//! Scan worker processes: the protocol between the daemon and
//! `dlp-milter scan-worker`, and the worker's side of it.
//!
//! The parsers and extractors read hostile bytes. In the daemon they run in
//! separate processes (spawned by `crate::milter::pool`), each under a
//! memory and a CPU limit, so a decompression bomb, a parser loop or a
//! crash costs one message its scan (it gets the failure policy) and never
//! the daemon or the other sessions: the daemon kills a worker that
//! overruns its budget and starts another.
//!
//! The protocol is a pipe pair (the worker's stdin and stdout) carrying
//! length-prefixed frames, one request and one response at a time:
//!
//! - request: `u32` LE length + JSON [`Request`], then `u32` LE length +
//!   the raw message bytes (not JSON: they are most of the traffic);
//! - response: `u32` LE length + JSON [`Response`].
//!
//! The worker returns the scanner's [`Analysis`] (findings, what was not
//! read, the files), not the decision: the policy runs in the daemon, with
//! the rules in effect there. The serialised forms ([`WireAnalysis`]) are
//! private to this pair of processes, not the `scan` JSON contract: they
//! keep what the contract leaves out (a password's text for redaction).

use crate::detect::{Category, Confidence, Finding, Location};
use crate::extract::{FileReport, NotScanned};
use crate::message::Envelope;
use crate::scan::{Analysis, Scanner, ScannerSetup};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Mutex, OnceLock};
use thiserror::Error;

/// Largest request header / response a peer accepts (the message itself is
/// bounded by `milter.max_message_bytes`, checked by the daemon).
pub const MAX_JSON_FRAME: usize = 256 * 1024 * 1024;
/// Largest message a worker accepts (far above any configurable size).
pub const MAX_MESSAGE_FRAME: usize = 1 << 31;

/// Why a worker stopped, or a frame could not be read.
#[derive(Debug, Error)]
pub enum WorkerError {
    #[error("pipe: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad frame: {0}")]
    Json(#[from] serde_json::Error),
    #[error("frame of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("cannot set the worker's limits: {0}")]
    Limits(String),
}

/// A deliberate misbehaviour, for the daemon's behaviour tests only (see
/// `milter.test_fault_header`): the daemon sends one only when it was
/// started with `DLP_MILTER_TEST_FAULTS=1`, so mail alone can never ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Spin on the CPU for ever (a parser loop).
    Hang,
    /// Allocate and touch memory until the limit stops it (a bomb).
    Memory,
    /// Panic inside the scan (caught, like a parser's panic).
    Panic,
    /// Abort the process (a crash).
    Crash,
}

impl Fault {
    /// The header value naming a fault.
    pub fn parse(value: &str) -> Option<Fault> {
        match value.trim().to_ascii_lowercase().as_str() {
            "hang" => Some(Fault::Hang),
            "memory" => Some(Fault::Memory),
            "panic" => Some(Fault::Panic),
            "crash" => Some(Fault::Crash),
            _ => None,
        }
    }
}

/// One scan request (the message bytes follow in their own frame).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// Sent with a worker's first request and whenever the config or rules
    /// changed since (a reload); the worker keeps the last one.
    pub setup: Option<ScannerSetup>,
    pub envelope: Envelope,
    #[serde(default)]
    pub fault: Option<Fault>,
}

/// The worker's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    /// The analysis, or why the scan failed (a parser panicked).
    pub result: Result<WireAnalysis, String>,
    /// The worker's CPU time so far: the daemon retires it before this
    /// reaches its CPU limit.
    pub cpu_ms: u64,
}

/// [`Analysis`] as it crosses the pipe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireAnalysis {
    findings: Vec<WireFinding>,
    not_scanned: Vec<WireNotScanned>,
    attachments: Vec<WireFile>,
    encryption: Option<String>,
    message_id: Option<String>,
    subject: Option<String>,
    sender: Option<String>,
    recipients: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireFinding {
    category: Category,
    detector: String,
    location: String,
    confidence: Confidence,
    evidence: String,
    count: usize,
    redact: Option<String>,
    /// Exposed recipients: the organisations counted (rules with
    /// `count = "organisations"` compare against it).
    organisations: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireNotScanned {
    location: String,
    reason: String,
    document: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WireFile {
    path: String,
    sniffed: String,
    declared: String,
    encrypted: Option<String>,
    type_mismatch: Option<String>,
}

impl From<Analysis> for WireAnalysis {
    fn from(a: Analysis) -> WireAnalysis {
        WireAnalysis {
            findings: a
                .findings
                .into_iter()
                .map(|f| WireFinding {
                    category: f.category,
                    detector: f.detector.to_string(),
                    location: f.location.to_string(),
                    confidence: f.confidence,
                    evidence: f.evidence,
                    count: f.count,
                    redact: f.redact,
                    organisations: f.organisations,
                })
                .collect(),
            not_scanned: a
                .not_scanned
                .into_iter()
                .map(|n| WireNotScanned {
                    location: n.location,
                    reason: n.reason,
                    document: n.document,
                })
                .collect(),
            attachments: a
                .attachments
                .into_iter()
                .map(|f| WireFile {
                    path: f.path,
                    sniffed: f.sniffed.to_string(),
                    declared: f.declared,
                    encrypted: f.encrypted,
                    type_mismatch: f.type_mismatch,
                })
                .collect(),
            encryption: a.encryption.map(str::to_string),
            message_id: a.message_id,
            subject: a.subject,
            sender: a.sender,
            recipients: a.recipients,
        }
    }
}

impl From<WireAnalysis> for Analysis {
    fn from(w: WireAnalysis) -> Analysis {
        Analysis {
            findings: w
                .findings
                .into_iter()
                .map(|f| Finding {
                    category: f.category,
                    detector: intern(f.detector),
                    location: parse_location(&f.location),
                    confidence: f.confidence,
                    evidence: f.evidence,
                    count: f.count,
                    redact: f.redact,
                    organisations: f.organisations,
                })
                .collect(),
            not_scanned: w
                .not_scanned
                .into_iter()
                .map(|n| NotScanned {
                    location: n.location,
                    reason: n.reason,
                    document: n.document,
                })
                .collect(),
            attachments: w
                .attachments
                .into_iter()
                .map(|f| FileReport {
                    path: f.path,
                    sniffed: intern(f.sniffed),
                    declared: f.declared,
                    encrypted: f.encrypted,
                    type_mismatch: f.type_mismatch,
                })
                .collect(),
            encryption: w.encryption.map(intern),
            message_id: w.message_id,
            subject: w.subject,
            sender: w.sender,
            recipients: w.recipients,
        }
    }
}

/// A [`Location`] from its contract string (`subject`, `body`,
/// `header:<name>`, `attachment:<path>`), the inverse of its `Display`.
fn parse_location(s: &str) -> Location {
    match s {
        "subject" => Location::Subject,
        "body" => Location::Body,
        _ => match s.split_once(':') {
            Some(("header", h)) => Location::Header(h.to_string()),
            Some(("attachment", p)) => Location::Attachment(p.to_string()),
            _ => Location::Attachment(s.to_string()),
        },
    }
}

/// How many distinct names [`intern`] keeps. The names are detector ids,
/// file kinds and encryption kinds: a few dozen. A worker is our own
/// binary, but its output is still not trusted to grow the daemon's memory.
const MAX_INTERNED: usize = 1024;

/// The `&'static str` the engine's types use for a name that crossed the
/// pipe. Each distinct name is leaked once, up to [`MAX_INTERNED`]; past
/// that, `"unknown"`.
fn intern(s: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let names =
        NAMES.get_or_init(|| Mutex::new(crate::detect::known_detector_ids().into_iter().collect()));
    let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(s.as_str()) {
        return n;
    }
    if names.len() >= MAX_INTERNED {
        return "unknown";
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Limits a worker sets on itself before it reads any message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// RLIMIT_DATA, bytes.
    pub memory_bytes: u64,
    /// RLIMIT_CPU, seconds (soft; the hard limit is 5 s above: SIGXCPU,
    /// then SIGKILL).
    pub cpu_s: u64,
}

/// Applies `limits` to this process, and asks the kernel to kill it when
/// its parent (the daemon) dies, so no worker outlives the daemon.
///
/// Memory is limited with RLIMIT_DATA, not RLIMIT_AS: the kernel counts
/// the binary, libraries and stacks in RLIMIT_AS, while RLIMIT_DATA (since
/// Linux 4.7) counts private writable mappings, i.e. the heap, whichever of
/// brk and mmap the allocator uses. Both count what mimalloc reserves ahead
/// of use, which is why the daemon starts workers with
/// `MIMALLOC_ARENA_RESERVE=64MiB` (mimalloc's default 1 GiB arena would
/// exceed the limit before the first message); docs/milter.md has the
/// measurements.
pub fn apply_limits(limits: WorkerLimits) -> Result<(), WorkerError> {
    use rustix::process::{setrlimit, Resource, Rlimit};
    setrlimit(
        Resource::Data,
        Rlimit {
            current: Some(limits.memory_bytes),
            maximum: Some(limits.memory_bytes),
        },
    )
    .map_err(|e| WorkerError::Limits(format!("RLIMIT_DATA: {e}")))?;
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(limits.cpu_s),
            maximum: Some(limits.cpu_s.saturating_add(5)),
        },
    )
    .map_err(|e| WorkerError::Limits(format!("RLIMIT_CPU: {e}")))?;
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .map_err(|e| WorkerError::Limits(format!("parent death signal: {e}")))?;
    Ok(())
}

/// This process's CPU time (user + system), in milliseconds.
pub fn cpu_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    (t.tv_sec.max(0) as u64)
        .saturating_mul(1000)
        .saturating_add((t.tv_nsec.max(0) as u64) / 1_000_000)
}

/// Reads a `u32` LE length prefix; `None` at a clean end of stream.
fn read_len(r: &mut impl Read) -> Result<Option<usize>, WorkerError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => Ok(Some(u32::from_le_bytes(len) as usize)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn read_exact_vec(r: &mut impl Read, len: usize, max: usize) -> Result<Vec<u8>, WorkerError> {
    if len > max {
        return Err(WorkerError::TooLarge(len));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// A frame's length prefix.
pub fn frame_len(len: usize) -> Result<[u8; 4], WorkerError> {
    u32::try_from(len)
        .map(u32::to_le_bytes)
        .map_err(|_| WorkerError::TooLarge(len))
}

/// Reads one request; `None` when the daemon closed the pipe.
pub fn read_request(r: &mut impl Read) -> Result<Option<(Request, Vec<u8>)>, WorkerError> {
    let Some(len) = read_len(r)? else {
        return Ok(None);
    };
    let head = read_exact_vec(r, len, MAX_JSON_FRAME)?;
    let req: Request = serde_json::from_slice(&head)?;
    let len = read_len(r)?.ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "message frame missing")
    })?;
    let raw = read_exact_vec(r, len, MAX_MESSAGE_FRAME)?;
    Ok(Some((req, raw)))
}

/// Writes one response.
pub fn write_response(w: &mut impl Write, resp: &Response) -> Result<(), WorkerError> {
    let body = serde_json::to_vec(resp)?;
    w.write_all(&frame_len(body.len())?)?;
    w.write_all(&body)?;
    w.flush()?;
    Ok(())
}

/// The request as bytes: header frame and message frame.
pub fn encode_request(req: &Request, raw_len: usize) -> Result<Vec<u8>, WorkerError> {
    let head = serde_json::to_vec(req)?;
    let mut out = Vec::with_capacity(head.len() + 8);
    out.extend_from_slice(&frame_len(head.len())?);
    out.extend_from_slice(&head);
    out.extend_from_slice(&frame_len(raw_len)?);
    Ok(out)
}

/// `dlp-milter scan-worker`: applies the limits, then answers requests on
/// stdin/stdout until the daemon closes the pipe.
pub fn run(limits: WorkerLimits) -> Result<(), WorkerError> {
    apply_limits(limits)?;
    let mut input = std::io::stdin().lock();
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    let mut scanner: Option<Scanner> = None;
    while let Some((req, raw)) = read_request(&mut input)? {
        if let Some(setup) = &req.setup {
            scanner = Some(Scanner::new(setup));
        }
        let result = match (req.fault, &scanner) {
            (Some(f), _) => misbehave(f),
            (None, None) => Err("scan worker received no setup".to_string()),
            (None, Some(s)) => s
                .analyse(&raw, Some(&req.envelope))
                .map(WireAnalysis::from)
                .map_err(|p| p.0),
        };
        write_response(
            &mut output,
            &Response {
                result,
                cpu_ms: cpu_ms(),
            },
        )?;
    }
    Ok(())
}

/// Carries out a test fault. Only `panic` returns (as the failed scan a
/// parser's caught panic gives); the others end the process one way or
/// another.
fn misbehave(fault: Fault) -> Result<WireAnalysis, String> {
    match fault {
        Fault::Hang => {
            let mut x: u64 = 0;
            loop {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        Fault::Memory => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touched, so the pages are really used, not only reserved.
                hoard.push(vec![1u8; 16 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        Fault::Panic => {
            std::panic::catch_unwind(|| -> WireAnalysis { panic!("test fault: panic in a parser") })
                .map_err(|_| "internal error while scanning: test fault: panic in a parser".into())
        }
        Fault::Crash => std::process::abort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::scan::Engine;

    #[test]
    fn location_strings_round_trip() {
        for l in [
            Location::Subject,
            Location::Body,
            Location::Header("To".into()),
            Location::Attachment("a.zip/b:c.csv".into()),
        ] {
            assert_eq!(parse_location(&l.to_string()), l);
        }
    }

    #[test]
    fn analysis_survives_the_pipe_with_what_the_contract_leaves_out() {
        let engine = Engine::from_config(&Config::default()).unwrap();
        let scanner = Scanner::new(engine.setup());
        let raw = b"From: a@school.example\r\nTo: p1@gmail.com, p2@outlook.com, p3@yahoo.co.uk, p4@hotmail.co.uk, p5@icloud.com, p6@btinternet.com, p7@aol.com\r\nSubject: login\r\n\r\nYour password: Tr0ub4dor&3x\r\nNI number AB 12 34 56 C\r\n";
        let a = scanner.analyse(raw, None).unwrap();
        assert!(!a.findings.is_empty());
        let wire = serde_json::to_vec(&WireAnalysis::from(a.clone())).unwrap();
        let back: Analysis = serde_json::from_slice::<WireAnalysis>(&wire)
            .unwrap()
            .into();
        assert_eq!(back.findings.len(), a.findings.len());
        for (x, y) in a.findings.iter().zip(&back.findings) {
            assert_eq!(x.detector, y.detector);
            assert_eq!(x.location, y.location);
            assert_eq!(x.redact, y.redact);
            assert_eq!(x.evidence, y.evidence);
            assert_eq!(x.organisations, y.organisations);
        }
        // The exposed-recipients finding carries its organisation count.
        assert!(back.findings.iter().any(|f| f.organisations == Some(7)));
        assert_eq!(back.recipients, a.recipients);
        // The decision from the piped analysis is the in-process one.
        let direct = engine.decide(a);
        let piped = engine.decide(back);
        assert_eq!(direct.decision.verdict, piped.decision.verdict);
        assert_eq!(direct.decision.rule_ids(), piped.decision.rule_ids());
    }

    #[test]
    fn frames_round_trip_and_a_closed_pipe_is_the_end() {
        let req = Request {
            setup: None,
            envelope: Envelope::default(),
            fault: Some(Fault::Panic),
        };
        let mut bytes = encode_request(&req, 3).unwrap();
        bytes.extend_from_slice(b"abc");
        let mut r = &bytes[..];
        let (got, raw) = read_request(&mut r).unwrap().unwrap();
        assert_eq!(got.fault, Some(Fault::Panic));
        assert_eq!(raw, b"abc");
        assert!(read_request(&mut r).unwrap().is_none());
        // A truncated frame is an error, not a silent end.
        let mut short = &bytes[..bytes.len() - 1];
        assert!(read_request(&mut short).is_err());
    }

    #[test]
    fn oversized_frames_are_refused_before_allocating() {
        let mut bytes = frame_len(MAX_JSON_FRAME + 1).unwrap().to_vec();
        bytes.extend_from_slice(b"{}");
        assert!(matches!(
            read_request(&mut &bytes[..]),
            Err(WorkerError::TooLarge(_))
        ));
    }

    #[test]
    fn interning_is_bounded() {
        let a = intern("pdf".into());
        let b = intern("pdf".into());
        assert!(std::ptr::eq(a, b));
        assert_eq!(Fault::parse(" Hang "), Some(Fault::Hang));
        assert_eq!(Fault::parse("explode"), None);
    }
}
