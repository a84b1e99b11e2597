//! Outlook's winmail.dat (application/ms-tnef, [MS-OXTNEF]): the real
//! attachments of many Outlook/Exchange messages travel inside it, so they
//! are read out and dispatched one level down like archive members
//! (`winmail.dat/pupils.csv`), and its body (plain, compressed RTF or
//! HTML) is text of the file.
//!
//! A TNEF stream is a signature, then attributes: level (message or
//! attachment), id, length, bytes, checksum. An attachment starts at its
//! `attAttachRendData`; its bytes are `attAttachData`, its names
//! `attAttachTitle` (8.3) and, in its MAPI properties (`attAttachment`),
//! the long file name and MIME tag; an attached Outlook item is a nested
//! TNEF stream in the `PR_ATTACH_DATA_OBJ` property. The message's body is
//! `attBody` or, in `attMsgProps`, `PR_BODY`, `PR_RTF_COMPRESSED` (LZFu,
//! [MS-OXRTFCP]) or `PR_BODY_HTML`.
//!
//! Written here, not with the `tnef` crate (0.1.1, 2019, unmaintained): it
//! fails the whole file on any attribute id outside its table (its table
//! misnumbers `attBody`, so a winmail.dat with a plain body is an error),
//! silently drops an attachment lacking any of six attributes, and reads
//! no MAPI properties, where Outlook keeps the body, long names and
//! attached items. Silently dropped attachments are what this module
//! exists to prevent. The format is a flat list of length-prefixed
//! records; every length is checked against the bytes left, and the
//! checksums are not enforced (a wrong one costs nothing to read past).
//!
//! Caps: attachments per file ([`crate::Limits::max_entries`]), a work
//! unit per attribute and property, the depth of attached items (through
//! the dispatcher), and the decompressed RTF charged to the message's
//! decompressed-bytes budget as it is produced.

use super::error::{ExtractError, Result};
use super::{decode_text, extract_into, push_text, Budget, Extraction};
use crate::TextKind;

const FORMAT: &str = "tnef";

/// The stream's first four bytes (0x223E9F78, little-endian).
pub const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

const LEVEL_MESSAGE: u8 = 1;
const LEVEL_ATTACHMENT: u8 = 2;

const ATT_BODY: u32 = 0x0002_800C;
const ATT_MSG_PROPS: u32 = 0x0006_9003;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
const ATT_ATTACH_TRANSPORT_FILENAME: u32 = 0x0006_9001;
const ATT_ATTACHMENT: u32 = 0x0006_9005;

const PR_BODY: u16 = 0x1000;
const PR_RTF_COMPRESSED: u16 = 0x1009;
const PR_BODY_HTML: u16 = 0x1013;
const PR_ATTACH_DATA: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PR_ATTACH_MIME_TAG: u16 = 0x370E;

const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000D;
const MV_FLAG: u16 = 0x1000;

fn bad(detail: &str) -> ExtractError {
    ExtractError::corrupt(FORMAT, detail)
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// One attachment as its attributes describe it.
#[derive(Default)]
struct Attachment<'a> {
    title: Option<String>,
    long_name: Option<String>,
    mime: Option<String>,
    data: Option<&'a [u8]>,
}

impl Attachment<'_> {
    fn is_empty(&self) -> bool {
        self.title.is_none() && self.long_name.is_none() && self.data.is_none()
    }

    fn name(&self, n: usize) -> String {
        let base = |s: &'_ Option<String>| {
            s.as_deref()
                .map(|s| s.rsplit(['/', '\\']).next().unwrap_or(s).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let name = base(&self.long_name).or_else(|| base(&self.title));
        name.unwrap_or_else(|| format!("attachment-{n}"))
    }
}

/// The message body, in the forms TNEF may carry it.
#[derive(Default)]
struct Body<'a> {
    plain: Option<String>,
    rtf: Option<&'a [u8]>,
    html: Option<String>,
}

