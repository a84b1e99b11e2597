//! Inputs the fuzz targets (fuzz/, scripts/fuzz.sh) flagged, replayed the
//! way the target fed them, so each stays answered within a bound.
//!
//! `fixtures/fuzz-regressions/milter/`: MTA byte streams (a full session:
//! negotiation, macros, envelope, headers with mangled lengths, body, end
//! of message) on which the milter target reported a leak after a long run
//! (2026-12-07). No single replay reproduced it: the MTA's half closed while
//! the end-of-message scan was still running on a blocking thread, whose
//! allocations were live when libFuzzer checked the input's balance. What
//! must hold, and is asserted here: the session answers the negotiation,
//! closes when the MTA does, and every scan it started has finished (none
//! left in flight) once the runtime that ran it is gone.
//!
//! `fixtures/fuzz-regressions/extract_rar/`: RAR 5 headers whose extra-area
//! record length made the walk's step wrap to 0 (a hang in release, an
//! overflow panic with checks on; fixed in crates/extract/src/rar.rs).
//!
//! `fixtures/fuzz-regressions/extract_eml/`: a forwarded message on which
//! mail-parser 0.11.9 trips its own `debug_assert!` ("Invalid part ID"): in
//! a build with debug assertions (these tests, the fuzz build) it panics
//! inside the dependency. The engine must still answer: a report, and if a
//! parser panicked, that panic and nothing else as its error (the daemon
//! then holds the message as "could not be checked").

use dlp_milter::config::Config;
use dlp_milter::extract::{extract_as, Budget, FileKind, Limits};
use dlp_milter::milter::Milter;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The milter target's session (store, in-memory connection, MTA side).
#[path = "../fuzz/fuzz_targets/common/milter_session.rs"]
mod milter_session;

use milter_session::NullStore;

/// Feeds `data` as the MTA and returns the milter's replies.
fn replay(milter: &Milter, data: &[u8]) -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (served, replies) = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(10),
            milter_session::session(milter, data),
        )
        .await
        .expect("the session ends when the MTA closes")
    });
    served.unwrap();
    drop(rt); // joins the blocking threads: a scan still running ends here
    replies
}

#[test]
fn milter_streams_the_fuzzer_flagged_are_answered_and_leave_nothing_running() {
    let milter = Milter::new(&Config::default(), Arc::new(NullStore), b"k".to_vec()).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions/milter");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let replies = replay(&milter, &data);
        // The first reply is the option negotiation: length, then 'O'.
        assert_eq!(
            replies.get(4),
            Some(&b'O'),
            "{}: {replies:?}",
            path.display()
        );
        assert_eq!(milter.in_flight(), 0, "{}", path.display());
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{}: {:?}",
            path.display(),
            start.elapsed()
        );
        n += 1;
    }
    assert!(n >= 2, "regression inputs missing from {}", dir.display());
}

#[test]
fn a_message_that_trips_mail_parsers_own_assertion_is_still_answered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions/extract_eml");
    let engine = dlp_milter::scan::Engine::from_config(&Config::default()).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let report = engine.scan(&data, None);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{}",
            path.display()
        );
        if let Some(e) = &report.error {
            assert!(e.contains("Invalid part ID"), "{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n >= 1, "no inputs in {}", dir.display());
}

#[test]
fn rar_headers_the_fuzzer_flagged_are_reported_malformed_at_once() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions/extract_rar");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        let mut budget = Budget::new(Limits::default());
        let ex = extract_as(FileKind::Rar, "a.rar", &data, &mut budget);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{}",
            path.display()
        );
        // Not a readable archive, and not taken for an encrypted one.
        assert!(ex.files[0].encrypted.is_none(), "{}", path.display());
        assert!(
            ex.not_scanned
                .iter()
                .any(|n| n.reason.contains("malformed")),
            "{}: {:?}",
            path.display(),
            ex.not_scanned
        );
        n += 1;
    }
    assert!(n >= 6, "regression inputs missing from {}", dir.display());
}
