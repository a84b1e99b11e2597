//! A forwarded message (message/rfc822, .eml) inside an attachment: its
//! subject and bodies become text, its attachments are extracted in turn
//! with `<this>/<inner>` paths, one level deeper.

use super::budget::Budget;
use super::dispatch::{extract_into, inner_path};
use super::error::ExtractError;
use super::report::{push_text, Extraction};
use crate::TextKind;

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
    let Some(read) = budget.mail_reader else {
        out.skip(path, "forwarded message not read: no message reader", true);
        return;
    };
    let msg = read(data, budget.limits.max_text_chars);
    if let Some(enc) = msg.encryption {
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(enc);
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
        text.push_str(b);
        text.push('\n');
    }
    push_text(out, path, TextKind::Attachment, text, budget);
    for note in &msg.capped {
        out.skip(path, note.as_str(), true);
    }
    for a in &msg.attachments {
        let inner = inner_path(path, &a.name);
        if budget.out_of_time() {
            out.skip(&inner, ExtractError::Time.to_string(), true);
            continue;
        }
        extract_into(&inner, &a.declared_type, &a.data, budget, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::{extract, Budget, Limits, NestedAttachment, NestedMail};

    const FORWARDED: &[u8] = b"From: a@b.example\r\nSubject: fwd\r\n\r\nbody\r\n";

    /// Without a reader a forwarded message is reported, never passed
    /// silently as if it had been read.
    #[test]
    fn without_a_reader_a_forwarded_message_is_not_scanned() {
        let mut budget = Budget::new(Limits::default());
        let ex = extract("fwd.eml", "message/rfc822", FORWARDED, &mut budget);
        assert!(ex.texts.is_empty());
        assert_eq!(ex.not_scanned.len(), 1);
        assert!(ex.not_scanned[0].reason.contains("no message reader"));
        assert!(ex.not_scanned[0].document);
    }

    fn reader(_: &[u8], _: usize) -> NestedMail {
        NestedMail {
            encryption: None,
            subject: Some("Pupil list".into()),
            bodies: vec!["see attached".into()],
            attachments: vec![NestedAttachment {
                name: "list.csv".into(),
                declared_type: "text/csv".into(),
                data: b"name,upn\nAmira Khan,P801200216001\n".to_vec(),
            }],
            capped: vec![],
        }
    }

    /// With one, its subject and bodies are text and its attachments are
    /// extracted one level down, under the message's path.
    #[test]
    fn a_reader_gives_text_and_nested_attachments() {
        let mut budget = Budget::new(Limits::default());
        budget.mail_reader = Some(reader);
        let ex = extract("fwd.eml", "message/rfc822", FORWARDED, &mut budget);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(ex.texts.len(), 2);
        assert_eq!(ex.texts[0].text, "Subject: Pupil list\nsee attached\n");
        assert_eq!(ex.texts[1].path, "fwd.eml/list.csv");
        assert_eq!(ex.texts[1].text, "name: Amira Khan | upn: P801200216001\n");
    }

    /// What the reader left out of a forwarded message (its own part or
    /// text caps) is reported as could not be checked, not dropped.
    #[test]
    fn a_forwarded_message_cut_by_a_cap_is_reported() {
        fn cut(data: &[u8], max: usize) -> NestedMail {
            NestedMail {
                capped: vec!["more than 500 MIME parts: the rest were not scanned".into()],
                ..reader(data, max)
            }
        }
        let mut budget = Budget::new(Limits::default());
        budget.mail_reader = Some(cut);
        let ex = extract("fwd.eml", "message/rfc822", FORWARDED, &mut budget);
        assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
        assert_eq!(ex.not_scanned[0].location, "attachment:fwd.eml");
        assert!(ex.not_scanned[0]
            .reason
            .contains("more than 500 MIME parts"));
        assert!(ex.not_scanned[0].document);
        // What was read is still there.
        assert_eq!(ex.texts[1].path, "fwd.eml/list.csv");
    }

    #[test]
    fn an_encrypted_forwarded_message_is_marked_encrypted() {
        fn smime(_: &[u8], _: usize) -> NestedMail {
            NestedMail {
                encryption: Some("smime".into()),
                ..NestedMail::default()
            }
        }
        let mut budget = Budget::new(Limits::default());
        budget.mail_reader = Some(smime);
        let ex = extract("fwd.eml", "message/rfc822", FORWARDED, &mut budget);
        assert!(ex.encrypted());
        assert!(ex.texts.is_empty());
    }
}
