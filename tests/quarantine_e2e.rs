//! End to end over real SMTP on loopback: a hold sends the sender a notice
//! (valid MIME, reference id, no identifier from the held message) and the
//! DPO an alert; release re-injects the original with its envelope and a
//! valid marker, exactly once; a relay outage queues notices and fails a
//! release cleanly.

#[path = "common/quarantine.rs"]
mod support;

use dlp_milter::notice;
use dlp_milter::quarantine::{marker, HoldStore, Quarantine, ReleaseOptions, State};
use support::*;

fn hold(q: &Quarantine, n: usize) -> String {
    hold_with(q, n, &report("Jane Doe NHS 943 476 5919"))
}

#[test]
fn hold_notice_arrives_as_valid_mime_without_identifiers() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&config(&sink.addr), dir.path()).unwrap();
    let id = hold(&q, 1);
    let pass = q.flush_outbox().unwrap();
    assert_eq!(pass.sent, 2, "{pass:?}");
    let got = sink.wait_for(2);
    assert_eq!(got.len(), 2);
    let key = marker::load_or_create_key(dir.path()).unwrap();

    let to_sender = got
        .iter()
        .find(|m| m.rcpt_to == ["teacher@school.sch.uk"])
        .expect("sender notice");
    // Null envelope sender: a notice never bounces back into a loop.
    assert_eq!(to_sender.mail_from, "");
    let msg = mail_parser::MessageParser::default()
        .parse(&to_sender.data)
        .expect("valid MIME");
    let text = msg.body_text(0).expect("text part").to_string();
    let html = msg.body_html(0).expect("html part").to_string();
    let subject = msg.subject().unwrap_or("").to_string();
    assert!(subject.contains(&id), "{subject}");
    assert!(text.contains(&id) && html.contains(&id));
    assert!(text.contains("Policy clause for personal-data-nino."));
    assert!(text.contains("Fix text for personal-data-nino."));
    assert!(text.contains("Recipients: 2"), "{text}");
    // The subject had an identifier: not repeated.
    assert!(text.contains("not shown here"), "{text}");
    let whole = String::from_utf8_lossy(&to_sender.data).to_string();
    for s in SECRETS {
        for part in [&text, &html, &subject, &whole] {
            assert!(!part.contains(s), "notice leaks {s:?}:\n{part}");
        }
    }
    // Marked so the milter lets it through unscanned.
    let me = ["teacher@school.sch.uk".to_string()];
    assert!(notice::is_notice(&to_sender.data, "", &me, &key));
    assert!(!marker::verify_released(&to_sender.data, "", &me, &key));
    // Bound to its envelope: the same bytes to someone else do not verify.
    assert!(!notice::is_notice(
        &to_sender.data,
        "",
        &["x@gmail.com".to_string()],
        &key
    ));
    assert!(whole.contains("Auto-Submitted: auto-generated"));

    let to_dpo = got
        .iter()
        .find(|m| m.rcpt_to == ["dpo@school.sch.uk"])
        .expect("DPO alert");
    let alert = mail_parser::MessageParser::default()
        .parse(&to_dpo.data)
        .unwrap();
    assert!(alert.subject().unwrap_or("").contains(&id));

    // The audit trail records both notices.
    let shown = q.show(&id, "test", false).unwrap();
    let sent = shown
        .audit
        .iter()
        .filter(|e| e.event == "notice_sent")
        .count();
    assert_eq!(sent, 2);
}

