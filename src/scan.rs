//! The engine: raw message bytes (+ envelope, in the milter) → [`ScanReport`].
//!
//! One code path for the `scan` command, the milter, the tests and the
//! benchmarks. Synchronous and free of I/O: the milter runs it on a blocking
//! thread. Panics in any parser are caught here and turned into an error
//! report, so one hostile message can never take the daemon down.

use crate::config::{Config, LimitsConfig};
use crate::detect::{
    self, recipients, Category, Detector, Finding, Location, MessageContext, TextKind, TextUnit,
};
use crate::direction::{Classified, Direction};
use crate::extract::{self, Budget, FileReport, NotScanned};
use crate::message::{self, Envelope};
use crate::policy::{self, Decision, Policy, PolicyMode, RulesError};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Why an engine could not be built.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Rules(#[from] RulesError),
}

/// Compiled detectors + policy + config. Build once, share (it is `Sync`).
pub struct Engine {
    pub policy: Policy,
    scanner: Scanner,
}

/// The half of the engine that reads the message (parsers, extractors,
/// detectors): everything that sees hostile bytes. The milter runs it in
/// worker processes it can kill (`crate::scan_worker`); the policy half
/// ([`Engine::decide`]) stays in the daemon.
pub struct Scanner {
    detectors: Vec<Box<dyn Detector>>,
    internal: recipients::Internal,
    parse_limits: message::ParseLimits,
    extract_limits: extract::Limits,
    /// The lowest `min_count` of the exposed-recipients rules, and the unit
    /// that rule counts in.
    recipient_threshold: Option<(usize, recipients::CountUnit)>,
    setup: ScannerSetup,
}

/// What a [`Scanner`] needs to know of the config and rules: the limits,
/// the organisation's domains and the exposed-recipients threshold. Small
/// and serialisable, so the daemon can hand it to a worker process.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ScannerSetup {
    pub limits: LimitsConfig,
    pub internal_domains: Vec<String>,
    pub recipient_threshold: Option<(usize, recipients::CountUnit)>,
}

/// What the scanner learnt about one message, before the policy: the
/// input of [`Engine::decide`].
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub not_scanned: Vec<NotScanned>,
    pub attachments: Vec<FileReport>,
    pub encryption: Option<&'static str>,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// The sender the rules' allow-lists compare against.
    pub sender: Option<String>,
    /// Envelope recipients, or without an envelope the header recipients.
    pub recipients: Vec<String>,
}

/// Everything the engine learnt about one message.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// Which way the message travels and why (`direction`,
    /// `direction_reason`): the rules applied are those of that direction.
    #[serde(flatten)]
    pub direction: Classified,
    #[serde(flatten)]
    pub decision: Decision,
    pub not_scanned: Vec<NotScanned>,
    pub attachments: Vec<FileReport>,
    /// Whole-message encryption (PGP/MIME, S/MIME), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The scan failed (a parser panicked); the decision is then empty and
    /// the caller applies its fail-open/fail-closed setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Number of visible To/Cc addresses and envelope recipients, for logs and notices.
    #[serde(skip)]
    pub recipient_count: usize,
    #[serde(skip)]
    pub subject: Option<String>,
    pub elapsed_us: u64,
}

impl ScanReport {
    /// What was not read for a reason that leaves the message unchecked
    /// (see [`leaves_unchecked`]).
    pub fn could_not_check(&self) -> Vec<&NotScanned> {
        self.not_scanned
            .iter()
            .filter(|n| leaves_unchecked(n, &self.attachments))
            .collect()
    }
}

/// Sniffed kinds with no text to read: unreadable, they are not "could not
/// be checked" (photos, recordings, signatures, unknown binary formats).
const NO_TEXT_KINDS: &[&str] = &["image", "binary", "pgp", "smime", "encrypted"];

