//! The RTF reader on any bytes.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[(FileKind::Rtf, "a.rtf")];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
