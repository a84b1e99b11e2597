//! PDF: a bounded reader written for this crate (lopdf and pdf-extract panic
//! on some malformed files, see docs/attachments.md). It finds objects by
//! scanning for `n g obj` (robust to broken cross-reference tables), reads
//! object streams, decides encryption from /Encrypt in the trailer or the
//! cross-reference stream, and extracts text from page content streams.
//!
//! Limits: every stream is inflated through the bounded reader (ratio and
//! message budget), objects and pages are capped, the time budget is checked
//! per object and per page, and the whole parse runs under `guard`.

mod crypt;
mod filters;
mod object;
mod text;

use super::error::{ExtractError, Result};
use super::inflate::{guard, inflate_zlib};
use super::{push_text, Budget, Extraction};
use crate::TextKind;
use crypt::Security;
use object::{get, Dict, Lexer, Obj};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Indirect objects looked at in one file.
const MAX_OBJECTS: usize = 500_000;
/// Pages read from one file.
const MAX_PAGES: usize = 10_000;

pub struct Doc<'a> {
    data: &'a [u8],
    /// Object number → (offset of `n g obj`, generation).
    offsets: HashMap<u32, (usize, u16)>,
    /// Objects that live in object streams. Shared: many index entries may
    /// name one offset, and each offset is parsed (and charged) once.
    compressed: HashMap<u32, Rc<Obj>>,
    security: Option<Security>,
    trailer: Dict,
    /// Object start offsets, sorted: bounds the search for a stream's end.
    starts: Vec<usize>,
}

/// Decimal digits ending right before `end` (exclusive), skipping whitespace first.
fn number_before(data: &[u8], end: usize) -> Option<(u64, usize)> {
    let mut p = end;
    while p > 0 && object::is_ws(*data.get(p - 1)?) {
        p -= 1;
    }
    let digits_end = p;
    while p > 0 && data.get(p - 1)?.is_ascii_digit() {
        p -= 1;
    }
    if p == digits_end || digits_end - p > 10 {
        return None;
    }
    let v = std::str::from_utf8(data.get(p..digits_end)?)
        .ok()?
        .parse()
        .ok()?;
    Some((v, p))
}

impl<'a> Doc<'a> {
    fn scan_objects(data: &'a [u8], budget: &Budget) -> Result<HashMap<u32, (usize, u16)>> {
        let mut offsets = HashMap::new();
        for (n, hit) in memchr::memmem::find_iter(data, b"obj").enumerate() {
            if n % 4096 == 0 && budget.out_of_time() {
                return Err(ExtractError::Time);
            }
            // `obj` must end a token (not `objstm`, not `endobj`).
            if data
                .get(hit + 3)
                .is_some_and(|&b| !object::is_ws(b) && !object::is_delim(b))
            {
                continue;
            }
            if hit == 0 || !data.get(hit - 1).is_some_and(|&b| object::is_ws(b)) {
                continue;
            }
            let Some((gen, gp)) = number_before(data, hit) else {
                continue;
            };
            if gp == 0 || !data.get(gp - 1).is_some_and(|&b| object::is_ws(b)) {
                continue;
            }
            let Some((num, np)) = number_before(data, gp) else {
                continue;
            };
            if np > 0
                && !data
                    .get(np - 1)
                    .is_some_and(|&b| object::is_ws(b) || object::is_delim(b))
            {
                continue;
            }
            let (Ok(num), Ok(gen)) = (u32::try_from(num), u16::try_from(gen)) else {
                continue;
            };
            // Later definitions (incremental updates) win.
            offsets.insert(num, (np, gen));
            if offsets.len() > MAX_OBJECTS {
                return Err(ExtractError::Unsupported(format!(
                    "pdf has more than {MAX_OBJECTS} objects"
                )));
            }
        }
        Ok(offsets)
    }