/// The PDF extractor's note for a PDF with no text layer: a scanned letter
/// or form is a picture of a page, the image case, not a document that
/// could not be opened (holding every scan would hold a school's daily
/// mail). tests/eval.rs's `scanned-letter-pdf-owner` negative guards the
/// wording.
const IMAGE_ONLY_PDF: &str = "pdf has no extractable text";

/// Whether a not-scanned entry leaves the message unchecked: a limit hit
/// (depth, parts, text size, decompression, entries, time), a document or
/// archive that could not be opened, a failed scan. Not images, audio,
/// video or other binary parts, not an image-only PDF (there is no text to
/// read), not encrypted files (the compliant case), and not a message
/// mail-parser could not parse (it was scanned whole as text).
pub fn leaves_unchecked(n: &NotScanned, attachments: &[FileReport]) -> bool {
    if n.location == "message" {
        return n.reason != message::UNPARSED_NOTE;
    }
    if n.reason.starts_with(IMAGE_ONLY_PDF) {
        return false;
    }
    let path = n
        .location
        .strip_prefix("attachment:")
        .unwrap_or(&n.location);
    let file = attachments.iter().find(|f| f.path == path);
    if file.is_some_and(|f| f.encrypted.is_some()) {
        return false;
    }
    n.document || file.is_some_and(|f| !NO_TEXT_KINDS.contains(&f.sniffed))
}

impl Engine {
    /// Builds the engine from a config: its rules folder, or the shipped rules.
    pub fn from_config(config: &Config) -> Result<Engine, EngineError> {
        let mut policy = match &config.rules.dir {
            Some(dir) => policy::load_dir(dir)?,
            None => policy::load_embedded()?,
        };
        if let Some(m) = config.rules.monitor_only {
            policy.mode = if m {
                PolicyMode::Monitor
            } else {
                PolicyMode::Enforce
            };
        }
        Ok(Engine::new(policy, config))
    }

    pub fn new(policy: Policy, config: &Config) -> Engine {
        let setup = ScannerSetup {
            limits: config.limits.clone(),
            internal_domains: config.internal_domains(),
            recipient_threshold: policy
                .min_count_for(Category::ExposedRecipients, recipients::DETECTOR_ID)
                .map(|t| {
                    let unit =
                        policy.count_unit_for(Category::ExposedRecipients, recipients::DETECTOR_ID);
                    (t, unit)
                }),
        };
        Engine {
            policy,
            scanner: Scanner::new(&setup),
        }
    }

    /// What a worker process needs to scan for this engine.
    pub fn setup(&self) -> &ScannerSetup {
        &self.scanner.setup
    }

    /// Scans one outbound message. Never panics; never fails: a failure is
    /// an error report.
    pub fn scan(&self, raw: &[u8], envelope: Option<&Envelope>) -> ScanReport {
        self.scan_in(raw, envelope, &Classified::assumed_outbound())
    }

    /// Scans one message travelling in `direction` (outbound or internal:
    /// the caller passes inbound mail by unscanned, see [`Engine::passed`]).
    pub fn scan_in(
        &self,
        raw: &[u8],
        envelope: Option<&Envelope>,
        direction: &Classified,
    ) -> ScanReport {
        self.scan_classified(raw, envelope, |_| direction.clone())
    }

    /// Scans one message whose direction depends on what the scan found
    /// (the `scan` command: sender and recipients from the headers when
    /// there is no envelope). An inbound message gets [`Engine::passed`].
    pub fn scan_classified(
        &self,
        raw: &[u8],
        envelope: Option<&Envelope>,
        classify: impl FnOnce(&Analysis) -> Classified,
    ) -> ScanReport {
        let start = Instant::now();
        let mut report = match self.scanner.analyse(raw, envelope) {
            Ok(a) => {
                let direction = classify(&a);
                if direction.direction.scanned() {
                    self.decide_in(a, direction)
                } else {
                    self.passed(direction)
                }
            }
            Err(e) => self.failed(e.0),
        };
        report.elapsed_us = start.elapsed().as_micros() as u64;
        report
    }

