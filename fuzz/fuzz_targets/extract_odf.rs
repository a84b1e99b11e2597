//! The OpenDocument readers (odt, ods, odp: ZIP + content.xml, repeated rows and columns) on any bytes; the first byte picks the type.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Odt, "a.odt"),
    (FileKind::Ods, "a.ods"),
    (FileKind::Odp, "a.odp"),
];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
