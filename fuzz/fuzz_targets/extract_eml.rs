//! Forwarded messages (message/rfc822 attachments, .eml files) on any
//! bytes: the application's MIME reader handed to the extractor, the
//! nested parts and attachments back through the dispatcher, to depth.
#![no_main]
use dlp_milter::extract::{extract_as, read_mail, Budget, FileKind, Limits};
use libfuzzer_sys::fuzz_target;

#[path = "common/known_panics.rs"]
mod known_panics;

fuzz_target!(|data: &[u8]| {
    known_panics::run(|| {
        let mut budget = Budget::new(Limits::default());
        budget.mail_reader = Some(read_mail);
        let _ = extract_as(FileKind::Email, "forwarded.eml", data, &mut budget);
    });
});