    /// Applies the policy to what a scanner found in an outbound message.
    pub fn decide(&self, a: Analysis) -> ScanReport {
        self.decide_in(a, Classified::assumed_outbound())
    }

    /// The report of an inbound message: not scanned, nothing decided.
    pub fn passed(&self, direction: Classified) -> ScanReport {
        ScanReport {
            direction,
            decision: policy::decide_for(&self.policy, Direction::Inbound, vec![], &[], None, &[]),
            not_scanned: vec![],
            attachments: vec![],
            encryption: None,
            message_id: None,
            error: None,
            recipient_count: 0,
            subject: None,
            elapsed_us: 0,
        }
    }

    /// Applies the rules of `direction` to what a scanner found.
    pub fn decide_in(&self, a: Analysis, direction: Classified) -> ScanReport {
        // The unscanned-document rule hears only of what leaves the
        // message unchecked (not an image-only PDF, not an encrypted file).
        // Each entry passed on leaves the message unchecked, so each is
        // flagged as such for the policy, which fires the rule on that flag:
        // a message-level cap (more than 500 MIME parts, a body cut) or a
        // CSV's text cut is not a document in the extractor's sense, and
        // with its own flag it was accepted (issue 20: part 501).
        let unchecked: Vec<NotScanned> = a
            .not_scanned
            .iter()
            .filter(|n| leaves_unchecked(n, &a.attachments))
            .map(|n| NotScanned {
                document: true,
                ..n.clone()
            })
            .collect();
        let decision = policy::decide_for(
            &self.policy,
            direction.direction,
            a.findings,
            &unchecked,
            a.sender.as_deref(),
            &a.recipients,
        );
        ScanReport {
            direction,
            decision,
            not_scanned: a.not_scanned,
            attachments: a.attachments,
            encryption: a.encryption,
            message_id: a.message_id,
            error: None,
            recipient_count: a.recipients.len(),
            subject: a.subject,
            elapsed_us: 0,
        }
    }

    /// The report of a scan that failed (`error` says why): no findings,
    /// and a note that the message was not scanned. The caller applies its
    /// failure policy.
    pub fn failed(&self, error: String) -> ScanReport {
        ScanReport {
            direction: Classified::assumed_outbound(),
            decision: policy::decide(&self.policy, vec![], &[], None, &[]),
            not_scanned: vec![NotScanned {
                location: "message".into(),
                reason: error.clone(),
                document: false,
            }],
            attachments: vec![],
            encryption: None,
            message_id: None,
            error: Some(error),
            recipient_count: 0,
            subject: None,
            elapsed_us: 0,
        }
    }
}

/// A scan that panicked; the text says where.
#[derive(Debug, Clone)]
pub struct ScanPanic(pub String);

impl Scanner {
    pub fn new(setup: &ScannerSetup) -> Scanner {
        Scanner {
            detectors: detect::default_detectors(),
            internal: recipients::Internal {
                domains: setup.internal_domains.clone(),
            },
            parse_limits: setup.limits.parse_limits(),
            extract_limits: setup.limits.extract_limits(),
            recipient_threshold: setup.recipient_threshold,
            setup: setup.clone(),
        }
    }

