//! Notices only go to our own senders, and a flood of holds from one sender
//! gives a bounded number of notices (issue 21: backscatter, notice abuse).

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::config::Config;
use dlp_milter::message::Envelope;
use dlp_milter::notice::gate::HOLD_NOTICES_PER_WINDOW;
use dlp_milter::quarantine::{HoldRequest, HoldStore, Quarantine};
use support::*;

fn config_with(relay: &str, org: &str) -> Config {
    Config::from_toml(
        "test.toml",
        &format!(
            "[organisation]\nname = \"Green Lane Primary\"\n{org}\n\
             [quarantine]\nrelay = \"{relay}\"\nrelay_timeout_secs = 5\n\
             [notice]\nfrom = \"Data Protection <dpo-notices@school.sch.uk>\"\n"
        ),
    )
    .expect("test config")
}

fn hold_from(q: &Quarantine, n: usize, sender: &str, auth: Option<&str>, client: &str) -> String {
    let raw = held_message(n);
    let env = Envelope {
        sender: sender.into(),
        auth_user: auth.map(str::to_string),
        client_addr: Some(client.into()),
        ..envelope(n)
    };
    q.hold(&HoldRequest {
        raw: &raw,
        envelope: &env,
        report: &report("Jane Doe NHS 943 476 5919"),
    })
    .expect("hold")
    .id
}

/// Recipients of everything the sink got after flushing the outbox.
fn sent_to(q: &Quarantine, sink: &Sink, expect: usize) -> Vec<String> {
    let pass = q.flush_outbox().unwrap();
    assert_eq!(pass.sent, expect, "{pass:?}");
    sink.wait_for(expect)
        .into_iter()
        .flat_map(|m| m.rcpt_to)
        .collect()
}

#[test]
fn no_notice_to_an_external_or_null_sender_when_domains_are_set() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(
        &config_with(&sink.addr, "domains = [\"school.sch.uk\"]"),
        dir.path(),
    )
    .unwrap();
    // Authenticated and local, but the envelope sender is an outsider's
    // address: the classic backscatter set-up.
    hold_from(&q, 1, "victim@gmail.com", Some("teacher"), "127.0.0.1");
    hold_from(&q, 2, "", Some("teacher"), "127.0.0.1");
    hold_from(&q, 3, "x@school.sch.uk.evil.test", None, "127.0.0.1");
    let id = hold_from(&q, 4, "teacher@school.sch.uk", None, "203.0.113.7");
    let to = sent_to(&q, &sink, 1);
    assert_eq!(to, ["teacher@school.sch.uk"]);
    // The audit trail says why the others got none.
    let withheld: Vec<String> = q
        .store()
        .audit_entries()
        .unwrap()
        .into_iter()
        .filter(|e| e.event == "held")
        .map(|e| e.detail)
        .collect();
    assert!(
        withheld[0].contains("\"sender_notice\":\"external_sender\""),
        "{withheld:?}"
    );
    assert!(
        withheld[1].contains("\"sender_notice\":\"null_sender\""),
        "{withheld:?}"
    );
    assert!(
        withheld[3].contains("\"sender_notice\":\"notice\""),
        "{withheld:?} {id}"
    );
}

#[test]
fn without_domains_only_authenticated_or_local_senders() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&config_with(&sink.addr, ""), dir.path()).unwrap();
    hold_from(&q, 1, "someone@outside.example", None, "198.51.100.4");
    hold_from(&q, 2, "alice@school.sch.uk", Some("alice"), "198.51.100.4");
    hold_from(&q, 3, "bob@school.sch.uk", None, "127.0.0.1");
    let mut to = sent_to(&q, &sink, 2);
    to.sort();
    assert_eq!(to, ["alice@school.sch.uk", "bob@school.sch.uk"]);
}

#[test]
fn a_flood_of_holds_gives_the_limit_then_one_summary() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(
        &config_with(&sink.addr, "domains = [\"school.sch.uk\"]"),
        dir.path(),
    )
    .unwrap();
    let flood = 20;
    for n in 0..flood {
        hold_from(&q, n, "teacher@school.sch.uk", Some("teacher"), "127.0.0.1");
    }
    // Another sender is not affected by the first one's flood.
    hold_from(&q, 100, "head@school.sch.uk", Some("head"), "127.0.0.1");
    let expected = HOLD_NOTICES_PER_WINDOW + 1 + 1;
    let pass = q.flush_outbox().unwrap();
    assert_eq!(pass.sent, expected, "{pass:?}");
    let got = sink.wait_for(expected);
    let to_teacher: Vec<_> = got
        .iter()
        .filter(|m| m.rcpt_to == ["teacher@school.sch.uk"])
        .collect();
    assert_eq!(to_teacher.len(), HOLD_NOTICES_PER_WINDOW + 1);
    let summaries = to_teacher
        .iter()
        .filter(|m| String::from_utf8_lossy(&m.data).contains("Several emails you sent"))
        .count();
    assert_eq!(summaries, 1);
    assert_eq!(
        got.iter()
            .filter(|m| m.rcpt_to == ["head@school.sch.uk"])
            .count(),
        1
    );
    // Every hold is still a record: nothing is lost, only not announced.
    let held = q
        .store()
        .audit_entries()
        .unwrap()
        .into_iter()
        .filter(|e| e.event == "held")
        .count();
    assert_eq!(held, flood + 1);
}

#[test]
fn concurrent_holds_from_one_sender_respect_the_limit() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = std::sync::Arc::new(
        Quarantine::open(
            &config_with(&sink.addr, "domains = [\"school.sch.uk\"]"),
            dir.path(),
        )
        .unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let q = q.clone();
            std::thread::spawn(move || {
                for n in 0..6 {
                    hold_from(
                        &q,
                        t * 100 + n,
                        "teacher@school.sch.uk",
                        Some("teacher"),
                        "127.0.0.1",
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let pass = q.flush_outbox().unwrap();
    assert_eq!(pass.sent, HOLD_NOTICES_PER_WINDOW + 1, "{pass:?}");
}
