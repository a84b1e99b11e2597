//! The body every `extract_*` target shares: one input through one of a
//! reader's file types, under the default limits. Each target names only
//! its types; how an input becomes a call is the same for all of them, so
//! a corpus entry means the same thing to every target.

use dlp_extract::{extract_as, Budget, FileKind, Limits};

/// Extracts `data` as one of `kinds` (type and the file name it is given).
/// With one kind the whole input is the file; with more, the first byte
/// picks the kind and the rest is the file (an empty input is skipped).
pub fn run(kinds: &[(FileKind, &str)], data: &[u8]) {
    let (kind, name, bytes) = match kinds {
        [(k, n)] => (*k, *n, data),
        _ => {
            let Some((&pick, rest)) = data.split_first() else {
                return;
            };
            let (k, n) = kinds[pick as usize % kinds.len()];
            (k, n, rest)
        }
    };
    let mut budget = Budget::new(Limits::default());
    let _ = extract_as(kind, name, bytes, &mut budget);
}
