//! Whole-engine fuzzing: any bytes as a message. The engine must return a
//! report (it catches parser panics itself, so also check it reports none).
#![no_main]
use dlp_milter::config::Config;
use dlp_milter::scan::Engine;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine =
        ENGINE.get_or_init(|| Engine::from_config(&Config::default()).expect("shipped rules"));
    let report = engine.scan(data, None);
    assert!(report.error.is_none(), "{:?}", report.error);
});
