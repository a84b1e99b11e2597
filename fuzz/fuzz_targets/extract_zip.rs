//! The ZIP reader (zipfile.rs + inflate) on any bytes, under the default limits; members go back through the sniffing dispatcher.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[(FileKind::Zip, "a.zip")];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
