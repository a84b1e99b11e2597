//! mail-parser's tree → [`Message`], within [`ParseLimits`].

use super::{Attachment, BodyText, Mailbox, Message, MessageEncryption};
use base64::Engine;
use mail_parser::{Address, HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};

/// Caps on the work one message may cause while it is being taken apart.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// Bytes of the raw message that are parsed; the rest is not scanned (and reported).
    pub max_message_bytes: usize,
    /// MIME parts looked at; later parts are not scanned (and reported).
    pub max_parts: usize,
    /// Bytes of one body text that are scanned: as large as the extractors'
    /// per-file text cap (`[limits] max_text_bytes` sets both), so a body is
    /// read as far as an attachment would be.
    pub max_text_chars: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message_bytes: 50 * 1024 * 1024,
            max_parts: 500,
            max_text_chars: 64 * 1024 * 1024,
        }
    }
}

/// Notes (once) that parts past [`ParseLimits::max_parts`] were not
/// scanned. Body parts count as much as attachments: 501 inline text parts
/// with no filename were cut at 500 without a word (issue 20).
fn note_parts_cap(capped: &mut Vec<String>, limits: &ParseLimits) {
    let note = format!(
        "more than {} MIME parts: the rest were not scanned",
        limits.max_parts
    );
    if !capped.contains(&note) {
        capped.push(note);
    }
}

/// Parses raw message bytes. Never fails: anything mail-parser cannot make
/// sense of becomes a message with the raw text as its body (so identifiers in
/// a broken message are still seen) and a note in `capped`.
pub fn parse(raw: &[u8], limits: &ParseLimits) -> Message {
    let mut out = Message::default();
    let raw = if raw.len() > limits.max_message_bytes {
        out.capped.push(format!(
            "message larger than {} bytes: only the first {} bytes were scanned",
            limits.max_message_bytes, limits.max_message_bytes
        ));
        &raw[..limits.max_message_bytes]
    } else {
        raw
    };
    let Some(msg) = MessageParser::default().parse(raw) else {
        out.capped.push(UNPARSED_NOTE.into());
        out.bodies.push(BodyText {
            text: truncate_chars(
                &String::from_utf8_lossy(raw),
                limits.max_text_chars,
                &mut out.capped,
            ),
            from_html: false,
        });
        return out;
    };

    out.message_id = msg.message_id().map(str::to_owned);
    out.subject = msg.subject().map(str::to_owned);
    out.from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.to_ascii_lowercase());
    for h in msg.headers() {
        let value = raw
            .get(h.offset_start as usize..h.offset_end as usize)
            .map(|v| String::from_utf8_lossy(v).trim_end().to_string())
            .unwrap_or_default();
        out.headers.push((h.name.as_str().to_string(), value));
    }
    out.to = mailboxes(msg.header_values("To"));
    out.cc = mailboxes(msg.header_values("Cc"));

    let root = msg.root_part();
    if let Some(ct) = root.content_type() {
        let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
        let ctype = ct.ctype().to_ascii_lowercase();
        if ctype == "multipart" && sub == "encrypted" {
            out.encryption = Some(MessageEncryption::PgpMime);
        } else if ctype == "application" && (sub == "pkcs7-mime" || sub == "x-pkcs7-mime") {
            let smime_type = ct
                .attribute("smime-type")
                .unwrap_or("")
                .to_ascii_lowercase();
            // signed-data is not encryption; enveloped/authEnveloped is. With no
            // parameter, look at the DER content-type OID instead.
            let enveloped = smime_type.contains("enveloped")
                || (smime_type.is_empty() && smime_oid_is_enveloped(root_binary(&root.body)));
            if enveloped {
                out.encryption = Some(MessageEncryption::Smime);
            }
        }
    }

    let mut parts_seen = 0usize;
    for id in msg.text_body.iter().copied() {
        parts_seen += 1;
        if parts_seen > limits.max_parts {
            note_parts_cap(&mut out.capped, limits);
            break;
        }
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(t) => out.bodies.push(BodyText {
                text: truncate_chars(t, limits.max_text_chars, &mut out.capped),
                from_html: false,
            }),
            PartType::Html(h) => out.bodies.push(BodyText {
                text: truncate_chars(
                    &super::html_to_text(h),
                    limits.max_text_chars,
                    &mut out.capped,
                ),
                from_html: true,
            }),
            _ => {}
        }
    }
    // HTML alternatives of text parts: usually the same content, scanned once
    // through the text part. But a plain-text part can be a stub ("view this
    // message in a browser") or leave out what the HTML shows, so the HTML is
    // scanned too when it says more.
    let plain: String = out
        .bodies
        .iter()
        .filter(|b| !b.from_html)
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for id in msg
        .html_body
        .iter()
        .copied()
        .filter(|id| !msg.text_body.contains(id))
    {
        parts_seen += 1;
        if parts_seen > limits.max_parts {
            note_parts_cap(&mut out.capped, limits);
            break;
        }
        if let Some(PartType::Html(h)) = msg.parts.get(id as usize).map(|p| &p.body) {
            let text = truncate_chars(
                &super::html_to_text(h),
                limits.max_text_chars,
                &mut out.capped,
            );
            if says_more(&text, &plain) {
                out.bodies.push(BodyText {
                    text,
                    from_html: true,
                });
            }
        }
    }
    if out.encryption.is_none()
        && out
            .bodies
            .iter()
            .any(|b| b.text.contains("-----BEGIN PGP MESSAGE-----"))
    {
        out.encryption = Some(MessageEncryption::PgpInline);
    }

    for (n, id) in msg.attachments.iter().copied().enumerate() {
        parts_seen += 1;
        if parts_seen > limits.max_parts {
            note_parts_cap(&mut out.capped, limits);
            break;
        }
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let declared_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(s) => format!("{}/{}", ct.ctype(), s).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        let (data, default_name): (Vec<u8>, String) = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                (b.to_vec(), format!("part-{}.bin", n + 1))
            }
            PartType::Text(t) => (t.as_bytes().to_vec(), format!("part-{}.txt", n + 1)),
            PartType::Html(h) => (h.as_bytes().to_vec(), format!("part-{}.html", n + 1)),
            PartType::Message(m) => (m.raw_message().to_vec(), format!("message-{}.eml", n + 1)),
            PartType::Multipart(_) => continue,
        };
        let data = lenient_base64(part)
            .or_else(|| uudecoded(part))
            .unwrap_or(data);
        let name = part
            .attachment_name()
            .map(sanitize_name)
            .filter(|s| !s.is_empty())
            .unwrap_or(default_name);
        out.attachments.push(Attachment {
            name,
            declared_type,
            data,
        });
    }
    out
}