#[test]
fn release_reinjects_original_with_envelope_and_marker_once() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let mut q = Quarantine::open(&config(&support::dead_relay()), dir.path()).unwrap();
    q.set_relay(&sink.addr).unwrap();
    let id = hold(&q, 2);
    let r = q
        .release(
            &id,
            "dpo-anna",
            "checked with the head",
            &ReleaseOptions::default(),
        )
        .unwrap();
    assert_eq!(r.record.state, State::Released);
    assert_eq!(r.record.state_changed_by.as_deref(), Some("dpo-anna"));
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.mail_from, "teacher@school.sch.uk");
    assert_eq!(m.rcpt_to, ["parent1@gmail.com", "parent2@hotmail.co.uk"]);
    // The original bytes, unchanged, after the marker header.
    let original = held_message(2);
    assert!(
        m.data.ends_with(&original),
        "original bytes not intact:\n{}",
        String::from_utf8_lossy(&m.data)
    );
    let headers = marker::parse_headers(&m.data);
    assert_eq!(headers[0].0, marker::RELEASE_HEADER);
    let key = marker::load_or_create_key(dir.path()).unwrap();
    let rcpts = m.rcpt_to.clone();
    let v = marker::verify(
        &headers,
        &key,
        marker::Kind::Release,
        &marker::Binding::of_message(&m.data, &m.mail_from, &rcpts),
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    assert_eq!(v.id, r.release_id);
    assert!(marker::verify_released(&m.data, &m.mail_from, &rcpts, &key));
    // Copied onto another body, the marker does not verify.
    let mut other = m.data.clone();
    let at = other.len() - 10;
    other[at] ^= 1;
    assert!(!marker::verify_released(&other, &m.mail_from, &rcpts, &key));

    // Twice: a clear error, nothing changed, nothing sent.
    let before = q.store().audit_entries().unwrap().len();
    let err = q
        .release(&id, "dpo-anna", "again", &ReleaseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("already released by dpo-anna"), "{err}");
    assert_eq!(q.store().audit_entries().unwrap().len(), before);
    let err = q.delete(&id, "dpo-anna", "oops").unwrap_err().to_string();
    assert!(err.contains("already released"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(sink.got.lock().unwrap().len(), 1);
}

#[test]
fn relay_down_keeps_message_held_and_queues_notices() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_relay();
    let q = Quarantine::open(&config(&dead), dir.path()).unwrap();
    let id = hold(&q, 3);
    // Notices: deferred, not lost.
    let pass = q.flush_outbox().unwrap();
    assert_eq!(pass.deferred, 2, "{pass:?}");
    // Release: fails, stays held, audited.
    let err = q
        .release(&id, "dpo", "fine", &ReleaseOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("stays held"), "{err}");
    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Held);
    assert!(rec.release_started_at.is_none());
    let events: Vec<String> = q
        .store()
        .audit_for(&id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(events.contains(&"release_failed".to_string()), "{events:?}");

    // The relay comes back: after the backoff, the queued notices go.
    let sink = Sink::start();
    let mut q = q;
    q.set_relay(&sink.addr).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(
        q.flush_outbox_at(now).unwrap().sent,
        0,
        "sent before the backoff"
    );
    assert_eq!(q.flush_outbox_at(now + 61).unwrap().sent, 2);
    assert_eq!(sink.wait_for(2).len(), 2);
    // And the release now works.
    q.release(&id, "dpo", "fine", &ReleaseOptions::default())
        .unwrap();
}

#[test]
fn sender_may_release_only_where_the_rule_allows() {
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&config(&sink.addr), dir.path()).unwrap();
    let high = hold(&q, 4);
    let as_sender = ReleaseOptions {
        as_sender: true,
        ..ReleaseOptions::default()
    };
    let err = q.release(&high, "", "it is fine", &as_sender).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");

    let low = hold_with(&q, 5, &releasable_report("Trip letter"));
    // Its notice may repeat the subject (no finding in it) and offers self-release.
    q.flush_outbox().unwrap();
    let got = sink.wait_for(1);
    let n = got
        .iter()
        .find(|m| String::from_utf8_lossy(&m.data).contains(&low))
        .expect("notice");
    let text = mail_parser::MessageParser::default()
        .parse(&n.data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .to_string();
    assert!(text.contains("Trip letter"), "{text}");
    assert!(
        text.contains("yourself with a short written reason"),
        "{text}"
    );
    let r = q
        .release(&low, "", "parents agreed to share", &as_sender)
        .unwrap();
    assert_eq!(
        r.record.state_changed_by.as_deref(),
        Some("sender:teacher@school.sch.uk")
    );
}

#[test]
fn release_with_unknown_outcome_is_not_repeated_blindly() {
    // The relay took the message but the connection broke before its "250":
    // the release may have happened. The message must not look releasable
    // again until someone checked and said so.
    let hangup = Sink::start_hanging_up();
    let dir = tempfile::tempdir().unwrap();
    let mut q = Quarantine::open(&config(&hangup.addr), dir.path()).unwrap();
    let id = hold(&q, 7);
    let err = q
        .release(&id, "dpo", "ok", &ReleaseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("may have been delivered"), "{err}");
    assert_eq!(hangup.wait_for(1).len(), 1);
    let rec = q.get(&id).unwrap();
    assert_eq!(rec.state, State::Held);
    assert!(rec.release_started_at.is_some());

    let sink = Sink::start();
    q.set_relay(&sink.addr).unwrap();
    let err = q
        .release(&id, "dpo", "again", &ReleaseOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("did not finish"), "{err}");
    let err = q.delete(&id, "dpo", "x").unwrap_err().to_string();
    assert!(err.contains("did not finish"), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(sink.got.lock().unwrap().is_empty());

    // Checked the log: it was not delivered. Retry on purpose.
    let retry = ReleaseOptions {
        retry_interrupted: true,
        ..ReleaseOptions::default()
    };
    let r = q.release(&id, "dpo", "checked the log", &retry).unwrap();
    assert_eq!(r.record.state, State::Released);
    assert!(r.record.release_started_at.is_none());
    assert_eq!(sink.wait_for(1).len(), 1);
}

/// A client that retries one message (the milter was killed after storing
/// it but before answering, so Postfix tempfailed) must not make two holds
/// and two notices: the retry joins the hold, and the audit trail shows it.
/// Another envelope, or a message no longer held, is a new hold.
#[test]
fn a_retried_message_joins_its_hold() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(&config(&dead_relay()), dir.path()).unwrap();
    let first = hold(&q, 11);
    let mut retry_env = envelope(11);
    retry_env.queue_id = Some("4QRETRY0001".into()); // Postfix gives a retry a new queue id
    let raw = held_message(11);
    let rep = report("Jane Doe NHS 943 476 5919");
    let again = q
        .hold(&dlp_milter::quarantine::HoldRequest {
            raw: &raw,
            envelope: &retry_env,
            report: &rep,
        })
        .unwrap()
        .id;
    assert_eq!(again, first, "the retry is the same hold");
    let all = q.list(&Default::default()).unwrap();
    assert_eq!(all.len(), 1, "one record: {all:?}");
    // One sender notice and one DPO alert, not two of each.
    assert_eq!(q.flush_outbox().unwrap().deferred, 2);
    let events: Vec<String> = q
        .store()
        .audit_for(&first)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["held", "held_again"], "{events:?}");
    assert!(
        q.verify_audit().unwrap().is_ok(),
        "the chain still verifies"
    );

    // The same bytes to other recipients: a different message.
    let mut other = envelope(11);
    other.recipients.push("someone@else.example".into());
    let third = q
        .hold(&dlp_milter::quarantine::HoldRequest {
            raw: &raw,
            envelope: &other,
            report: &rep,
        })
        .unwrap()
        .id;
    assert_ne!(third, first);

    // Once the hold is dealt with, sending it again is a new hold.
    q.delete(&first, "dpo", "sent in error").unwrap();
    let fourth = hold(&q, 11);
    assert_ne!(fourth, first);
    assert_eq!(q.list(&Default::default()).unwrap().len(), 3);
}
