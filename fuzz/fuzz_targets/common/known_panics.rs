//! Debug assertions of third-party parsers that the fuzz build trips.
//!
//! The fuzz build turns debug assertions on for every crate (they found the
//! RAR overflow in our own code), so a `debug_assert!` inside a dependency
//! panics here although it is compiled out of the release binary. Where the
//! dependency's own check is not a bug of ours and cannot be avoided from
//! outside, it is listed below by crate and message; a listed panic unwinds
//! to [`run`] and the input counts as rejected, while every other panic still
//! aborts through libFuzzer's hook and is reported. In the daemon any parser
//! panic is caught by `Engine::analyse` and the message held as "could not
//! be checked" (tests/fuzz_regressions.rs replays the inputs through it).
//!
//! - mail-parser 0.11.9, src/parsers/message.rs: `debug_assert!(false,
//!   "Invalid part ID, could not find multipart.")` on a nested part whose
//!   multipart parent it lost track of (found by extract_eml in CI).

use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

const KNOWN: &[(&str, &str)] = &[("mail-parser", "Invalid part ID, could not find multipart.")];

fn is_known(info: &PanicHookInfo<'_>) -> bool {
    let file = info.location().map(|l| l.file()).unwrap_or("");
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    KNOWN
        .iter()
        .any(|(krate, m)| file.contains(krate) && msg.contains(m))
}

/// Whether a caught panic's text (as the engine reports it) is a listed
/// dependency assertion. Used by scan_message; extract_eml, which includes
/// this module too, has no engine report to read.
#[allow(dead_code)]
pub fn is_known_message(text: &str) -> bool {
    KNOWN.iter().any(|(_, m)| text.contains(m))
}

/// Runs one input; a listed dependency assertion ends it quietly.
pub fn run(f: impl FnOnce()) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // libFuzzer's hook (abort on any panic) is installed before the
        // first input: keep it for everything not listed above.
        let libfuzzer = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !is_known(info) {
                libfuzzer(info);
            }
        }));
    });
    let _ = panic::catch_unwind(AssertUnwindSafe(f));
}
