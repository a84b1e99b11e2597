//! The compressed-stream readers (gzip, bzip2, xz, zstd) and the tar
//! walker on any bytes, under the default limits.
#![no_main]
use dlp_extract::FileKind;
use libfuzzer_sys::fuzz_target;

#[path = "common/extract.rs"]
mod extract;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Gzip, "a.csv.gz"),
    (FileKind::Bzip2, "a.csv.bz2"),
    (FileKind::Xz, "a.csv.xz"),
    (FileKind::Zstd, "a.csv.zst"),
    (FileKind::Tar, "a.tar"),
];

fuzz_target!(|data: &[u8]| extract::run(KINDS, data));