    /// Reads one message. A panic in any parser is caught and returned as
    /// an error, so one hostile message never takes the caller down.
    pub fn analyse(&self, raw: &[u8], envelope: Option<&Envelope>) -> Result<Analysis, ScanPanic> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.analyse_inner(raw, envelope)
        }))
        .map_err(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(error = %what, "scan failed: a parser panicked");
            ScanPanic(format!("internal error while scanning: {what}"))
        })
    }

    fn analyse_inner(&self, raw: &[u8], envelope: Option<&Envelope>) -> Analysis {
        let msg = message::parse(raw, &self.parse_limits);
        let mut findings: Vec<Finding> = Vec::new();
        let mut not_scanned: Vec<NotScanned> = msg
            .capped
            .iter()
            .map(|c| NotScanned {
                location: "message".into(),
                reason: c.clone(),
                document: false,
            })
            .collect();

        if let Some((t, unit)) = self.recipient_threshold {
            findings.extend(recipients::detect(&msg, envelope, &self.internal, t, unit));
        }

        // Attachments first: whether one is encrypted matters to the password detector.
        let mut budget = Budget::new(self.extract_limits);
        let mut files = Vec::new();
        let mut extractions = Vec::new();
        let mut ctx = MessageContext::default();
        if msg.encryption.is_none() {
            for a in &msg.attachments {
                let ex = extract::extract(&a.name, &a.declared_type, &a.data, &mut budget);
                if ex.any_encrypted() {
                    ctx.has_encrypted_attachment = true;
                    ctx.encrypted_attachments.push(a.name.clone());
                }
                extractions.push(ex);
            }
        }

        if let Some(subject) = &msg.subject {
            self.run(
                &TextUnit {
                    location: Location::Subject,
                    kind: TextKind::Subject,
                    text: subject,
                },
                &ctx,
                &mut findings,
            );
        }
        if msg.encryption.is_none() {
            for b in &msg.bodies {
                self.run(
                    &TextUnit {
                        location: Location::Body,
                        kind: TextKind::Body,
                        text: &b.text,
                    },
                    &ctx,
                    &mut findings,
                );
            }
        }
        for ex in extractions {
            let mut inner = Vec::new();
            for t in &ex.texts {
                if t.kind == TextKind::Body {
                    // The message's own body again (winmail.dat's copy):
                    // the body's location and rules, not an attachment's.
                    let unit = TextUnit {
                        location: Location::Body,
                        kind: TextKind::Body,
                        text: &t.text,
                    };
                    self.run(&unit, &ctx, &mut findings);
                    continue;
                }
                let unit = TextUnit {
                    location: Location::Attachment(t.path.clone()),
                    kind: t.kind,
                    text: &t.text,
                };
                self.run(&unit, &ctx, &mut inner);
            }
            for mut f in inner {
                if f.category == Category::PersonalData {
                    f.category = Category::UnencryptedAttachment;
                }
                findings.push(f);
            }
            files.extend(ex.files);
            not_scanned.extend(ex.not_scanned);
        }

        let findings = dedupe(findings);
        let recipients: Vec<String> = match envelope {
            Some(e) if !e.recipients.is_empty() => e.recipients.clone(),
            _ => msg
                .to
                .iter()
                .chain(msg.cc.iter())
                .filter_map(|m| m.address.clone())
                .collect(),
        };
        let sender = envelope
            .map(|e| e.sender.as_str())
            .filter(|s| !s.is_empty())
            .or(msg.from.as_deref());
        Analysis {
            findings,
            not_scanned,
            attachments: files,
            encryption: msg.encryption.map(|e| e.as_str()),
            message_id: msg.message_id.clone(),
            subject: msg.subject.clone(),
            sender: sender.map(str::to_string),
            recipients,
        }
    }

    fn run(&self, unit: &TextUnit<'_>, ctx: &MessageContext, out: &mut Vec<Finding>) {
        let text = message::normalize(unit.text);
        let unit = TextUnit {
            location: unit.location.clone(),
            kind: unit.kind,
            text: &text,
        };
        for d in &self.detectors {
            d.scan(&unit, ctx, out);
        }
    }
}

