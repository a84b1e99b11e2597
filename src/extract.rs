//! Attachment extraction, from the `dlp-extract` crate (crates/extract),
//! with the one piece it leaves to the application: reading a forwarded
//! message's MIME, which is this crate's `message` module. [`extract`] and
//! [`extract_into`] hand that reader in before extracting, so every caller
//! (the engine, tests, benches) gets forwarded messages read as before.

pub use dlp_extract::*;

use crate::message::{parse, ParseLimits};

/// [`dlp_extract::extract`], with forwarded messages read by [`read_mail`].
pub fn extract(name: &str, declared_type: &str, data: &[u8], budget: &mut Budget) -> Extraction {
    budget.mail_reader.get_or_insert(read_mail);
    dlp_extract::extract(name, declared_type, data, budget)
}

/// [`dlp_extract::extract_into`], with forwarded messages read by [`read_mail`].
pub fn extract_into(
    path: &str,
    declared_type: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) {
    budget.mail_reader.get_or_insert(read_mail);
    dlp_extract::extract_into(path, declared_type, data, budget, depth, out);
}

/// A forwarded message's parts, as the extractor needs them.
pub fn read_mail(data: &[u8], max_text_chars: usize) -> NestedMail {
    let limits = ParseLimits {
        max_text_chars,
        ..ParseLimits::default()
    };
    let msg = parse(data, &limits);
    NestedMail {
        encryption: msg.encryption.map(|e| e.as_str().to_string()),
        subject: msg.subject,
        bodies: msg.bodies.into_iter().map(|b| b.text).collect(),
        attachments: msg
            .attachments
            .into_iter()
            .map(|a| NestedAttachment {
                name: a.name,
                declared_type: a.declared_type,
                data: a.data,
            })
            .collect(),
        // A forward mail-parser could not parse was read whole as text:
        // that note says how, not that something was left out.
        capped: msg
            .capped
            .into_iter()
            .filter(|c| c != crate::message::UNPARSED_NOTE)
            .collect(),
    }
}
