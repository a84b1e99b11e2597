//! The OOXML readers (docx, xlsx, pptx: ZIP + XML parts, shared strings, styles) on any bytes; the first byte picks the type.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Docx, "a.docx"),
    (FileKind::Xlsx, "a.xlsx"),
    (FileKind::Pptx, "a.pptx"),
];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