    /// Parses the object stored at `offset` (`n g obj value [stream]`).
    fn parse_at(&self, offset: usize) -> Option<Obj> {
        let mut l = Lexer::new(self.data, offset);
        l.object()?; // number
        l.object()?; // generation
        if l.object()? != Obj::Op(b"obj".to_vec()) {
            return None;
        }
        let value = l.object()?;
        let Obj::Dict(d) = value else {
            return Some(value);
        };
        if l.object() != Some(Obj::Op(b"stream".to_vec())) {
            return Some(Obj::Dict(d));
        }
        let mut start = l.pos;
        if self.data.get(start) == Some(&b'\r') {
            start += 1;
        }
        if self.data.get(start) == Some(&b'\n') {
            start += 1;
        }
        let declared = match get(&d, b"Length") {
            Some(Obj::Int(n)) => usize::try_from(*n).ok(),
            Some(Obj::Ref(n, _)) => self
                .offsets
                .get(n)
                .and_then(|&(off, _)| {
                    let mut l = Lexer::new(self.data, off);
                    l.object()?;
                    l.object()?;
                    l.object()?;
                    l.object()
                })
                .and_then(|o| o.as_int())
                .and_then(|n| usize::try_from(n).ok()),
            _ => None,
        };
        let end = declared
            .and_then(|len| start.checked_add(len))
            .filter(|&end| {
                self.data.get(end..).is_some_and(|rest| {
                    let t = rest
                        .iter()
                        .position(|&b| !object::is_ws(b))
                        .unwrap_or(rest.len());
                    rest.get(t..).is_some_and(|r| r.starts_with(b"endstream"))
                })
            })
            .or_else(|| {
                // Declared length wrong: look for `endstream` before the next object only.
                let i = self.starts.partition_point(|&o| o <= start);
                let limit = self.starts.get(i).copied().unwrap_or(self.data.len());
                memchr::memmem::find(self.data.get(start..limit)?, b"endstream").map(|p| {
                    let mut e = start + p;
                    while e > start && matches!(self.data.get(e - 1), Some(b'\n' | b'\r')) {
                        e -= 1;
                    }
                    e
                })
            })?;
        Some(Obj::Stream(d, start, end))
    }

    /// Object `num`, from the file or an object stream.
    pub fn get(&self, num: u32) -> Option<Obj> {
        if let Some(&(off, _)) = self.offsets.get(&num) {
            if let Some(o) = self.parse_at(off) {
                return Some(o);
            }
        }
        self.compressed.get(&num).map(|o| Obj::clone(o))
    }

    /// Follows references (a few levels).
    pub fn resolve(&self, o: &Obj) -> Obj {
        let mut cur = o.clone();
        for _ in 0..8 {
            match cur {
                Obj::Ref(n, _) => cur = self.get(n).unwrap_or(Obj::Null),
                _ => return cur,
            }
        }
        Obj::Null
    }

    pub fn resolve_dict(&self, o: Option<&Obj>) -> Option<Dict> {
        match self.resolve(o?) {
            Obj::Dict(d) | Obj::Stream(d, _, _) => Some(d),
            _ => None,
        }
    }

