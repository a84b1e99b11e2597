//! The release/notice marker check on any message bytes: the header block
//! parser, the body hash (line-ending normalisation) and the marker value
//! parser (`v2; k=..; id=..; t=..; mac=..`) under a fixed key and clock.
//! Seeds carry valid markers for this key and time, so mutations reach the
//! MAC comparison and the binding, not only the syntax errors.
#![no_main]
use dlp_milter::quarantine::marker::{parse_headers, verify_with, Binding, Kind};
use libfuzzer_sys::fuzz_target;

/// The seeds were signed with this key at this time (fuzz/gen_seeds.py).
const KEY: &[u8] = b"dlp-milter fuzz marker key 32 b.";
const PREVIOUS: &[u8] = b"dlp-milter previous marker key!!";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let headers = parse_headers(data);
    let recipients = [
        "dpo@school.example".to_string(),
        "Head@School.Example".to_string(),
    ];
    let binding = Binding::of_message(data, "office@school.example", &recipients);
    for kind in [Kind::Release, Kind::Notice] {
        if let Ok(v) = verify_with(&headers, &[KEY, PREVIOUS], kind, &binding, NOW) {
            // Only a marker signed with one of the keys for this kind verifies;
            // what it reports must be usable.
            assert_eq!(v.kind, kind);
            let _ = v.used_key();
            assert!(v.remember_until() >= NOW);
        }
    }
});
