//! A forwarded message (message/rfc822, .eml) inside an attachment: its
//! subject and bodies become text, its attachments are extracted in turn
//! with `<this>/<inner>` paths, one level deeper.

use super::budget::Budget;
use super::dispatch::{extract_into, inner_path};
use super::error::ExtractError;
use super::report::{push_text, Extraction};
use crate::detect::TextKind;
use crate::message::{parse, ParseLimits};

/// A forwarded message: its subject and bodies are text, its attachments are
/// extracted in turn with `<this>/<inner>` paths.
pub(super) fn extract_message(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
    file_index: usize,
) {
    let limits = ParseLimits {
        max_text_chars: budget.limits.max_text_chars,
        ..ParseLimits::default()
    };
    let msg = parse(data, &limits);
    if let Some(enc) = msg.encryption {
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(enc.as_str().to_string());
        }
        return;
    }
    let mut text = String::new();
    if let Some(s) = &msg.subject {
        text.push_str("Subject: ");
        text.push_str(s);
        text.push('\n');
    }
    for b in &msg.bodies {
        text.push_str(&b.text);
        text.push('\n');
    }
    push_text(
        out,
        path,
        TextKind::Attachment,
        text,
        budget.limits.max_text_chars,
    );
    for a in &msg.attachments {
        let inner = inner_path(path, &a.name);
        if budget.out_of_time() {
            out.skip(&inner, ExtractError::Time.to_string(), true);
            continue;
        }
        extract_into(&inner, &a.declared_type, &a.data, budget, depth + 1, out);
    }
}