    /// Decoded data of a stream object (decrypted, then filters applied).
    pub fn stream_data(&self, num: u32, stream: &Obj, budget: &mut Budget) -> Result<Vec<u8>> {
        let Obj::Stream(d, start, end) = stream else {
            return Err(ExtractError::corrupt("pdf", "not a stream"));
        };
        let raw = self
            .data
            .get(*start..*end)
            .ok_or_else(|| ExtractError::corrupt("pdf", "stream outside the file"))?;
        let is_xref = get(d, b"Type").and_then(Obj::as_name) == Some(b"XRef");
        let mut data = match (&self.security, is_xref) {
            (Some(sec), false) => {
                let gen = self.offsets.get(&num).map(|&(_, g)| g).unwrap_or(0);
                sec.decrypt(num, gen, raw)
                    .ok_or_else(|| ExtractError::corrupt("pdf", "stream does not decrypt"))?
            }
            _ => raw.to_vec(),
        };
        let filters: Vec<Vec<u8>> = match self.resolve(get(d, b"Filter").unwrap_or(&Obj::Null)) {
            Obj::Name(n) => vec![n],
            Obj::Array(a) => a
                .iter()
                .filter_map(|f| f.as_name().map(<[u8]>::to_vec))
                .collect(),
            _ => Vec::new(),
        };
        for f in filters {
            data = match f.as_slice() {
                b"FlateDecode" | b"Fl" => inflate_zlib(&data, budget)?,
                b"ASCIIHexDecode" | b"AHx" => {
                    let mut wrapped = Vec::with_capacity(data.len() + 2);
                    wrapped.push(b'<');
                    wrapped.extend(data.iter().copied().filter(|&b| b != b'<' && b != b'>'));
                    wrapped.push(b'>');
                    Lexer::new(&wrapped, 0)
                        .object()
                        .and_then(|o| o.as_str().map(<[u8]>::to_vec))
                        .unwrap_or_default()
                }
                b"ASCII85Decode" | b"A85" => ascii85(&data),
                b"LZWDecode" | b"LZW" => {
                    let early = match get(d, b"DecodeParms").map(|p| self.resolve(p)) {
                        Some(Obj::Dict(p)) => {
                            get(&p, b"EarlyChange").and_then(Obj::as_int) != Some(0)
                        }
                        _ => true,
                    };
                    filters::lzw(&data, early, budget)?
                }
                b"RunLengthDecode" | b"RL" => filters::run_length(&data, budget)?,
                other => {
                    return Err(ExtractError::Unsupported(format!(
                        "pdf stream filter {} not supported",
                        String::from_utf8_lossy(other)
                    )))
                }
            };
        }
        Ok(data)
    }

    /// Trailer: the last `trailer` dictionary or cross-reference stream
    /// dictionary. Only the last few candidates of each kind are looked at
    /// (searching backwards), so a file stuffed with the keywords costs little.
    fn find_trailer(&self) -> Dict {
        const CANDIDATES: usize = 64;
        let mut best: Option<(usize, Dict)> = None;
        for hit in memchr::memmem::rfind_iter(self.data, b"trailer").take(CANDIDATES) {
            let mut l = Lexer::new(self.data, hit + 7);
            if let Some(Obj::Dict(d)) = l.object() {
                best = Some((hit, d));
                break;
            }
        }
        let starts = &self.starts;
        for hit in memchr::memmem::rfind_iter(self.data, b"/XRef").take(CANDIDATES) {
            // The enclosing object starts at the closest `n g obj` before it.
            let i = starts.partition_point(|&o| o < hit);
            let Some(&off) = i.checked_sub(1).and_then(|i| starts.get(i)) else {
                continue;
            };
            if best.as_ref().is_some_and(|(p, _)| off <= *p) {
                break;
            }
            if let Some(Obj::Stream(d, _, _)) = self.parse_at(off) {
                if get(&d, b"Type").and_then(Obj::as_name) == Some(b"XRef") {
                    best = Some((off, d));
                    break;
                }
            }
        }
        best.map(|(_, d)| d).unwrap_or_default()
    }