/// One finding per (category, detector, location, masked evidence); their
/// counts add up, so a number repeated in a quoted reply is one finding seen
/// twice. Distinct values stay distinct findings (each is evidence).
fn dedupe(findings: Vec<Finding>) -> Vec<Finding> {
    let mut index: HashMap<(Category, &'static str, Location, String), usize> = HashMap::new();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let key = (
            f.category,
            f.detector,
            f.location.clone(),
            f.evidence.clone(),
        );
        match index.get(&key) {
            Some(&i) => {
                let e = &mut out[i];
                e.count += f.count;
                e.confidence = e.confidence.max(f.confidence);
                if e.redact.is_none() {
                    e.redact = f.redact;
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

// The `[limits]` section's defaults are the parser's and the extractors'
// own, and the engine hands each its part: here, where the two stages
// meet, so the config depends on neither.
impl Default for LimitsConfig {
    fn default() -> Self {
        let p = message::ParseLimits::default();
        let e = extract::Limits::default();
        LimitsConfig {
            max_message_bytes: p.max_message_bytes,
            max_parts: p.max_parts,
            max_text_bytes: p.max_text_chars,
            max_decompressed_bytes: e.max_decompressed_bytes,
            max_ratio: e.max_ratio,
            max_depth: e.max_depth,
            max_archive_entries: e.max_entries,
            time_per_message_ms: e.time_budget.as_millis() as u64,
        }
    }
}

impl LimitsConfig {
    pub fn parse_limits(&self) -> message::ParseLimits {
        message::ParseLimits {
            max_message_bytes: self.max_message_bytes,
            max_parts: self.max_parts,
            max_text_chars: self.max_text_bytes,
        }
    }

    pub fn extract_limits(&self) -> extract::Limits {
        extract::Limits {
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_ratio: self.max_ratio,
            max_depth: self.max_depth,
            max_entries: self.max_archive_entries,
            time_budget: Duration::from_millis(self.time_per_message_ms),
            max_text_chars: self.max_text_bytes,
            ..extract::Limits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(location: &str, reason: &str, document: bool) -> NotScanned {
        NotScanned {
            location: location.into(),
            reason: reason.into(),
            document,
        }
    }

    fn file(path: &str, sniffed: &'static str, encrypted: Option<&str>) -> FileReport {
        FileReport {
            path: path.into(),
            sniffed,
            declared: String::new(),
            encrypted: encrypted.map(str::to_string),
            type_mismatch: None,
        }
    }

    #[test]
    fn limits_and_unopened_documents_leave_the_message_unchecked() {
        let files = [
            file("a.docx", "docx", None),
            file("z.zip/t.txt", "text", None),
        ];
        for n in [
            ns(
                "message",
                "more than 500 MIME parts: the rest were not scanned",
                false,
            ),
            ns(
                "message",
                "body text longer than 10 bytes: the rest was not scanned",
                false,
            ),
            ns("attachment:a.docx", "corrupt docx: bad zip", true),
            // Text cut at the cap: the rest of a text file was never read.
            ns(
                "attachment:z.zip/t.txt",
                "text longer than 10 bytes: the rest was not scanned",
                false,
            ),
            // A file the report could not list (over its cap): by its flag.
            ns(
                "attachment:lost.xlsx",
                "archive has more than 10 entries",
                true,
            ),
        ] {
            assert!(leaves_unchecked(&n, &files), "{n:?}");
        }
    }

    #[test]
    fn pictures_encrypted_files_and_parsed_as_text_do_not() {
        let files = [
            file("photo.jpg", "image", None),
            file("scan.pdf", "pdf", None),
            file("secret.zip", "zip", Some("zip-aes")),
            file("blob.bin", "binary", None),
        ];
        for n in [
            ns("attachment:photo.jpg", "nested deeper than 3 levels", false),
            ns(
                "attachment:blob.bin",
                "time budget for the message spent",
                false,
            ),
            ns(
                "attachment:scan.pdf",
                "pdf has no extractable text (scanned image or unsupported fonts)",
                true,
            ),
            ns("attachment:secret.zip", "encrypted", true),
            ns("message", message::UNPARSED_NOTE, false),
        ] {
            assert!(!leaves_unchecked(&n, &files), "{n:?}");
        }
    }

    #[test]
    fn an_image_only_pdf_is_not_held_but_a_corrupt_document_is() {
        let engine = Engine::from_config(&Config::default()).unwrap();
        let report = |n: NotScanned, f: FileReport| {
            engine.decide(Analysis {
                not_scanned: vec![n],
                attachments: vec![f],
                ..Analysis::default()
            })
        };
        let scan = report(
            ns(
                "attachment:scan.pdf",
                "pdf has no extractable text (scanned image or unsupported fonts)",
                true,
            ),
            file("scan.pdf", "pdf", None),
        );
        assert_eq!(scan.decision.verdict, policy::Action::Accept);
        assert!(scan.could_not_check().is_empty());
        let corrupt = report(
            ns("attachment:a.docx", "corrupt docx: bad zip", true),
            file("a.docx", "docx", None),
        );
        assert_eq!(corrupt.decision.verdict, policy::Action::Hold);
        assert_eq!(corrupt.decision.unscanned_rules, ["unscanned-document"]);
        assert_eq!(corrupt.could_not_check().len(), 1);
    }

    /// Message-level caps and a text file cut at the cap hold the message
    /// as could not be checked, like an unopened document.
    #[test]
    fn caps_that_are_not_documents_hold_too() {
        let engine = Engine::from_config(&Config::default()).unwrap();
        for (n, f) in [
            (
                ns(
                    "message",
                    "more than 500 MIME parts: the rest were not scanned",
                    false,
                ),
                file("a.txt", "text", None),
            ),
            (
                ns(
                    "attachment:list.csv",
                    "text longer than 10 bytes: the rest was not scanned",
                    false,
                ),
                file("list.csv", "csv", None),
            ),
        ] {
            let r = engine.decide(Analysis {
                not_scanned: vec![n.clone()],
                attachments: vec![f],
                ..Analysis::default()
            });
            assert_eq!(r.decision.verdict, policy::Action::Hold, "{n:?}");
            assert_eq!(r.decision.unscanned_rules, ["unscanned-document"]);
            // The report keeps the entry as the extractor flagged it.
            assert_eq!(r.not_scanned[0].document, n.document);
        }
        // An image cut short is still not "could not be checked".
        let r = engine.decide(Analysis {
            not_scanned: vec![ns("attachment:p.jpg", "nested deeper than 8 levels", false)],
            attachments: vec![file("p.jpg", "image", None)],
            ..Analysis::default()
        });
        assert_eq!(r.decision.verdict, policy::Action::Accept);
    }

    #[test]
    fn a_failed_scan_reports_itself_not_scanned() {
        let engine = Engine::from_config(&Config::default()).unwrap();
        let r = engine.failed("scan worker died: killed".into());
        assert_eq!(r.error.as_deref(), Some("scan worker died: killed"));
        assert_eq!(r.could_not_check().len(), 1);
    }

    #[test]
    fn whole_message_encryption_is_compliant_not_unchecked() {
        let engine = Engine::from_config(&Config::default()).unwrap();
        let raw = b"From: a@school.example\r\nTo: b@other.example\r\nSubject: report\r\n\
MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n";
        let r = engine.scan(raw, None);
        assert!(
            r.encryption.is_some_and(|e| e.contains("S/MIME")),
            "{:?}",
            r.encryption
        );
        assert!(r.could_not_check().is_empty(), "{:?}", r.not_scanned);
        assert_eq!(r.decision.verdict, policy::Action::Accept);
        let pgp = b"From: a@school.example\r\nTo: b@other.example\r\nSubject: report\r\n\r\n\
-----BEGIN PGP MESSAGE-----\r\nhQEMA1234\r\n-----END PGP MESSAGE-----\r\n";
        let r = engine.scan(pgp, None);
        assert!(r.encryption.is_some());
        assert!(r.could_not_check().is_empty(), "{:?}", r.not_scanned);
    }
}