/// A base64 part mail-parser gave up on (a stray character among the
/// base64, which it then keeps as raw text): decoded leniently, skipping
/// what is not in the alphabet, as mail clients do. The recipient's client
/// shows the content, so it is what must be scanned; the raw base64 hid an
/// NI number from every detector (issue 20).
fn lenient_base64(part: &MessagePart<'_>) -> Option<Vec<u8>> {
    if !part.is_encoding_problem
        || !part
            .content_transfer_encoding()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"))
    {
        return None;
    }
    let mut alphabet: Vec<u8> = part
        .contents()
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        .collect();
    // A lone sixth bit-group cannot be decoded: dropped.
    if alphabet.len() % 4 == 1 {
        alphabet.pop();
    }
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(&alphabet).ok()
}

/// A part sent with `Content-Transfer-Encoding: x-uuencode` (or `uuencode`,
/// `x-uue`), which mail-parser keeps as its encoded text: decoded from its
/// `begin` line to `end`. Old clients still send it, and mail clients show
/// it decoded; read as text, the CSV inside was noise to every detector.
fn uudecoded(part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let cte = part
        .content_transfer_encoding()?
        .trim()
        .to_ascii_lowercase();
    if !matches!(cte.as_str(), "x-uuencode" | "uuencode" | "x-uue" | "uue") {
        return None;
    }
    uudecode(part.contents())
}

/// The data of the first uuencoded block in `text` (`begin MODE NAME` ...
/// `end`); lines that do not decode are skipped, as uudecode does.
fn uudecode(text: &[u8]) -> Option<Vec<u8>> {
    let mut lines = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    lines.find(|l| l.starts_with(b"begin "))?;
    let mut out = Vec::new();
    for line in lines {
        if line == b"end" {
            break;
        }
        let Some((&len, rest)) = line.split_first() else {
            continue;
        };
        let n = usize::from(len.wrapping_sub(b' ') & 0x3F);
        if n == 0 {
            continue;
        }
        let mut bytes = Vec::with_capacity(n + 2);
        for group in rest.chunks(4) {
            let v = group
                .iter()
                .chain(std::iter::repeat(&b'`'))
                .take(4)
                .fold(0u32, |a, &c| {
                    a << 6 | u32::from(c.wrapping_sub(b' ') & 0x3F)
                });
            bytes.extend_from_slice(&v.to_be_bytes()[1..]);
        }
        bytes.truncate(n);
        out.extend_from_slice(&bytes);
    }
    Some(out)
}

