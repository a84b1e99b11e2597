//! HTML attachments to text (entities, comments, attributes, unclosed tags) on any bytes, after charset detection.
#![no_main]
use dlp_extract::{extract_as, Budget, FileKind, Limits};
use libfuzzer_sys::fuzz_target;

/// The reader's types; with more than one, the first input byte picks.
const KINDS: &[(FileKind, &str)] = &[(FileKind::Html, "a.html")];

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
