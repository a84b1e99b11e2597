//! The config and rules loaders on any text: `Config::from_toml` (TOML →
//! Config, limits and log validation) and `parse_rules` (TOML → rules,
//! detector/location/action/count validation) must return an error, never
//! panic. Both read the same input: a rules file and a config file are
//! both TOML an admin edits, and a mutation useful to one often reaches
//! the other's validation.
#![no_main]
use dlp_milter::config::Config;
use dlp_milter::detect::known_detector_ids;
use dlp_milter::policy::parse_rules;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static KNOWN: OnceLock<Vec<&'static str>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let known = KNOWN.get_or_init(known_detector_ids);
    let _ = parse_rules("fuzz.toml", src, known);
    if let Ok(cfg) = Config::from_toml("fuzz.toml", src) {
        // What the daemon derives from a loaded config must not panic either.
        let _ = cfg.internal_domains();
        let _ = cfg.milter.validate();
    }
});
