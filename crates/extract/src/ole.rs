//! OLE compound files (crate `cfb`): password-protected OOXML and legacy
//! binary Office (.doc, .xls, .ppt).
//!
//! Encrypted when:
//! - OOXML with a password: `EncryptionInfo` + `EncryptedPackage` streams
//!   (the version in EncryptionInfo names agile / standard / extensible);
//! - .doc: FibBase fEncrypted (bit 8; bit 15 fObfuscated = XOR);
//! - .xls: a FILEPASS record (0x002F) in the workbook globals — unless Excel's
//!   built-in default password "VelvetSweatshop" opens it, which anyone can;
//! - .ppt: an `EncryptedSummary` stream (CryptoAPI RC4).
//!
//! Unencrypted legacy files: .xls strings (the shared string table) and .doc
//! text (piece table) are extracted; .ppt and other OLE files are reported
//! as not scanned.

use super::codec::{cp1252_char, rc4, utf16le_lossy};
use super::dates::{excel_serial_to_date, is_excel_date_format};
use super::error::{ExtractError, Result};
use super::inflate::guard;
use super::{push_text, Budget, Extraction};
use crate::TextKind;
use md5::{Digest, Md5};
use sha1::Sha1;
use std::io::{Cursor, Read};

/// Largest stream read from a compound file (legacy documents are small).
const MAX_STREAM: u64 = 64 * 1024 * 1024;

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn read_stream(cf: &mut Cfb<'_>, name: &str, budget: &mut Budget) -> Result<Vec<u8>> {
    let s = cf.open_stream(name)?;
    let cap = MAX_STREAM.min(budget.remaining_bytes());
    let mut out = Vec::new();
    s.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(ExtractError::TotalBytes {
            limit: budget.limits.max_decompressed_bytes,
        });
    }
    budget.decompressed = budget.decompressed.saturating_add(out.len() as u64);
    Ok(out)
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    d.get(at..at.checked_add(2)?)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// What one compound file turned out to be.
enum Found {
    Encrypted(String),
    Text(String),
    /// Spreadsheet sheets, rendered `header: value | ...`.
    Tables(Vec<String>),
    NotScanned(String),
}

pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    match guard("ole", || inspect(data, budget))? {
        Found::Encrypted(kind) => {
            if let Some(f) = out.files.get_mut(file_index) {
                f.encrypted = Some(kind);
            }
            Ok(())
        }
        Found::Text(t) => {
            push_text(out, path, TextKind::Attachment, t, budget);
            Ok(())
        }
        Found::Tables(sheets) => {
            for t in sheets {
                push_text(out, path, TextKind::Table, t, budget);
            }
            Ok(())
        }
        Found::NotScanned(reason) => Err(ExtractError::Unsupported(reason)),
    }
}

fn inspect(data: &[u8], budget: &mut Budget) -> Result<Found> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(data))
        .map_err(|e| ExtractError::corrupt("ole", e.to_string()))?;
    if cf.is_stream("/EncryptionInfo") && cf.is_stream("/EncryptedPackage") {
        let info = read_stream(&mut cf, "/EncryptionInfo", budget)?;
        let kind = match (u16_at(&info, 0), u16_at(&info, 2)) {
            (Some(4), Some(4)) => "ooxml-agile",
            (Some(2..=4), Some(2)) => "ooxml-standard",
            (Some(3 | 4), Some(3)) => "ooxml-extensible",
            _ => "ooxml-encrypted",
        };
        return Ok(Found::Encrypted(kind.into()));
    }
    if cf.is_stream("/WordDocument") {
        return word_document(&mut cf, budget);
    }
    for name in ["/Workbook", "/Book"] {
        if cf.is_stream(name) {
            let wb = read_stream(&mut cf, name, budget)?;
            return excel(&wb, budget);
        }
    }
    if cf.is_stream("/PowerPoint Document") {
        if cf.is_stream("/EncryptedSummary") {
            return Ok(Found::Encrypted("ppt-rc4-cryptoapi".into()));
        }
        let stream = read_stream(&mut cf, "/PowerPoint Document", budget)?;
        let text = ppt_text(&stream, budget)?;
        if text.trim().is_empty() {
            return Ok(Found::NotScanned(
                "legacy PowerPoint (.ppt) has no text atoms to read".into(),
            ));
        }
        return Ok(Found::Text(text));
    }
    Ok(Found::NotScanned(
        "OLE compound file of an unrecognised kind (not Word, Excel or PowerPoint)".into(),
    ))
}

