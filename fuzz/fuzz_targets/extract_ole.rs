//! The OLE compound-file readers (.xls BIFF, .doc, .ppt, encrypted OOXML containers) on any bytes; the first byte picks the file name the reader sees.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Ole, "a.xls"),
    (FileKind::Ole, "a.doc"),
    (FileKind::Ole, "a.ppt"),
];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