/// True when an HTML alternative carries more than its plain-text sibling:
/// clearly longer, or a number-bearing token the plain text does not have
/// (identifiers are number-bearing; markup-only differences are not).
fn says_more(html_text: &str, plain: &str) -> bool {
    let words = |s: &str| s.split_whitespace().count();
    if words(html_text) * 4 > words(plain) * 5 + 40 {
        return true;
    }
    let plain_tokens: std::collections::HashSet<&str> = plain
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .filter(|t| t.bytes().any(|b| b.is_ascii_digit()))
        .collect();
    html_text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
        .filter(|t| t.bytes().any(|b| b.is_ascii_digit()))
        .any(|t| !plain_tokens.contains(t))
}

fn root_binary<'a>(body: &'a PartType<'_>) -> &'a [u8] {
    match body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b,
        _ => &[],
    }
}

/// DER: SEQUENCE { OID 1.2.840.113549.1.7.3 (envelopedData) ...}. The OID
/// bytes appear within the first few bytes of the ContentInfo.
fn smime_oid_is_enveloped(der: &[u8]) -> bool {
    const ENVELOPED: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03,
    ];
    let head = &der[..der.len().min(32)];
    head.windows(ENVELOPED.len()).any(|w| w == ENVELOPED)
}

/// Keeps attachment names printable and path-free (they end up in JSON,
/// logs and notices).
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// The note in `capped` when mail-parser could not parse the message: the
/// whole of it was then scanned as text, so this note alone does not make
/// the message "could not be checked".
pub const UNPARSED_NOTE: &str = "message could not be parsed as MIME: scanned as plain text";

