//! The rules parser on any text: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dlp_milter::policy::parse_rules("fuzz.toml", s, &["uk_nino", "recipient_count"]);
    }
});
