//! Plain text, CSV and TSV attachments (encoding detection incl. UTF-16 with and without BOM, the table rendering) on any bytes; the first byte picks the type.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Text, "a.txt"),
    (FileKind::Csv, "a.csv"),
    (FileKind::Tsv, "a.tsv"),
];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