/// A string attribute or property: UTF-16LE for `PT_UNICODE`, else bytes of
/// unknown code page; cut at the first NUL.
fn string(d: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = d
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        let end = memchr::memchr(0, d).unwrap_or(d.len());
        decode_text(d.get(..end).unwrap_or_default())
    }
}

/// One MAPI property value kept: the variable-length ones (strings,
/// binary, objects); fixed-size values are skipped.
struct Prop<'a> {
    id: u16,
    ty: u16,
    value: &'a [u8],
}

/// Size of a fixed-size property type's value as stored (padded to 4), or
/// `None` for a variable-length or unknown type.
fn fixed_size(ty: u16) -> Option<usize> {
    Some(match ty {
        0x0001 => 0,                                     // PT_NULL
        0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => 4, // short, long, float, error, boolean
        0x0005..=0x0007 | 0x0014 | 0x0040 => 8,          // double, currency, apptime, i8, systime
        0x0048 => 16,                                    // CLSID
        _ => return None,
    })
}

/// Parses a MAPI property list ([MS-OXTNEF] 2.1.3.4). Every count and
/// length is checked against the bytes left, so a lying count ends in an
/// error, not an allocation.
fn props<'a>(d: &'a [u8], budget: &mut Budget) -> Result<Vec<Prop<'a>>> {
    let truncated = || bad("property list runs past its attribute");
    let count = u32_at(d, 0).ok_or_else(truncated)?;
    let mut p = 4usize;
    let mut out = Vec::new();
    for _ in 0..count {
        budget.charge(1)?;
        let ty = u16_at(d, p).ok_or_else(truncated)?;
        let id = u16_at(d, p + 2).ok_or_else(truncated)?;
        p += 4;
        if id >= 0x8000 {
            // Named property: GUID, then a numeric id or a UTF-16 name.
            let kind = u32_at(d, p + 16).ok_or_else(truncated)?;
            p += 20;
            if kind == 0 {
                p += 4;
            } else {
                let len = u32_at(d, p).ok_or_else(truncated)? as usize;
                p = p
                    .checked_add(4 + len.next_multiple_of(4))
                    .ok_or_else(truncated)?;
            }
        }
        let base = ty & !MV_FLAG;
        let multi = ty & MV_FLAG != 0;
        if let Some(size) = fixed_size(base) {
            let n = if multi {
                let n = u32_at(d, p).ok_or_else(truncated)? as usize;
                p += 4;
                n
            } else {
                1
            };
            p = n
                .checked_mul(size)
                .and_then(|s| p.checked_add(s))
                .filter(|&e| e <= d.len())
                .ok_or_else(truncated)?;
            continue;
        }
        if !matches!(base, PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT) {
            return Err(bad("unknown property type"));
        }
        // Variable-length types always carry a value count, even single.
        let n = u32_at(d, p).ok_or_else(truncated)?;
        p += 4;
        for _ in 0..n {
            budget.charge(1)?;
            let len = u32_at(d, p).ok_or_else(truncated)? as usize;
            p += 4;
            let value = d.get(p..p.checked_add(len).ok_or_else(truncated)?);
            let value = value.ok_or_else(truncated)?;
            out.push(Prop {
                id,
                ty: base,
                value,
            });
            p = p
                .checked_add(len.next_multiple_of(4))
                .ok_or_else(truncated)?;
        }
    }
    Ok(out)
}

pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    depth: usize,
    out: &mut Extraction,
) -> Result<()> {
    if data.get(..4) != Some(&SIGNATURE[..]) {
        return Err(bad("no signature"));
    }
    let mut attachments: Vec<Attachment<'_>> = Vec::new();
    let mut current = Attachment::default();
    let mut body = Body::default();
    // What could not be read is reported once the rest is read: a broken
    // property list or a truncated stream must not hide what came before.
    let mut broken: Option<ExtractError> = None;
    let mut p = 6usize; // signature, legacy key
    while p < data.len() {
        budget.charge(1)?;
        let (Some(&level), Some(id), Some(len)) =
            (data.get(p), u32_at(data, p + 1), u32_at(data, p + 5))
        else {
            broken = Some(bad("truncated attribute header"));
            break;
        };
        let start = p + 9;
        let Some(value) = start
            .checked_add(len as usize)
            .and_then(|end| data.get(start..end))
        else {
            broken = Some(bad("attribute runs past the end"));
            break;
        };
        p = start + value.len() + 2; // the checksum is not enforced
        match (level, id) {
            (LEVEL_MESSAGE, ATT_BODY) => body.plain = Some(string(value, false)),
            (LEVEL_MESSAGE, ATT_MSG_PROPS) => match props(value, budget) {
                Ok(list) => {
                    for prop in list {
                        match (prop.id, prop.ty) {
                            (PR_BODY, PT_STRING8 | PT_UNICODE) => {
                                body.plain = Some(string(prop.value, prop.ty == PT_UNICODE));
                            }
                            (PR_RTF_COMPRESSED, PT_BINARY) => body.rtf = Some(prop.value),
                            (PR_BODY_HTML, PT_BINARY | PT_STRING8) => {
                                body.html = Some(decode_text(prop.value));
                            }
                            (PR_BODY_HTML, PT_UNICODE) => {
                                body.html = Some(string(prop.value, true));
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) if e.is_budget() => return Err(e),
                Err(e) => broken = Some(e),
            },
            // Starts the next attachment.
            (LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA) if !current.is_empty() => {
                attachments.push(std::mem::take(&mut current));
            }
            (LEVEL_ATTACHMENT, ATT_ATTACH_TITLE) => current.title = Some(string(value, false)),
            (LEVEL_ATTACHMENT, ATT_ATTACH_TRANSPORT_FILENAME) => {
                current.title.get_or_insert_with(|| string(value, false));
            }
            (LEVEL_ATTACHMENT, ATT_ATTACH_DATA) => current.data = Some(value),
            (LEVEL_ATTACHMENT, ATT_ATTACHMENT) => match props(value, budget) {
                Ok(list) => {
                    for prop in list {
                        let unicode = prop.ty == PT_UNICODE;
                        match (prop.id, prop.ty) {
                            (PR_ATTACH_LONG_FILENAME, PT_STRING8 | PT_UNICODE) => {
                                current.long_name = Some(string(prop.value, unicode));
                            }
                            (PR_ATTACH_FILENAME, PT_STRING8 | PT_UNICODE) => {
                                current
                                    .title
                                    .get_or_insert_with(|| string(prop.value, unicode));
                            }
                            (PR_ATTACH_MIME_TAG, PT_STRING8 | PT_UNICODE) => {
                                current.mime = Some(string(prop.value, unicode).to_lowercase());
                            }
                            // An attached Outlook item (a nested TNEF stream)
                            // or OLE object, after its 16-byte interface id.
                            (PR_ATTACH_DATA, PT_OBJECT) if current.data.is_none() => {
                                current.data = prop.value.get(16..);
                            }
                            (PR_ATTACH_DATA, PT_BINARY) if current.data.is_none() => {
                                current.data = Some(prop.value);
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) if e.is_budget() => return Err(e),
                Err(e) => broken = Some(e),
            },
            _ => {}
        }
    }
    if !current.is_empty() {
        attachments.push(current);
    }
    if attachments.len() > budget.limits.max_entries {
        return Err(ExtractError::Entries {
            limit: budget.limits.max_entries,
        });
    }
    // At the top level the body is the message's own body again (Outlook
    // sends it as the MIME text part too): it is scanned as a body, under
    // the body's rules, not as an attachment's text, so a rich-text copy
    // of a body cannot turn the body's tag into an attachment's hold. In a
    // forwarded message it is that message's text, like any forward's.
    let kind = if depth == 0 {
        TextKind::Body
    } else {
        TextKind::Attachment
    };
    read_body(path, body, kind, budget, out)?;
    for (n, a) in attachments.iter().enumerate() {
        let inner = super::inner_path(path, &a.name(n + 1));
        let Some(bytes) = a.data else {
            // Named but carrying no bytes: nothing was sent to read.
            continue;
        };
        if budget.out_of_time() {
            out.skip(&inner, ExtractError::Time.to_string(), true);
            continue;
        }
        let declared = a.mime.as_deref().unwrap_or_default();
        extract_into(&inner, declared, bytes, budget, depth + 1, out);
    }
    match broken {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The body as text: plain when TNEF carries it, else the compressed RTF,
/// else the HTML; one of them, so the same words are not counted thrice.
fn read_body(
    path: &str,
    body: Body<'_>,
    kind: TextKind,
    budget: &mut Budget,
    out: &mut Extraction,
) -> Result<()> {
    let text = if let Some(text) = body.plain {
        text
    } else if let Some(rtf) = body.rtf {
        let raw = decompress_rtf(rtf, budget)?;
        super::rtf::rtf_text(&raw, budget.limits.max_text_chars)
    } else if let Some(html) = body.html {
        crate::html::html_to_text(&html)
    } else {
        return Ok(());
    };
    push_text(out, path, kind, text, budget);
    Ok(())
}

/// The dictionary's initial content ([MS-OXRTFCP] 2.1.2.1): compressed RTF
/// refers back into it from the first byte.
const RTF_PREFIX: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

const LZFU: u32 = 0x7546_5A4C;
const MELA: u32 = 0x414C_454D;

/// Decompresses `PR_RTF_COMPRESSED` ([MS-OXRTFCP]): a 16-byte header, then
/// LZ77 runs over a 4 KiB ring dictionary (or, for `MELA`, the RTF as is).
/// Every byte produced is counted against the message's decompressed-bytes
/// budget as it is written; the CRC is not checked (the text is read either
/// way).
fn decompress_rtf(d: &[u8], budget: &mut Budget) -> Result<Vec<u8>> {
    let header = || bad("compressed RTF header truncated");
    let comp_size = u32_at(d, 0).ok_or_else(header)? as usize;
    let raw_size = u32_at(d, 4).ok_or_else(header)? as usize;
    let magic = u32_at(d, 8).ok_or_else(header)?;
    let body = d
        .get(16..comp_size.saturating_add(4).min(d.len()))
        .unwrap_or_default();
    let limit = usize::try_from(budget.remaining_bytes()).unwrap_or(usize::MAX);
    let over = |budget: &Budget| ExtractError::TotalBytes {
        limit: budget.limits.max_decompressed_bytes,
    };
    if magic == MELA {
        let raw = body.get(..raw_size.min(body.len())).unwrap_or_default();
        if raw.len() > limit {
            return Err(over(budget));
        }
        budget.decompressed = budget.decompressed.saturating_add(raw.len() as u64);
        return Ok(raw.to_vec());
    }
    if magic != LZFU {
        return Err(ExtractError::Unsupported(
            "compressed RTF of an unknown kind".into(),
        ));
    }
    let mut dict = [0u8; 4096];
    dict[..RTF_PREFIX.len()].copy_from_slice(RTF_PREFIX);
    let mut w = RTF_PREFIX.len();
    let mut out: Vec<u8> = Vec::with_capacity(raw_size.min(limit).min(16 * 1024 * 1024));
    let mut i = 0usize;
    'runs: while let Some(&control) = body.get(i) {
        i += 1;
        for bit in 0..8 {
            if control & (1 << bit) == 0 {
                let Some(&b) = body.get(i) else {
                    break 'runs;
                };
                i += 1;
                out.push(b);
                dict[w] = b;
                w = (w + 1) % dict.len();
            } else {
                let (Some(&hi), Some(&lo)) = (body.get(i), body.get(i + 1)) else {
                    break 'runs;
                };
                i += 2;
                let offset = (usize::from(hi) << 4) | usize::from(lo >> 4);
                if offset == w {
                    break 'runs; // the end marker
                }
                let len = usize::from(lo & 0x0F) + 2;
                for k in 0..len {
                    let b = dict[(offset + k) % dict.len()];
                    out.push(b);
                    dict[w] = b;
                    w = (w + 1) % dict.len();
                }
            }
            if out.len() > limit {
                budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
                return Err(over(budget));
            }
        }
        budget.charge(1)?;
    }
    budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{extract as run, Limits};

    /// Builds TNEF streams in tests (no free tool writes them).
    #[derive(Default)]
    pub struct Tnef(Vec<u8>);

    impl Tnef {
        pub fn new() -> Self {
            let mut t = Tnef(SIGNATURE.to_vec());
            t.0.extend_from_slice(&0x1234u16.to_le_bytes());
            // attTnefVersion, attOemCodepage: what Outlook writes first.
            t.attr(LEVEL_MESSAGE, 0x0008_9006, &0x0001_0000u32.to_le_bytes());
            t.attr(LEVEL_MESSAGE, 0x0006_9007, &[0xE4, 0x04, 0, 0, 0, 0, 0, 0]);
            t
        }

        pub fn attr(&mut self, level: u8, id: u32, value: &[u8]) -> &mut Self {
            self.0.push(level);
            self.0.extend_from_slice(&id.to_le_bytes());
            self.0
                .extend_from_slice(&(value.len() as u32).to_le_bytes());
            self.0.extend_from_slice(value);
            let sum = value
                .iter()
                .fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
            self.0.extend_from_slice(&sum.to_le_bytes());
            self
        }

        /// A file attachment: render data, 8.3 title, bytes, and a property
        /// list with the long file name (UTF-16) and MIME tag.
        pub fn attachment(
            &mut self,
            title: &str,
            long: &str,
            mime: &str,
            data: &[u8],
        ) -> &mut Self {
            self.attr(
                LEVEL_ATTACHMENT,
                ATT_ATTACH_REND_DATA,
                &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
            );
            let mut t = title.as_bytes().to_vec();
            t.push(0);
            self.attr(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, &t);
            self.attr(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, data);
            let mut long16: Vec<u8> = long.encode_utf16().flat_map(u16::to_le_bytes).collect();
            long16.extend_from_slice(&[0, 0]);
            let mut mime8 = mime.as_bytes().to_vec();
            mime8.push(0);
            let props = prop_list(&[
                (PT_UNICODE, PR_ATTACH_LONG_FILENAME, &long16),
                (PT_STRING8, PR_ATTACH_MIME_TAG, &mime8),
            ]);
            self.attr(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &props)
        }

        pub fn bytes(&self) -> Vec<u8> {
            self.0.clone()
        }
    }

    /// A MAPI property list: a fixed-size property first (PR_ATTACH_METHOD,
    /// a long), then the given variable-length ones.
    pub fn prop_list(list: &[(u16, u16, &[u8])]) -> Vec<u8> {
        let mut p = ((list.len() + 1) as u32).to_le_bytes().to_vec();
        p.extend_from_slice(&0x0003u16.to_le_bytes());
        p.extend_from_slice(&0x3705u16.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        for (ty, id, v) in list {
            p.extend_from_slice(&ty.to_le_bytes());
            p.extend_from_slice(&id.to_le_bytes());
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&(v.len() as u32).to_le_bytes());
            p.extend_from_slice(v);
            p.resize(p.len() + (4 - v.len() % 4) % 4, 0);
        }
        p
    }

    /// [MS-OXRTFCP] 3.1.1's example, and the same result from the
    /// `compressed-rtf` Python package.
    const SPEC_EXAMPLE: &str = "2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af32068656c090020627705b06c647d0a800fa0";

    /// Compressed with the `compressed-rtf` Python package (1.0.7):
    /// `{\rtf1...\pard\f0 Dear Sam,\par Priya Shah, NI number JT 48 22 91 B,
    /// starts on Monday.\par}`.
    pub const RTF_WITH_NI: &str = "7f000000900000004c5a4675dd296c1703000a00726370673132355e3200f401f702a403e4430740693662051002807d0af402c02044a6650ac106106d2c0aa350051084796106006861682c07b03049206e7506d00490204a005420343820323220d03931204212c073019000200f0640022005d002206461792e0d0aa27d0a8015f0";

    #[test]
    fn compressed_rtf_decompresses() {
        let mut b = Budget::new(Limits::default());
        let raw = decompress_rtf(&hex::decode(SPEC_EXAMPLE).unwrap(), &mut b).unwrap();
        assert_eq!(raw, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
        assert_eq!(b.decompressed, raw.len() as u64);
        let raw = decompress_rtf(&hex::decode(RTF_WITH_NI).unwrap(), &mut b).unwrap();
        assert!(
            raw.ends_with(b"starts on Monday.\\par}\r\n"),
            "{}",
            String::from_utf8_lossy(&raw)
        );
    }

    #[test]
    fn compressed_rtf_output_is_charged_and_capped() {
        let mut b = Budget::new(Limits {
            max_decompressed_bytes: 10,
            ..Limits::default()
        });
        let err = decompress_rtf(&hex::decode(SPEC_EXAMPLE).unwrap(), &mut b).unwrap_err();
        assert!(
            matches!(err, ExtractError::TotalBytes { limit: 10 }),
            "{err}"
        );
    }

    /// The attachments are read out and dispatched under the file's path,
    /// by their long names, with their MIME tags; the body is text.
    #[test]
    fn attachments_and_body_are_read() {
        let csv = b"Name,NI number\r\nPriya Shah,JT 48 22 91 B\r\n";
        let mut t = Tnef::new();
        t.attr(LEVEL_MESSAGE, ATT_BODY, b"Please find the list attached.\0");
        t.attachment("PUPILS~1.CSV", "pupils autumn term.csv", "text/csv", csv);
        t.attachment("NOTES.TXT", "", "", b"Allergy: peanuts");
        let mut b = Budget::new(Limits::default());
        let ex = run("winmail.dat", "application/ms-tnef", &t.bytes(), &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(ex.files[0].sniffed, "tnef");
        let paths: Vec<&str> = ex.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "winmail.dat",
                "winmail.dat/pupils autumn term.csv",
                "winmail.dat/NOTES.TXT"
            ]
        );
        assert_eq!(ex.files[1].declared, "text/csv");
        assert_eq!(ex.texts[0].text, "Please find the list attached.");
        assert_eq!(ex.texts[0].kind, TextKind::Body);
        assert_eq!(ex.texts[1].kind, TextKind::Table);
        assert!(ex.texts[1].text.contains("NI number: JT 48 22 91 B"));
        assert_eq!(ex.texts[2].text, "Allergy: peanuts");
    }

    /// The body in the message's MAPI properties, as compressed RTF.
    #[test]
    fn a_compressed_rtf_body_is_read() {
        let rtf = hex::decode(RTF_WITH_NI).unwrap();
        let mut t = Tnef::new();
        t.attr(
            LEVEL_MESSAGE,
            ATT_MSG_PROPS,
            &prop_list(&[(PT_BINARY, PR_RTF_COMPRESSED, &rtf)]),
        );
        let mut b = Budget::new(Limits::default());
        let ex = run("winmail.dat", "application/ms-tnef", &t.bytes(), &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert!(
            ex.texts[0]
                .text
                .contains("Priya Shah, NI number JT 48 22 91 B"),
            "{:?}",
            ex.texts
        );
        assert!(!ex.texts[0].text.contains("fonttbl"));
    }

    /// An attached Outlook item is a nested TNEF stream: read one level down.
    #[test]
    fn an_attached_outlook_item_is_read_as_nested_tnef() {
        let mut inner = Tnef::new();
        inner.attachment(
            "LIST.CSV",
            "list.csv",
            "text/csv",
            b"name,upn\nA,P801200216001\n",
        );
        let mut object = vec![0u8; 16];
        object.extend_from_slice(&inner.bytes());
        let mut t = Tnef::new();
        t.attr(
            LEVEL_ATTACHMENT,
            ATT_ATTACH_REND_DATA,
            &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        t.attr(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, b"Fwd: list\0");
        t.attr(
            LEVEL_ATTACHMENT,
            ATT_ATTACHMENT,
            &prop_list(&[(PT_OBJECT, PR_ATTACH_DATA, &object)]),
        );
        let mut b = Budget::new(Limits::default());
        let ex = run("winmail.dat", "", &t.bytes(), &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(ex.files[1].path, "winmail.dat/Fwd: list");
        assert_eq!(ex.files[1].sniffed, "tnef");
        assert_eq!(ex.texts[0].path, "winmail.dat/Fwd: list/list.csv");
        assert!(ex.texts[0].text.contains("P801200216001"));
    }

    /// A stream cut short is reported as could not be checked, after what
    /// came before it was read; a lying property count is an error, not an
    /// allocation.
    #[test]
    fn broken_streams_are_reported_not_passed() {
        let mut t = Tnef::new();
        t.attachment("A.CSV", "a.csv", "text/csv", b"name,upn\nA,P801200216001\n");
        let mut bytes = t.bytes();
        bytes.extend_from_slice(&[
            LEVEL_ATTACHMENT,
            0x0F,
            0x80,
            0x06,
            0x00,
            0xFF,
            0xFF,
            0xFF,
            0x7F,
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = run("winmail.dat", "", &bytes, &mut b);
        assert_eq!(ex.texts[0].path, "winmail.dat/a.csv");
        assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
        assert!(ex.not_scanned[0].reason.contains("runs past the end"));
        assert!(ex.not_scanned[0].document);

        let mut t = Tnef::new();
        let mut lying = u32::MAX.to_le_bytes().to_vec();
        lying.extend_from_slice(&[0x1E, 0x00, 0x07, 0x37]);
        t.attr(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &lying);
        let ex = run("winmail.dat", "", &t.bytes(), &mut b);
        assert!(
            ex.not_scanned[0].reason.contains("property list"),
            "{:?}",
            ex.not_scanned
        );
    }

    /// Truncated and byte-flipped streams (body, attachments, properties,
    /// compressed RTF, a nested item): never a panic, always a report.
    #[test]
    fn mutated_streams_never_panic() {
        let mut inner = Tnef::new();
        inner.attachment("L.CSV", "l.csv", "text/csv", b"name,upn\nA,P801200216001\n");
        let mut object = vec![0u8; 16];
        object.extend_from_slice(&inner.bytes());
        let mut t = Tnef::new();
        t.attr(LEVEL_MESSAGE, ATT_BODY, b"Body text\0");
        t.attr(
            LEVEL_MESSAGE,
            ATT_MSG_PROPS,
            &prop_list(&[(
                PT_BINARY,
                PR_RTF_COMPRESSED,
                &hex::decode(RTF_WITH_NI).unwrap(),
            )]),
        );
        t.attachment("A.CSV", "a.csv", "text/csv", b"name,upn\nA,P801200216001\n");
        t.attr(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, &[2; 14]);
        t.attr(
            LEVEL_ATTACHMENT,
            ATT_ATTACHMENT,
            &prop_list(&[(PT_OBJECT, PR_ATTACH_DATA, &object)]),
        );
        let good = t.bytes();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2_000 {
            let mut bad = good.clone();
            if round % 3 == 0 {
                bad.truncate(next() as usize % good.len());
            }
            for _ in 0..1 + next() % 4 {
                let at = next() as usize % bad.len().max(1);
                if let Some(b) = bad.get_mut(at) {
                    *b = next() as u8;
                }
            }
            let mut b = Budget::new(Limits::default());
            let ex = run("winmail.dat", "", &bad, &mut b);
            assert!(!ex.files.is_empty());
        }
    }

    /// More attachments than the entry cap: reported, not read.
    #[test]
    fn the_entry_cap_holds() {
        let mut t = Tnef::new();
        for i in 0..3 {
            t.attachment(&format!("F{i}.TXT"), "", "", b"x");
        }
        let mut b = Budget::new(Limits {
            max_entries: 2,
            ..Limits::default()
        });
        let ex = run("winmail.dat", "", &t.bytes(), &mut b);
        assert!(ex.texts.is_empty());
        assert!(ex.not_scanned[0].reason.contains("more than 2 entries"));
    }
}