// ---------------------------------------------------------- PowerPoint (.ppt)

/// Record types of the text atoms in a PowerPoint binary stream
/// ([MS-PPT] 2.13.24): TextCharsAtom (UTF-16LE), TextBytesAtom (the low
/// bytes of UTF-16 units, so Latin-1), CString (UTF-16LE: titles, names).
const PPT_TEXT_CHARS: u16 = 0x0FA0;
const PPT_TEXT_BYTES: u16 = 0x0FA8;
const PPT_CSTRING: u16 = 0x0FBA;

/// The text of every text atom in a "PowerPoint Document" stream, one
/// line each (`\r`, PowerPoint's paragraph mark, becomes a line break).
/// Records are walked in order: a container (version 0xF) is entered by
/// stepping over its 8-byte header, an atom is passed over whole, so each
/// record is visited once, every step moves forward at least 8 bytes, and
/// each is charged to the budget.
fn ppt_text(stream: &[u8], budget: &mut Budget) -> Result<String> {
    let mut out = String::new();
    let mut at = 0usize;
    while let (Some(ver_inst), Some(kind), Some(len)) = (
        u16_at(stream, at),
        u16_at(stream, at + 2),
        u32_at(stream, at + 4),
    ) {
        budget.charge(1)?;
        let body = at + 8;
        if ver_inst & 0x000F == 0x000F {
            at = body;
            continue;
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let end = body.saturating_add(len).min(stream.len());
        let data = stream.get(body..end).unwrap_or_default();
        let text = match kind {
            PPT_TEXT_CHARS | PPT_CSTRING => {
                let even = data.get(..data.len() & !1).unwrap_or_default();
                Some(utf16le_lossy(even).into_owned())
            }
            PPT_TEXT_BYTES => Some(data.iter().map(|&b| char::from(b)).collect()),
            _ => None,
        };
        if let Some(t) = text {
            budget.produce(t.len() + 1)?;
            for line in t.split(['\r', '\u{b}']) {
                let line = line.trim();
                if !line.is_empty() {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        at = body.saturating_add(len);
    }
    Ok(out)
}

// ---------------------------------------------------------------- Word (.doc)

fn word_document(cf: &mut Cfb<'_>, budget: &mut Budget) -> Result<Found> {
    let doc = read_stream(cf, "/WordDocument", budget)?;
    if u16_at(&doc, 0) != Some(0xA5EC) {
        return Ok(Found::NotScanned("Word stream without a valid FIB".into()));
    }
    let flags = u16_at(&doc, 0x0A).unwrap_or(0);
    let table = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    if flags & 0x0100 != 0 {
        if flags & 0x8000 != 0 {
            return Ok(Found::Encrypted("doc-xor".into()));
        }
        let kind = read_stream(cf, table, budget)
            .ok()
            .and_then(|t| Some((u16_at(&t, 0)?, u16_at(&t, 2)?)))
            .map(|v| match v {
                (1, 1) => "doc-rc4",
                (2..=4, 2) => "doc-rc4-cryptoapi",
                _ => "doc-encrypted",
            })
            .unwrap_or("doc-encrypted");
        return Ok(Found::Encrypted(kind.into()));
    }
    if !cf.is_stream(table) {
        return Ok(Found::NotScanned("Word table stream missing".into()));
    }
    let tbl = read_stream(cf, table, budget)?;
    match doc_text(&doc, &tbl, budget)? {
        Some(t) => Ok(Found::Text(t)),
        None => Ok(Found::NotScanned(
            "Word document text could not be read (piece table)".into(),
        )),
    }
}

/// Text of a .doc through its piece table (FibRgFcLcb97.fcClx/lcbClx → Pcdt);
/// `Ok(None)` when the piece table cannot be read. Each piece is charged to
/// the budget (its characters as produced) before it is copied: a piece
/// table may name the same stretch of the stream again and again.
fn doc_text(doc: &[u8], tbl: &[u8], budget: &mut Budget) -> Result<Option<String>> {
    let Some((plc, n)) = piece_table(doc, tbl) else {
        return Ok(None);
    };
    let max = budget.limits.max_text_chars;
    let mut text = String::new();
    for i in 0..n {
        let Some((cp0, cp1, fc)) = (|| {
            let cp0 = usize::try_from(u32_at(plc, i * 4)?).ok()?;
            let cp1 = usize::try_from(u32_at(plc, (i + 1) * 4)?).ok()?;
            Some((cp0, cp1, u32_at(plc, (n + 1) * 4 + i * 8 + 2)?))
        })() else {
            return Ok(None);
        };
        let Some(chars) = cp1.checked_sub(cp0) else {
            return Ok(None);
        };
        budget.charge(1)?;
        budget.produce(chars)?;
        if fc & 0x4000_0000 != 0 {
            let start = usize::try_from((fc & 0x3FFF_FFFF) / 2).unwrap_or(usize::MAX);
            let Some(raw) = start.checked_add(chars).and_then(|end| doc.get(start..end)) else {
                return Ok(None);
            };
            for &b in raw {
                push_doc_char(&mut text, cp1252_char(b).unwrap_or(' '));
            }
        } else {
            let start = usize::try_from(fc).unwrap_or(usize::MAX);
            let Some(raw) = chars
                .checked_mul(2)
                .and_then(|len| start.checked_add(len))
                .and_then(|end| doc.get(start..end))
            else {
                return Ok(None);
            };
            // Unpaired surrogates read as spaces, as other unreadable characters.
            for c in utf16le_lossy(raw).chars() {
                push_doc_char(&mut text, if c == '\u{FFFD}' { ' ' } else { c });
            }
        }
        if text.len() >= max {
            break;
        }
    }
    Ok(Some(text))
}

/// The PlcPcd of a .doc's piece table and its number of pieces.
fn piece_table<'t>(doc: &[u8], tbl: &'t [u8]) -> Option<(&'t [u8], usize)> {
    // FibBase (32) + csw + fibRgW + cslw + fibRgLw + cbRgFcLcb, then fcClx at pair 33.
    let csw = usize::from(u16_at(doc, 32)?);
    let p = 34 + csw * 2;
    let cslw = usize::from(u16_at(doc, p)?);
    let p = p + 2 + cslw * 4 + 2;
    let fc_clx = usize::try_from(u32_at(doc, p + 33 * 8)?).ok()?;
    let lcb_clx = usize::try_from(u32_at(doc, p + 33 * 8 + 4)?).ok()?;
    let clx = tbl.get(fc_clx..fc_clx.checked_add(lcb_clx)?)?;
    // Skip Prc entries (0x01), find the Pcdt (0x02).
    let mut q = 0usize;
    while clx.get(q) == Some(&1) {
        q += 3 + usize::from(u16_at(clx, q + 1)?);
    }
    if clx.get(q) != Some(&2) {
        return None;
    }
    let lcb = usize::try_from(u32_at(clx, q + 1)?).ok()?;
    let plc = clx.get(q + 5..q + 5 + lcb)?;
    let n = lcb.checked_sub(4)? / 12;
    Some((plc, n))
}

fn push_doc_char(text: &mut String, c: char) {
    match c {
        '\r' | '\u{7}' | '\u{b}' | '\u{c}' => text.push('\n'),
        '\t' => text.push('\t'),
        c if (c as u32) < 0x20 => {}
        c => text.push(c),
    }
}

// --------------------------------------------------------------- Excel (.xls)

/// BIFF records of the workbook stream: (type, data).
fn records(wb: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut p = 0usize;
    std::iter::from_fn(move || {
        let t = u16_at(wb, p)?;
        let len = usize::from(u16_at(wb, p + 2)?);
        let data = wb.get(p + 4..p + 4 + len)?;
        p += 4 + len;
        Some((t, data))
    })
}

fn excel(wb: &[u8], budget: &mut Budget) -> Result<Found> {
    for (t, data) in records(wb) {
        budget.charge(1)?;
        match t {
            0x002F => {
                return Ok(match filepass(data) {
                    (_, true) => Found::NotScanned(
                        "xls encrypted only with Excel's default password (VelvetSweatshop): not protected, but its content was not decrypted".into(),
                    ),
                    (kind, false) => Found::Encrypted(kind.into()),
                })
            }
            0x000A => break, // EOF of the globals substream
            _ => {}
        }
    }
    let strings = sst_strings(wb, budget)?;
    let sheets = sheets(wb, &strings, budget)?;
    if !sheets.is_empty() {
        return Ok(Found::Tables(sheets));
    }
    if strings.is_empty() {
        return Ok(Found::NotScanned("xls has no text cells to read".into()));
    }
    Ok(Found::Text(strings.join("\n")))
}

/// Columns kept per row (BIFF8 has 256).
const XLS_COLUMNS: usize = 256;

/// Cells kept from one .xls: each is held as its own string until the sheet
/// is rendered, so this bounds that map's memory (a full BIFF8 sheet is
/// 16.7 million cells). Its own cap, not a multiple of the table row cap,
/// which was raised for large CSV exports.
const XLS_MAX_CELLS: usize = 1_600_000;

/// RK-encoded number → f64.
fn rk(v: u32) -> f64 {
    let n = if v & 2 != 0 {
        f64::from((v as i32) >> 2)
    } else {
        f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32)
    };
    if v & 1 != 0 {
        n / 100.0
    } else {
        n
    }
}

/// Each worksheet's cells (shared strings, numbers; numbers in date formats as
/// `dd/mm/yyyy`) rendered as a table, so column headers give context.
///
/// A LABELSST cell is an index into the shared strings, so a small file can
/// name one 65,535-character string from every cell: each copy is charged
/// to [`Budget::produce`] before it is made.
fn sheets(wb: &[u8], strings: &[String], budget: &mut Budget) -> Result<Vec<String>> {
    use std::collections::{BTreeMap, HashMap};
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut xf_fmt: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut rows: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    let mut in_sheet = false;
    let mut cells = 0usize;
    let number = |xf: u16, n: f64, custom: &HashMap<u32, String>, xf_fmt: &[u32]| -> String {
        let fmt = xf_fmt.get(usize::from(xf)).copied().unwrap_or(0);
        if is_excel_date_format(fmt, custom.get(&fmt).map(String::as_str)) {
            if let Some(d) = excel_serial_to_date(n) {
                return d;
            }
        }
        if n.fract() == 0.0 && n.abs() < 1e15 {
            format!("{}", n as i64)
        } else {
            format!("{n}")
        }
    };
    let mut put = |rows: &mut BTreeMap<u16, Vec<String>>, r: u16, c: u16, v: String| {
        let c = usize::from(c);
        if c >= XLS_COLUMNS || cells > XLS_MAX_CELLS {
            return;
        }
        cells += 1;
        let row = rows.entry(r).or_default();
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        if let Some(slot) = row.get_mut(c) {
            *slot = v.trim().to_string();
        }
    };
    for (t, d) in records(wb) {
        budget.charge(1)?;
        let u16_at = |at: usize| u16_at(d, at).unwrap_or(0);
        match t {
            0x0809 => {
                // BOF: 0x0010 starts a worksheet.
                in_sheet = u16_at(2) == 0x0010;
                rows.clear();
            }
            0x000A => {
                if in_sheet && !rows.is_empty() {
                    let table: Vec<Vec<String>> = std::mem::take(&mut rows).into_values().collect();
                    out.push(super::table::rows_to_text(&table));
                }
                in_sheet = false;
            }
            0x041E => {
                // FORMAT: ifmt, then an XLUnicodeString.
                let id = u32::from(u16_at(0));
                let cch = usize::from(u16_at(2));
                let high = d.get(4).is_some_and(|f| f & 1 != 0);
                let body = d.get(5..).unwrap_or_default();
                let code: String = if high {
                    let units = body.get(..cch.saturating_mul(2)).unwrap_or(body);
                    let units = &units[..units.len() & !1];
                    utf16le_lossy(units).into_owned()
                } else {
                    body.iter().take(cch).map(|&b| char::from(b)).collect()
                };
                custom.insert(id, code);
            }
            0x00E0 if !in_sheet => xf_fmt.push(u32::from(u16_at(2))),
            0x00FD if in_sheet => {
                if let Some(s) = u32_at(d, 6).and_then(|i| strings.get(usize::try_from(i).ok()?)) {
                    budget.produce(s.len())?;
                    put(&mut rows, u16_at(0), u16_at(2), s.clone());
                }
            }
            0x0203 if in_sheet => {
                if let Some(b) = d.get(6..14) {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    let v = number(u16_at(4), f64::from_le_bytes(a), &custom, &xf_fmt);
                    put(&mut rows, u16_at(0), u16_at(2), v);
                }
            }
            0x027E if in_sheet => {
                let v = number(u16_at(4), rk(u32_at(d, 6).unwrap_or(0)), &custom, &xf_fmt);
                put(&mut rows, u16_at(0), u16_at(2), v);
            }
            0x00BD if in_sheet => {
                let (r, first) = (u16_at(0), u16_at(2));
                let n = d.len().saturating_sub(6) / 6;
                for k in 0..n {
                    budget.charge(1)?;
                    let xf = u16_at(4 + k * 6);
                    let v = number(xf, rk(u32_at(d, 6 + k * 6).unwrap_or(0)), &custom, &xf_fmt);
                    put(&mut rows, r, first.saturating_add(k as u16), v);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

const VELVET: &str = "VelvetSweatshop";

/// (kind, opens with the default password).
fn filepass(d: &[u8]) -> (&'static str, bool) {
    match u16_at(d, 0) {
        Some(0) => {
            let verifier = u16_at(d, 4).unwrap_or(0);
            ("xls-xor", verifier == xor_verifier(VELVET))
        }
        Some(1) => match (u16_at(d, 2), u16_at(d, 4)) {
            (Some(1), Some(1)) => {
                let ok = match (d.get(6..22), d.get(22..38), d.get(38..54)) {
                    (Some(salt), Some(v), Some(h)) => rc4_standard_opens(VELVET, salt, v, h),
                    _ => false,
                };
                ("xls-rc4", ok)
            }
            (Some(2..=4), Some(2)) => {
                let header_size = u32_at(d, 10)
                    .and_then(|s| usize::try_from(s).ok())
                    .unwrap_or(0);
                let header = d
                    .get(14..14usize.saturating_add(header_size))
                    .unwrap_or_default();
                let key_bits = u32_at(header, 16).unwrap_or(40);
                let v = 14 + header_size;
                let ok = match (
                    d.get(v + 4..v + 20),
                    d.get(v + 20..v + 36),
                    d.get(v + 40..v + 60),
                ) {
                    (Some(salt), Some(ver), Some(hash)) => {
                        cryptoapi_opens(VELVET, salt, ver, hash, key_bits)
                    }
                    _ => false,
                };
                ("xls-rc4-cryptoapi", ok)
            }
            _ => ("xls-encrypted", false),
        },
        _ => ("xls-encrypted", false),
    }
}

/// [MS-OFFCRYPTO] 2.3.7.1 password verifier (XOR obfuscation).
fn xor_verifier(password: &str) -> u16 {
    let bytes: Vec<u8> = password.bytes().collect();
    let mut v: u16 = 0;
    let len = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    for &b in bytes.iter().rev().chain(std::iter::once(&len)) {
        v = (((v >> 14) & 1) | ((v << 1) & 0x7FFF)) ^ u16::from(b);
    }
    v ^ 0xCE4B
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// [MS-OFFCRYPTO] 2.3.6 RC4 encryption, verifier check for block 0.
fn rc4_standard_opens(password: &str, salt: &[u8], verifier: &[u8], hash: &[u8]) -> bool {
    let h0 = Md5::digest(utf16le(password));
    let mut buf = Vec::with_capacity(21 * 16);
    for _ in 0..16 {
        buf.extend_from_slice(h0.get(..5).unwrap_or_default());
        buf.extend_from_slice(salt);
    }
    let h1 = Md5::digest(&buf);
    let key = Md5::new()
        .chain_update(h1.get(..5).unwrap_or_default())
        .chain_update(0u32.to_le_bytes())
        .finalize();
    let mut enc = verifier.to_vec();
    enc.extend_from_slice(hash);
    let plain = rc4(&key, &enc);
    match (plain.get(..16), plain.get(16..32)) {
        (Some(v), Some(h)) => Md5::digest(v).as_slice() == h,
        _ => false,
    }
}

/// [MS-OFFCRYPTO] 2.3.5 CryptoAPI RC4, verifier check for block 0.
fn cryptoapi_opens(
    password: &str,
    salt: &[u8],
    verifier: &[u8],
    hash: &[u8],
    key_bits: u32,
) -> bool {
    let h0 = Sha1::new()
        .chain_update(salt)
        .chain_update(utf16le(password))
        .finalize();
    let hf = Sha1::new()
        .chain_update(h0)
        .chain_update(0u32.to_le_bytes())
        .finalize();
    let n = usize::try_from(key_bits / 8).unwrap_or(5).clamp(5, 20);
    let mut key = hf.get(..n).unwrap_or_default().to_vec();
    if key_bits == 40 {
        key.resize(16, 0);
    }
    let mut enc = verifier.to_vec();
    enc.extend_from_slice(hash);
    let plain = rc4(&key, &enc);
    match (plain.get(..16), plain.get(16..36)) {
        (Some(v), Some(h)) => Sha1::digest(v).as_slice() == h,
        _ => false,
    }
}

/// Strings of the shared string table (SST + CONTINUE records), each
/// charged as produced (UTF-16 units widen to up to three UTF-8 bytes).
fn sst_strings(wb: &[u8], budget: &mut Budget) -> Result<Vec<String>> {
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut in_sst = false;
    for (t, data) in records(wb) {
        match t {
            0x00FC => {
                segments.push(data);
                in_sst = true;
            }
            0x003C if in_sst => segments.push(data),
            _ if in_sst => break,
            _ => {}
        }
    }
    let mut r = SegReader {
        segs: segments,
        seg: 0,
        pos: 0,
    };
    let mut out = Vec::new();
    let _total = r.u32();
    let Some(unique) = r.u32() else {
        return Ok(out);
    };
    for _ in 0..unique.min(1_000_000) {
        let Some(s) = r.string() else { break };
        budget.produce(s.len())?;
        out.push(s);
    }
    Ok(out)
}

/// Reads across CONTINUE boundaries; a string's characters resume after a
/// fresh option byte at the start of the next segment.
struct SegReader<'a> {
    segs: Vec<&'a [u8]>,
    seg: usize,
    pos: usize,
}

impl SegReader<'_> {
    fn byte(&mut self) -> Option<u8> {
        loop {
            let s = self.segs.get(self.seg)?;
            if let Some(&b) = s.get(self.pos) {
                self.pos += 1;
                return Some(b);
            }
            self.seg += 1;
            self.pos = 0;
        }
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) | u32::from(self.u16()?) << 16)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.byte()?;
        }
        Some(())
    }
    fn string(&mut self) -> Option<String> {
        let cch = usize::from(self.u16()?);
        let flags = self.byte()?;
        let mut high = flags & 1 != 0;
        let runs = if flags & 8 != 0 {
            usize::from(self.u16()?)
        } else {
            0
        };
        let ext = if flags & 4 != 0 {
            usize::try_from(self.u32()?).ok()?
        } else {
            0
        };
        let mut s = String::with_capacity(cch);
        let mut read = 0;
        while read < cch {
            let seg = self.segs.get(self.seg)?;
            if self.pos >= seg.len() {
                // Continued: the next segment starts with a new option byte.
                self.seg += 1;
                self.pos = 0;
                high = self.byte()? & 1 != 0;
                continue;
            }
            if high {
                let u = self.u16()?;
                s.push(char::from_u32(u32::from(u)).unwrap_or(' '));
            } else {
                s.push(char::from(self.byte()?));
            }
            read += 1;
        }
        self.skip(runs * 4)?;
        self.skip(ext.min(1 << 20))?;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_verifier_matches_the_spec_algorithm() {
        // Deterministic and 15-bit-ish: the value is what Excel stores for the password.
        assert_eq!(xor_verifier(VELVET), xor_verifier("VelvetSweatshop"));
        assert_ne!(xor_verifier(VELVET), xor_verifier("Winter2026"));
    }

    #[test]
    fn sst_across_continue() {
        // SST: total 2, unique 2; "Amira" compressed; "Khan" split across CONTINUE as UTF-16.
        let mut sst = vec![];
        sst.extend_from_slice(&2u32.to_le_bytes());
        sst.extend_from_slice(&2u32.to_le_bytes());
        sst.extend_from_slice(&5u16.to_le_bytes());
        sst.push(0);
        sst.extend_from_slice(b"Amira");
        sst.extend_from_slice(&4u16.to_le_bytes());
        sst.push(0);
        sst.extend_from_slice(b"Kh");
        let mut cont = vec![1u8];
        cont.extend_from_slice(&utf16le("an"));
        let mut wb = vec![];
        for (t, d) in [
            (0x0809u16, vec![0u8; 4]),
            (0x00FC, sst),
            (0x003C, cont),
            (0x000A, vec![]),
        ] {
            wb.extend_from_slice(&t.to_le_bytes());
            wb.extend_from_slice(&(d.len() as u16).to_le_bytes());
            wb.extend_from_slice(&d);
        }
        let mut b = Budget::new(crate::Limits::default());
        assert_eq!(sst_strings(&wb, &mut b).unwrap(), vec!["Amira", "Khan"]);
    }

    /// BIFF records `(type, data)` as a workbook stream.
    fn biff(records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut wb = vec![];
        for (t, d) in records {
            wb.extend_from_slice(&t.to_le_bytes());
            wb.extend_from_slice(&(d.len() as u16).to_le_bytes());
            wb.extend_from_slice(d);
        }
        wb
    }

    /// An OLE compound file holding `wb` as its /Workbook stream.
    fn xls_file(wb: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/Workbook")
            .unwrap()
            .write_all(wb)
            .unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }

    /// A shared string table of one string: `cch` copies of `unit`
    /// (compressed), split into CONTINUE records as Excel does.
    fn sst_of_one(cch: u16, unit: u8) -> Vec<(u16, Vec<u8>)> {
        let mut sst = vec![];
        sst.extend_from_slice(&1u32.to_le_bytes());
        sst.extend_from_slice(&1u32.to_le_bytes());
        sst.extend_from_slice(&cch.to_le_bytes());
        sst.push(0);
        let mut left = usize::from(cch);
        let first = left.min(8000);
        sst.extend(std::iter::repeat_n(unit, first));
        left -= first;
        let mut out = vec![(0x00FCu16, sst)];
        while left > 0 {
            let n = left.min(8000);
            let mut cont = vec![0u8];
            cont.extend(std::iter::repeat_n(unit, n));
            out.push((0x003C, cont));
            left -= n;
        }
        out
    }

    fn labelsst(row: u16, col: u16, isst: u32) -> (u16, Vec<u8>) {
        let mut d = vec![];
        d.extend_from_slice(&row.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&isst.to_le_bytes());
        (0x00FD, d)
    }

    /// Row 3 of issue 20: every LABELSST cell of a small .xls names one
    /// 65,535-character shared string. Each copy is charged before it is
    /// made, so the produced-bytes cap stops it and the file is reported.
    #[test]
    fn repeated_shared_string_is_charged_before_it_is_copied() {
        let mut records = vec![(0x0809u16, vec![0, 6, 5, 0])];
        records.extend(sst_of_one(u16::MAX, b'A'));
        records.push((0x000A, vec![]));
        records.push((0x0809, vec![0, 6, 0x10, 0]));
        for r in 0..20_000u16 {
            records.push(labelsst(r, 0, 0));
        }
        records.push((0x000A, vec![]));
        let data = xls_file(&biff(&records));
        assert!(data.len() < 1024 * 1024, "{}", data.len());
        let mut b = Budget::new(crate::Limits {
            max_produced_bytes: 64 * 1024 * 1024,
            ..crate::Limits::default()
        });
        let start = std::time::Instant::now();
        let ex = crate::extract("bomb.xls", "", &data, &mut b);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert!(b.produced <= 64 * 1024 * 1024, "{}", b.produced);
        assert!(
            ex.not_scanned
                .iter()
                .any(|n| n.reason.contains("extracted-text limit") && n.document),
            "{:?}",
            ex.not_scanned
        );
    }

    /// The hard negative: an ordinary sheet whose cells share strings reads
    /// as before.
    #[test]
    fn shared_strings_in_an_ordinary_sheet_are_read() {
        let mut sst = vec![];
        sst.extend_from_slice(&2u32.to_le_bytes());
        sst.extend_from_slice(&2u32.to_le_bytes());
        for s in [&b"NI number"[..], b"QQ123456C"] {
            sst.extend_from_slice(&(s.len() as u16).to_le_bytes());
            sst.push(0);
            sst.extend_from_slice(s);
        }
        let records = vec![
            (0x0809u16, vec![0, 6, 5, 0]),
            (0x00FC, sst),
            (0x000A, vec![]),
            (0x0809, vec![0, 6, 0x10, 0]),
            labelsst(0, 0, 0),
            labelsst(1, 0, 1),
            labelsst(2, 0, 1),
            (0x000A, vec![]),
        ];
        let data = xls_file(&biff(&records));
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("ok.xls", "", &data, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(text.matches("NI number: QQ123456C").count(), 2, "{text:?}");
    }

    /// A PowerPoint record: header (version/instance, type, length), body.
    fn ppt_record(ver: u16, kind: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![];
        r.extend_from_slice(&ver.to_le_bytes());
        r.extend_from_slice(&kind.to_le_bytes());
        r.extend_from_slice(&(body.len() as u32).to_le_bytes());
        r.extend_from_slice(body);
        r
    }

    fn ppt_file(stream: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/PowerPoint Document")
            .unwrap()
            .write_all(stream)
            .unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }

    /// Issue 20: .ppt text was not read at all. Text atoms inside
    /// containers (UTF-16 and 8-bit) are, with other records passed over.
    #[test]
    fn ppt_text_atoms_are_read() {
        let mut inner = ppt_record(0, 0x0F9F, &[0, 0, 0, 0]); // TextHeaderAtom
        inner.extend(ppt_record(
            0,
            PPT_TEXT_CHARS,
            &utf16le("Pupil: Zoë Njoku\rNI number JT 48 22 91 B"),
        ));
        inner.extend(ppt_record(0, 0x0FA1, &[1, 2, 3, 4, 5, 6])); // StyleTextPropAtom
        inner.extend(ppt_record(0, PPT_TEXT_BYTES, b"UPN A801200216001"));
        let mut stream = ppt_record(0x000F, 0x03E8, &ppt_record(0x000F, 0x0FF0, &inner));
        stream.extend(ppt_record(0, 0x0FF5, &[0; 12])); // UserEditAtom
        let data = ppt_file(&stream);
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("slides.ppt", "", &data, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(
            ex.texts[0].text,
            "Pupil: Zoë Njoku\nNI number JT 48 22 91 B\nUPN A801200216001\n"
        );
    }

    /// A .ppt with no text atoms is reported; an atom claiming more bytes
    /// than the stream holds gives what is there, and ends the walk.
    #[test]
    fn ppt_without_text_or_with_lying_lengths() {
        let mut b = Budget::new(crate::Limits::default());
        let empty = ppt_record(0x000F, 0x03E8, &ppt_record(0, 0x0FF5, &[0; 12]));
        let ex = crate::extract("empty.ppt", "", &ppt_file(&empty), &mut b);
        assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
        assert!(ex.texts.is_empty());
        let mut lying = ppt_record(0, PPT_TEXT_BYTES, b"Hello");
        lying[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let ex = crate::extract("lying.ppt", "", &ppt_file(&lying), &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        assert_eq!(ex.texts[0].text, "Hello\n");
    }

    #[test]
    fn rk_numbers() {
        assert_eq!(rk((40213 << 2) | 2), 40213.0);
        assert_eq!(rk((12345 << 2) | 3), 123.45);
        let bits = (1.5f64.to_bits() >> 32) as u32;
        assert_eq!(rk(bits), 1.5);
    }

    #[test]
    fn garbage_ole_is_reported() {
        let mut data = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        data.extend(vec![0xFFu8; 600]);
        let mut b = Budget::new(crate::Limits::default());
        let ex = crate::extract("x.doc", "", &data, &mut b);
        assert_eq!(ex.not_scanned.len(), 1, "{:?}", ex.not_scanned);
    }
}
