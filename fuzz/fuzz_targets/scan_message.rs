//! Whole-engine fuzzing: any bytes as a message. The engine must return a
//! report (it catches parser panics itself, so also check it reports none).
#![no_main]
use dlp_milter::config::Config;
use dlp_milter::scan::Engine;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common/known_panics.rs"]
mod known_panics;

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine =
        ENGINE.get_or_init(|| Engine::from_config(&Config::default()).expect("shipped rules"));
    known_panics::run(|| {
        let report = engine.scan(data, None);
        // The engine catches parser panics; only a listed dependency
        // assertion of the fuzz build may be among them.
        assert!(
            report
                .error
                .as_deref()
                .is_none_or(known_panics::is_known_message),
            "{:?}",
            report.error
        );
    });
});