/// `s` cut to `max` bytes (on a character boundary). A cut is noted in
/// `capped` (once per message): text beyond the cap was never scanned, and
/// the failure policy must hear of it rather than pass the message silently.
fn truncate_chars(s: &str, max: usize, capped: &mut Vec<String>) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let note = format!("body text longer than {max} bytes: the rest was not scanned");
    if !capped.contains(&note) {
        capped.push(note);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn mailboxes<'a>(values: impl Iterator<Item = &'a HeaderValue<'a>>) -> Vec<Mailbox> {
    let mut out = Vec::new();
    for v in values {
        match v {
            HeaderValue::Address(Address::List(list)) => {
                for a in list {
                    out.push(Mailbox {
                        address: a.address().map(|s| s.to_ascii_lowercase()),
                        group: None,
                    });
                }
            }
            HeaderValue::Address(Address::Group(groups)) => {
                for g in groups {
                    let gname = g.name.as_deref().map(str::to_owned);
                    if g.addresses.is_empty() {
                        out.push(Mailbox {
                            address: None,
                            group: gname.clone(),
                        });
                    }
                    for a in &g.addresses {
                        out.push(Mailbox {
                            address: a.address().map(|s| s.to_ascii_lowercase()),
                            group: gname.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_truncated_body_is_reported_once() {
        let limits = ParseLimits {
            max_text_chars: 64,
            ..ParseLimits::default()
        };
        let long = "word ".repeat(100);
        let raw = format!(
            "Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n{long}\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>{long} more</p>\r\n--b--\r\n"
        );
        let m = parse(raw.as_bytes(), &limits);
        let notes: Vec<&String> = m
            .capped
            .iter()
            .filter(|c| c.contains("body text"))
            .collect();
        assert_eq!(notes.len(), 1, "{:?}", m.capped);
        assert!(m.bodies.iter().all(|b| b.text.len() <= 64));
        let short = parse(b"Subject: x\r\n\r\nshort\r\n", &limits);
        assert!(short.capped.is_empty(), "{:?}", short.capped);
    }

    use super::*;

    /// Issue 20 variant: 501 inline text parts (no filename, so body parts,
    /// not attachments), the NI number in the last: the cap is reported,
    /// once, as it is for attachments.
    #[test]
    fn body_parts_past_the_cap_are_reported() {
        let mut raw =
            String::from("Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
        for i in 0..501 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: text/plain\r\n\r\nnote {i}\r\n"
            ));
        }
        raw.push_str("--b--\r\n");
        let m = parse(raw.as_bytes(), &ParseLimits::default());
        let notes: Vec<&String> = m
            .capped
            .iter()
            .filter(|c| c.contains("MIME parts"))
            .collect();
        assert_eq!(notes.len(), 1, "{:?}", m.capped);
        let within = raw.replace("note 500", "").replacen(
            "--b\r\nContent-Type: text/plain\r\n\r\n\r\n",
            "",
            1,
        );
        let m = parse(within.as_bytes(), &ParseLimits::default());
        assert!(m.capped.is_empty(), "{:?}", m.capped);
    }

    /// Issue 20 variant: a base64 attachment or body with a stray
    /// character in it was kept by mail-parser as raw base64, hiding its
    /// content; it is decoded leniently, as mail clients show it.
    #[test]
    fn base64_with_stray_characters_is_decoded() {
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("Name,Note\r\nPriya Shah,JT 48 22 91 B\r\n");
        let broken = format!("{}!!{}\r\n{}", &b64[..20], &b64[20..40], &b64[40..]);
        let raw = format!(
            "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{broken}\r\n\
             --b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=p.csv\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{broken}\r\n--b--\r\n"
        );
        let m = parse(raw.as_bytes(), &ParseLimits::default());
        // mail-parser takes an undecodable body part for an attachment:
        // both parts are there, decoded.
        assert_eq!(m.attachments.len(), 2, "{:?}", m.attachments);
        for a in &m.attachments {
            let text = String::from_utf8_lossy(&a.data).into_owned();
            assert!(text.contains("Priya Shah,JT 48 22 91 B"), "{text:?}");
        }
    }

    /// Issue 20 variant: an attachment sent uuencoded
    /// (`Content-Transfer-Encoding: x-uuencode`) is decoded.
    #[test]
    fn uuencoded_attachments_are_decoded() {
        // `uuencode pupils.csv` of "Name,Note\r\nPriya Shah,JT 48 22 91 B\r\n".
        let uu = "begin 644 pupils.csv\r\nE3F%M92Q.;W1E#0I0<FEY82!3:&%H+$I4(#0X(#(R(#DQ($(-\"@``\r\n`\r\nend\r\n";
        let raw = format!(
            "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=pupils.csv\r\n\
             Content-Transfer-Encoding: x-uuencode\r\n\r\n{uu}--b--\r\n"
        );
        let m = parse(raw.as_bytes(), &ParseLimits::default());
        let csv = String::from_utf8_lossy(&m.attachments[0].data).into_owned();
        assert_eq!(csv, "Name,Note\r\nPriya Shah,JT 48 22 91 B\r\n");
    }

    #[test]
    fn undisclosed_recipients_is_an_empty_group() {
        let m = parse(
            b"From: a@x.org\r\nTo: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbody\r\n",
            &ParseLimits::default(),
        );
        assert_eq!(m.to.len(), 1);
        assert_eq!(m.to[0].address, None);
        assert_eq!(m.subject.as_deref(), Some("hi"));
        assert_eq!(m.bodies[0].text.trim(), "body");
    }

    #[test]
    fn encoded_subject_is_decoded() {
        let m = parse(
            b"Subject: =?utf-8?q?NHS_401_023_2137?=\r\n\r\nx\r\n",
            &ParseLimits::default(),
        );
        assert_eq!(m.subject.as_deref(), Some("NHS 401 023 2137"));
    }

    #[test]
    fn html_only_becomes_text() {
        let m = parse(
            b"Content-Type: text/html\r\n\r\n<p>Tyler&nbsp;Evans <b>EHCP</b></p>\r\n",
            &ParseLimits::default(),
        );
        assert!(m.bodies[0].from_html);
        assert!(m.bodies[0].text.contains("EHCP"), "{:?}", m.bodies[0].text);
        assert!(!m.bodies[0].text.contains("<b>"));
    }

    const ALT: &str = "Content-Type: multipart/alternative; boundary=\"A\"\r\n\r\n--A\r\nContent-Type: text/plain\r\n\r\nPLAIN\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n--A--\r\n";

    fn alt(plain: &str, html: &str) -> Message {
        parse(
            ALT.replace("PLAIN", plain).replace("HTML", html).as_bytes(),
            &ParseLimits::default(),
        )
    }

    #[test]
    fn html_alternative_with_the_same_content_is_not_scanned_twice() {
        let m = alt(
            "Trip on Friday 21 November, coach at 8.45.",
            "Trip on <b>Friday</b> 21 November, coach at 8.45.",
        );
        assert_eq!(m.bodies.len(), 1);
        assert!(!m.bodies[0].from_html);
    }

    #[test]
    fn html_alternative_behind_a_stub_is_scanned() {
        let m = alt(
            "View this message in a browser.",
            "Referral for Oliver Grant. NHS number 485 777 3457. GP: Dr Mensah at Riverside Surgery, seen on Tuesday.",
        );
        assert_eq!(m.bodies.len(), 2);
        assert!(m.bodies[1].text.contains("485 777 3457"));
    }

    #[test]
    fn html_alternative_with_an_extra_number_is_scanned() {
        let m = alt(
            "Pupil: Oliver Grant. NHS number: see below.",
            "Pupil: Oliver Grant. NHS number: 4857773457.",
        );
        assert_eq!(m.bodies.len(), 2);
    }

    #[test]
    fn oversized_message_is_capped_and_reported() {
        let limits = ParseLimits {
            max_message_bytes: 40,
            ..Default::default()
        };
        let m = parse(
            b"Subject: x\r\n\r\n0123456789012345678901234567890123456789\r\n",
            &limits,
        );
        assert_eq!(m.capped.len(), 1);
    }
}
