//! The milter side of the MTA connection on any bytes: indymilter decodes
//! the packets (length-prefixed commands: option negotiation, macros,
//! connect, HELO, MAIL, RCPT, headers, body chunks, end of message, abort,
//! quit) and calls our session callbacks, which collect the message, scan
//! it at end of message and carry out the decision (header edits, body
//! replacement, hold into a store that keeps nothing). The bytes arrive
//! over an in-memory stream as if from Postfix; whatever they are, the
//! session must answer or close, never panic or hang.
#![no_main]
use dlp_milter::config::Config;
use dlp_milter::milter::Milter;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

#[path = "common/milter_session.rs"]
mod milter_session;

use milter_session::NullStore;

/// The marker key the daemon checks releases with (the marker target's).
const KEY: &[u8] = b"dlp-milter fuzz marker key 32 b.";

fn milter() -> &'static Milter {
    static MILTER: OnceLock<Milter> = OnceLock::new();
    MILTER.get_or_init(|| {
        Milter::new(&Config::default(), Arc::new(NullStore), KEY.to_vec()).expect("default config")
    })
}

fuzz_target!(|data: &[u8]| {
    let milter = milter();
    // A runtime per input: dropping it joins its blocking threads, so a scan
    // still running when the MTA hung up finishes within this input. With
    // one runtime for the whole run, such a scan's allocations were still
    // live when libFuzzer compared mallocs and frees after the input, and
    // LeakSanitizer reported a leak that no single input reproduces.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let _ = milter_session::session(milter, data).await;
    });
});