    fn load_object_streams(&mut self, budget: &mut Budget) -> Result<()> {
        let candidates: Vec<u32> = self.offsets.keys().copied().collect();
        for num in candidates {
            let Some((off, _)) = self.offsets.get(&num).copied() else {
                continue;
            };
            // Cheap pre-check before parsing: the object's head mentions ObjStm.
            let head = self
                .data
                .get(off..off.saturating_add(512).min(self.data.len()))
                .unwrap_or_default();
            if memchr::memmem::find(head, b"ObjStm").is_none() {
                continue;
            }
            if budget.out_of_time() {
                return Err(ExtractError::Time);
            }
            let Some(stream @ Obj::Stream(..)) = self.parse_at(off) else {
                continue;
            };
            let Some(d) = stream.as_dict() else { continue };
            if get(d, b"Type").and_then(Obj::as_name) != Some(b"ObjStm") {
                continue;
            }
            let n = get(d, b"N")
                .and_then(Obj::as_int)
                .unwrap_or(0)
                .clamp(0, 100_000) as usize;
            let first = get(d, b"First").and_then(Obj::as_int).unwrap_or(0).max(0) as usize;
            let data = match self.stream_data(num, &stream, budget) {
                Ok(d) => d,
                Err(e) if e.is_budget() => return Err(e),
                Err(_) => continue,
            };
            let mut l = Lexer::new(&data, 0);
            let mut index = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                budget.charge(1)?;
                match (l.object(), l.object()) {
                    (Some(Obj::Int(o)), Some(Obj::Int(p))) => {
                        if let (Ok(o), Ok(p)) = (u32::try_from(o), usize::try_from(p)) {
                            index.push((o, p));
                        }
                    }
                    _ => break,
                }
            }
            // Each offset is parsed once and its value shared by every
            // entry naming it; the bytes each parse reads are charged as
            // produced before the value is kept (nested strings at
            // successive offsets would otherwise copy the stream n times).
            let mut parsed: HashMap<usize, Option<Rc<Obj>>> = HashMap::new();
            for (o, p) in index {
                budget.charge(1)?;
                if self.offsets.contains_key(&o) || self.compressed.len() > MAX_OBJECTS {
                    continue;
                }
                let at = first.saturating_add(p);
                let value = match parsed.get(&at) {
                    Some(v) => v.clone(),
                    None => {
                        let mut l = Lexer::new(&data, at);
                        let v = l.object().map(Rc::new);
                        budget.produce(l.pos.saturating_sub(at))?;
                        parsed.insert(at, v.clone());
                        v
                    }
                };
                if let Some(v) = value {
                    self.compressed.insert(o, v);
                }
            }
        }
        Ok(())
    }

    /// True when a page's content, read without decryption, is plainly a
    /// content stream: it inflates (where compressed) and shows text
    /// between `BT` and `ET`. Ciphertext does neither, so a real security
    /// handler always answers false; a dictionary that only claims one (a
    /// plain file with a made-up /Encrypt) answers true. The first pages
    /// are tried in turn, not only the first: a cover page may be a
    /// picture with no text to show.
    fn content_in_clear(&self, budget: &mut Budget) -> Result<bool> {
        const PAGES_TRIED: usize = 16;
        // A scratch allowance: the probe must not spend the message's bytes.
        let mut scratch = Budget::new(crate::Limits {
            max_decompressed_bytes: budget.remaining_bytes().min(16 << 20),
            ..budget.limits
        });
        for (page, _) in self.pages(budget)?.into_iter().take(PAGES_TRIED) {
            let mut unread = None;
            let content = match text::page_content(self, &page, &mut scratch, &mut unread) {
                Ok(c) => c,
                Err(_) => return Ok(false),
            };
            budget.charge(scratch.cost)?;
            scratch.cost = 0;
            let mut l = Lexer::content(&content);
            let (mut bt, mut shows) = (false, false);
            for _ in 0..100_000 {
                let Some(t) = l.token() else { break };
                budget.charge(1)?;
                if let object::Token::Op(op) = t {
                    match op {
                        b"BT" => bt = true,
                        b"Tj" | b"TJ" | b"'" | b"\"" if bt => shows = true,
                        b"ET" if shows => return Ok(true),
                        _ => {}
                    }
                }
            }
        }
        Ok(false)
    }

    /// True when the page tree reads and says there are no pages (`/Kids
    /// []` or `/Count 0`): an empty document, with nothing unread, unlike a
    /// tree whose page objects could not be parsed.
    fn declares_no_pages(&self) -> bool {
        let Some(root) = self.resolve_dict(get(&self.trailer, b"Root")) else {
            return false;
        };
        let Some(pages) = self.resolve_dict(get(&root, b"Pages")) else {
            return false;
        };
        let no_kids = matches!(
            get(&pages, b"Kids").map(|k| self.resolve(k)),
            Some(Obj::Array(k)) if k.is_empty()
        );
        no_kids || get(&pages, b"Count").and_then(Obj::as_int) == Some(0)
    }

    /// Pages in document order, each with its inherited resources.
    fn pages(&self, budget: &mut Budget) -> Result<Vec<(Dict, Dict)>> {
        let mut out = Vec::new();
        let root = self.resolve_dict(get(&self.trailer, b"Root"));
        let pages = root.as_ref().and_then(|r| get(r, b"Pages")).cloned();
        let mut seen = HashSet::new();
        if let Some(p) = pages {
            self.walk_pages(&p, Dict::new(), &mut out, &mut seen, 0);
        }
        if out.is_empty() {
            // Broken page tree: every object that says it is a page.
            let mut nums: Vec<u32> = self.offsets.keys().copied().collect();
            nums.sort_unstable();
            for n in nums {
                if out.len() >= MAX_PAGES {
                    break;
                }
                budget.charge(1)?;
                if let Some(Obj::Dict(d)) = self.get(n) {
                    if get(&d, b"Type").and_then(Obj::as_name) == Some(b"Page") {
                        let res = self.resolve_dict(get(&d, b"Resources")).unwrap_or_default();
                        out.push((d, res));
                    }
                }
            }
        }
        Ok(out)
    }

    fn walk_pages(
        &self,
        node: &Obj,
        inherited: Dict,
        out: &mut Vec<(Dict, Dict)>,
        seen: &mut HashSet<u32>,
        depth: usize,
    ) {
        if depth > 32 || out.len() >= MAX_PAGES {
            return;
        }
        if let Obj::Ref(n, _) = node {
            if !seen.insert(*n) {
                return;
            }
        }
        let Some(d) = self.resolve_dict(Some(node)) else {
            return;
        };
        let res = self
            .resolve_dict(get(&d, b"Resources"))
            .unwrap_or(inherited);
        match get(&d, b"Kids").map(|k| self.resolve(k)) {
            Some(Obj::Array(kids)) => {
                for k in kids {
                    self.walk_pages(&k, res.clone(), out, seen, depth + 1);
                }
            }
            _ => out.push((d, res)),
        }
    }
}

