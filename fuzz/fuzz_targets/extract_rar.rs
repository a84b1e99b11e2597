//! The RAR header reader (RAR4 and RAR5 encryption flags) on any bytes.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[(FileKind::Rar, "a.rar")];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
