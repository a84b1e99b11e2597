//! Attachment extractors (ZIP, OOXML, ODF, PDF, OLE, RTF, ...) on any bytes,
//! under the default limits. The first byte picks the file name hint.
//! Links only dlp-extract: a forwarded message (.eml) inside is reported as
//! not scanned here (MIME is the scan_message target's).
#![no_main]
use dlp_extract::{extract, Budget, Limits};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &["a.zip", "a.docx", "a.xlsx", "a.pdf", "a.odt", "a.doc", "a.xls", "a.rtf", "a.csv", "a.eml", "a.7z", "a.bin"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let mut budget = Budget::new(Limits::default());
    let _ = extract(name, "application/octet-stream", bytes, &mut budget);
});