/// ASCII85 decoding (`~>` ends the data).
fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut group = [0u32; 5];
    let mut n = 0usize;
    for &b in data {
        match b {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                if let Some(slot) = group.get_mut(n) {
                    *slot = u32::from(b - b'!');
                }
                n += 1;
                if n == 5 {
                    let v = group
                        .iter()
                        .fold(0u32, |a, &d| a.wrapping_mul(85).wrapping_add(d));
                    out.extend_from_slice(&v.to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let v = group
            .iter()
            .fold(0u32, |a, &d| a.wrapping_mul(85).wrapping_add(d));
        out.extend_from_slice(v.to_be_bytes().get(..n - 1).unwrap_or_default());
    }
    out
}

/// Extracts a PDF's text, or marks it encrypted when a password is needed to open it.
pub fn extract(
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    out: &mut Extraction,
    file_index: usize,
) -> Result<()> {
    let Read {
        encrypted,
        text,
        unread,
    } = guard("pdf", || read(data, budget))?;
    if let Some(kind) = encrypted {
        if let Some(f) = out.files.get_mut(file_index) {
            f.encrypted = Some(kind);
        }
        return Ok(());
    }
    // Content that did not decode could hold anything: the file could not
    // be checked whole, whatever else was read from it.
    if let Some(reason) = &unread {
        out.skip(
            path,
            format!("pdf content could not be read: {reason}"),
            true,
        );
    }
    if text.trim().is_empty() {
        if unread.is_some() {
            return Ok(());
        }
        return Err(ExtractError::Unsupported(
            "pdf has no extractable text (scanned image or unsupported fonts)".into(),
        ));
    }
    push_text(out, path, TextKind::Attachment, text, budget);
    Ok(())
}

/// What reading a PDF gave: the encryption kind if it is protected, the
/// text, and why some of its content could not be decoded (see
/// [`text::Reader::unread`]).
struct Read {
    encrypted: Option<String>,
    text: String,
    unread: Option<String>,
}

fn read(data: &[u8], budget: &mut Budget) -> Result<Read> {
    let offsets = Doc::scan_objects(data, budget)?;
    if offsets.is_empty() {
        return Err(ExtractError::corrupt("pdf", "no objects"));
    }
    let mut doc = Doc {
        data,
        offsets,
        compressed: HashMap::new(),
        security: None,
        trailer: Dict::new(),
        starts: Vec::new(),
    };
    doc.starts = doc.offsets.values().map(|&(o, _)| o).collect();
    doc.starts.sort_unstable();
    doc.trailer = doc.find_trailer();
    // Object streams are read before encryption is decided: a file whose
    // pages live in them (any PDF 1.5 writer) has no pages to probe
    // otherwise, and a made-up /Encrypt would pass for real. In a really
    // encrypted file they are ciphertext and yield nothing here; they are
    // read again once a key is known.
    doc.load_object_streams(budget)?;
    let encrypt = get(&doc.trailer, b"Encrypt").cloned();
    // An /Encrypt entry that names no dictionary (`/Encrypt 99 0 R` with no
    // object 99) describes no security handler: nothing can have been
    // encrypted with it, so the file is read as plain. Its text decides.
    if let Some(enc) = doc.resolve_dict(encrypt.as_ref()) {
        let id0 = match get(&doc.trailer, b"ID").map(|i| doc.resolve(i)) {
            Some(Obj::Array(a)) => a.first().and_then(Obj::as_str).unwrap_or_default().to_vec(),
            _ => Vec::new(),
        };
        let sec = crypt::security(&enc, &id0);
        if sec.key.is_none() && !doc.content_in_clear(budget)? {
            return Ok(Read {
                encrypted: Some(sec.kind),
                text: String::new(),
                unread: None,
            });
        }
        // With no key, the dictionary claims a handler the content does not
        // use (the page content reads as plain content): not protected.
        // Opens with the empty user password: permissions only, not protected.
        if sec.key.is_some() {
            doc.security = Some(sec);
            doc.compressed.clear();
            doc.load_object_streams(budget)?;
        }
    }
    let max = budget.limits.max_text_chars;
    let mut text = String::new();
    let mut rd = text::Reader::default();
    let pages = doc.pages(budget)?;
    if pages.is_empty() && !doc.declares_no_pages() {
        // Not one page object could be read (a broken or hostile page
        // tree): nothing was checked, which is not an image-only file.
        rd.unread = Some("no readable page".into());
    }
    for (page, res) in pages {
        if budget.out_of_time() {
            return Err(ExtractError::Time);
        }
        if text.len() >= max {
            break;
        }
        rd.forms.clear();
        let content = text::page_content(&doc, &page, budget, &mut rd.unread)?;
        text::run(&doc, &content, &res, &mut rd, &mut text, budget, 0)?;
        text::annotations(&doc, &page, &res, &mut rd, &mut text, budget)?;
        text.push('\n');
    }
    if let Some(root) = doc.resolve_dict(get(&doc.trailer, b"Root")) {
        text::form_fields(&doc, &root, &mut text, budget)?;
    }
    Ok(Read {
        encrypted: None,
        text,
        unread: rd.unread,
    })
}

#[cfg(test)]
mod tests;
