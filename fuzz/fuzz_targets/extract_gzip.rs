//! The compressed-stream readers (gzip, bzip2, xz, zstd) and the tar
//! walker on any bytes, under the default limits.
#![no_main]
use dlp_extract::{extract_as, Budget, FileKind, Limits};
use libfuzzer_sys::fuzz_target;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Gzip, "a.csv.gz"),
    (FileKind::Bzip2, "a.csv.bz2"),
    (FileKind::Xz, "a.csv.xz"),
    (FileKind::Zstd, "a.csv.zst"),
    (FileKind::Tar, "a.tar"),
];

fuzz_target!(|data: &[u8]| {
    let (kind, name, bytes) = match KINDS {
        [(k, n)] => (*k, *n, data),
        _ => {
            let Some((&pick, rest)) = data.split_first() else {
                return;
            };
            let (k, n) = KINDS[pick as usize % KINDS.len()];
            (k, n, rest)
        }
    };
    let mut budget = Budget::new(Limits::default());
    let _ = extract_as(kind, name, bytes, &mut budget);
});
