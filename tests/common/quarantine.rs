//! Shared by the quarantine, notice and audit tests (included with `#[path]`):
//! a scan report with known findings, a held message full of identifiers,
//! and a small SMTP sink on loopback that keeps what arrives.
#![allow(dead_code)]

use dlp_milter::config::Config;
use dlp_milter::detect::{Category, Confidence, Finding, Location};
use dlp_milter::message::Envelope;
use dlp_milter::policy::{Action, Decision, Matched, PlannedAction, Severity};
use dlp_milter::quarantine::{HoldRequest, HoldStore};
use dlp_milter::scan::ScanReport;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Identifiers in the held message that must never appear in a notice.
pub const SECRETS: &[&str] = &[
    "AB 12 34 56 C",
    "AB123456C",
    "943 476 5919",
    "Jane Doe",
    "jane-doe-sen.pdf",
    "parent1@gmail.com",
];

/// A message with a NINO in the body, an NHS number in the subject and a
/// pupil's name in an attachment name.
pub fn held_message(n: usize) -> Vec<u8> {
    format!(
        "From: Teacher <teacher@school.sch.uk>\r\n\
         To: parent1@gmail.com, parent2@hotmail.co.uk\r\n\
         Subject: Jane Doe NHS 943 476 5919\r\n\
         Date: Mon, 23 Nov 2026 06:00:00 +0000\r\n\
         Message-ID: <msg-{n}@school.sch.uk>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\
         \r\n\
         --b\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Jane Doe's NI number is AB 12 34 56 C (AB123456C).\r\n\
         .leading dot line\r\n\
         --b\r\n\
         Content-Type: application/pdf; name=\"jane-doe-sen.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"jane-doe-sen.pdf\"\r\n\
         \r\n\
         %PDF-1.4 fake {n}\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

pub fn envelope(n: usize) -> Envelope {
    Envelope {
        sender: "teacher@school.sch.uk".into(),
        recipients: vec!["parent1@gmail.com".into(), "parent2@hotmail.co.uk".into()],
        auth_user: Some("teacher".into()),
        queue_id: Some(format!("4Q{n:08X}")),
        client_addr: Some("127.0.0.1".into()),
    }
}

/// One finding under `rule` (its policy clause is "Policy clause for {rule}.").
pub fn matched(
    category: Category,
    detector: &'static str,
    location: Location,
    evidence: &str,
    rule: &str,
    severity: Severity,
    may_release: bool,
) -> Matched {
    Matched {
        finding: Finding::new(category, detector, location, Confidence::High, evidence),
        rule: rule.into(),
        policy: format!("Policy clause for {rule}."),
        monitor: None,
        action: Action::Hold,
        severity,
        fix: format!("Fix text for {rule}."),
        sender_may_release: may_release,
    }
}

/// A report as the engine would make for [`held_message`]: high severity.
pub fn report(subject: &str) -> ScanReport {
    let findings = vec![
        matched(
            Category::PersonalData,
            "uk_nino",
            Location::Body,
            "AB ** ** ** C",
            "personal-data-nino",
            Severity::High,
            false,
        ),
        matched(
            Category::PersonalData,
            "nhs_number",
            Location::Subject,
            "*** *** 5919",
            "personal-data-nhs",
            Severity::High,
            false,
        ),
        matched(
            Category::UnencryptedAttachment,
            "uk_nino",
            Location::Attachment("jane-doe-sen.pdf".into()),
            "AB ** ** ** C",
            "unencrypted-attachment",
            Severity::Medium,
            false,
        ),
    ];
    report_with(findings, Severity::High, Some(subject))
}

/// A low-severity report the sender may release themselves, with no subject finding.
pub fn releasable_report(subject: &str) -> ScanReport {
    let findings = vec![matched(
        Category::ExposedRecipients,
        "recipient_count",
        Location::Header("To".into()),
        "2 external addresses visible",
        "exposed-recipients",
        Severity::Low,
        true,
    )];
    report_with(findings, Severity::Low, Some(subject))
}

fn report_with(findings: Vec<Matched>, severity: Severity, subject: Option<&str>) -> ScanReport {
    let rules: Vec<String> = findings.iter().map(|m| m.rule.clone()).collect();
    ScanReport {
        direction: dlp_milter::direction::Classified::default(),
        decision: Decision {
            verdict: Action::Hold,
            enforced: true,
            findings,
            actions: vec![PlannedAction::Hold { rules }],
            unscanned_rules: vec![],
            severity: Some(severity),
        },
        not_scanned: vec![],
        attachments: vec![],
        encryption: None,
        message_id: Some("<msg@school.sch.uk>".into()),
        error: None,
        recipient_count: 2,
        subject: subject.map(str::to_string),
        elapsed_us: 1,
    }
}

/// Holds message `n` (from `envelope(n)`) with `report`; returns the reference.
pub fn hold_with(q: &dyn HoldStore, n: usize, report: &ScanReport) -> String {
    let raw = held_message(n);
    let env = envelope(n);
    q.hold(&HoldRequest {
        raw: &raw,
        envelope: &env,
        report,
    })
    .expect("hold")
    .id
}

/// A config with the relay at `relay` and a DPO address.
pub fn config(relay: &str) -> Config {
    Config::from_toml(
        "test.toml",
        &format!(
            "[organisation]\nname = \"Green Lane Primary\"\n\
             [quarantine]\nrelay = \"{relay}\"\nrelay_timeout_secs = 5\n\
             [notice]\nfrom = \"Data Protection <dpo-notices@school.sch.uk>\"\n\
             dpo = \"dpo@school.sch.uk\"\n"
        ),
    )
    .expect("test config")
}

/// A config file for the CLI, with the data directory `data` beside it.
pub fn write_config(dir: &std::path::Path, relay: &str, extra: &str) -> std::path::PathBuf {
    let p = dir.join("dlp-milter.toml");
    std::fs::write(
        &p,
        format!(
            "data_dir = \"data\"\n[organisation]\nname = \"Green Lane Primary\"\n\
             [quarantine]\nrelay = \"{relay}\"\nrelay_timeout_secs = 5\n{extra}\
             [notice]\nfrom = \"Data Protection <dpo-notices@school.sch.uk>\"\n\
             dpo = \"dpo@school.sch.uk\"\n"
        ),
    )
    .expect("write config");
    p
}

/// A message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

/// A minimal SMTP server on 127.0.0.1 that accepts everything.
pub struct Sink {
    pub addr: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

fn path_arg(line: &str) -> String {
    let v = line.split_once(':').map(|(_, v)| v).unwrap_or("");
    let v = v.split_whitespace().next().unwrap_or("");
    v.trim_start_matches('<').trim_end_matches('>').to_string()
}

fn serve(
    stream: TcpStream,
    got: Arc<Mutex<Vec<Received>>>,
    hang_up_after_data: bool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    w.write_all(b"220 sink ESMTP\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            w.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if cmd.starts_with("MAIL FROM") {
            from = path_arg(line.trim_end());
            to.clear();
            w.write_all(b"250 ok\r\n")?;
        } else if cmd.starts_with("RCPT TO") {
            to.push(path_arg(line.trim_end()));
            w.write_all(b"250 ok\r\n")?;
        } else if cmd == "DATA" {
            w.write_all(b"354 go\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if r.read_until(b'\n', &mut l)? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
                let l = if l.starts_with(b"..") {
                    &l[1..]
                } else {
                    &l[..]
                };
                data.extend_from_slice(l);
            }
            got.lock().unwrap().push(Received {
                mail_from: from.clone(),
                rcpt_to: to.clone(),
                data,
            });
            if hang_up_after_data {
                // Took the message, never said so: the sender cannot know.
                return Ok(());
            }
            w.write_all(b"250 queued\r\n")?;
        } else if cmd == "QUIT" {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else if cmd == "RSET" || cmd == "NOOP" {
            w.write_all(b"250 ok\r\n")?;
        } else {
            w.write_all(b"502 no\r\n")?;
        }
    }
}

impl Sink {
    pub fn start() -> Sink {
        Sink::start_on("127.0.0.1:0")
    }

    pub fn start_on(addr: &str) -> Sink {
        Sink::start_with(addr, false)
    }

    /// A sink that keeps each message but hangs up instead of answering the
    /// end of DATA, like a relay that crashed at the worst moment.
    pub fn start_hanging_up() -> Sink {
        Sink::start_with("127.0.0.1:0", true)
    }

    fn start_with(addr: &str, hang_up_after_data: bool) -> Sink {
        let l = TcpListener::bind(addr).expect("bind sink");
        let addr = l.local_addr().unwrap().to_string();
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let g = g.clone();
                std::thread::spawn(move || {
                    let _ = serve(s, g, hang_up_after_data);
                });
            }
        });
        Sink { addr, got }
    }

    /// Waits until at least `n` messages arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n || start.elapsed() > Duration::from_secs(10) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A loopback address where nothing listens.
pub fn dead_relay() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap().to_string();
    drop(l);
    a
}
