//! Content streams → text: the text operators (Tj, TJ, ', ") decoded through
//! each font's ToUnicode CMap when it has one, else its simple encoding
//! (WinAnsi with /Differences). Line breaks come from the text positioning
//! operators; Form XObjects are followed a few levels deep, each at most
//! once per page (a form that draws itself, or a thousand `Do`s of one
//! form, would otherwise multiply its work by the fan-out at every level).
//! Every token is charged to the message's [`Budget::charge`], so the work
//! is bounded by the cost cap and the clock is read across nested runs.

use super::object::{get, Dict, Lexer, Obj, Token};
use super::Doc;
use crate::codec::{cp1252_char, utf16be_lossy};
use crate::error::Result;
use crate::Budget;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Mappings kept from one ToUnicode CMap.
const MAX_CMAP_ENTRIES: usize = 65_536;
/// Form XObjects nested deeper than this are not followed.
const MAX_FORM_DEPTH: usize = 4;

/// A cheap hasher for character codes (SipHash per glyph was a hot spot).
#[derive(Default, Clone, Copy)]
pub struct CodeHasher(u64);

impl std::hash::Hasher for CodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type CodeMap = HashMap<u32, String, std::hash::BuildHasherDefault<CodeHasher>>;

#[derive(Debug, Default)]
pub struct Font {
    two_byte: bool,
    /// Shared with every font that names the same CMap stream.
    to_unicode: Rc<CodeMap>,
    /// Simple-font encoding (WinAnsi plus /Differences).
    simple: Vec<Option<char>>,
    /// `simple` maps every printable ASCII byte to itself (no /Differences
    /// there), so a string of them is copied whole instead of a char at a time.
    ascii_identity: bool,
}

#[derive(Default)]
pub struct FontCache {
    by_ref: HashMap<u32, Rc<Font>>,
    /// Parsed ToUnicode CMaps by stream object number (and whether their
    /// codes are two bytes): a font given as a direct dictionary is loaded
    /// again at every `Tf`, but its CMap is parsed once.
    cmaps: HashMap<u32, (Rc<CodeMap>, bool)>,
}

/// Common glyph names → characters (for /Differences).
fn glyph(name: &[u8]) -> Option<char> {
    let s = std::str::from_utf8(name).ok()?;
    if s.len() == 1 {
        return s.chars().next();
    }
    if let Some(hex) = s.strip_prefix("uni").or_else(|| s.strip_prefix('u')) {
        if let Ok(v) = u32::from_str_radix(hex.get(..4.min(hex.len()))?, 16) {
            return char::from_u32(v);
        }
    }
    Some(match s {
        "space" | "nbspace" => ' ',
        "zero" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        "period" => '.',
        "comma" => ',',
        "colon" => ':',
        "semicolon" => ';',
        "hyphen" | "minus" | "endash" => '-',
        "emdash" => '—',
        "slash" => '/',
        "at" => '@',
        "parenleft" => '(',
        "parenright" => ')',
        "quoteright" | "quotesingle" => '\'',
        "quotedbl" => '"',
        "ampersand" => '&',
        "underscore" => '_',
        "sterling" => '£',
        "percent" => '%',
        "numbersign" => '#',
        "plus" => '+',
        "equal" => '=',
        "question" => '?',
        "exclam" => '!',
        _ => return None,
    })
}

fn utf16be(b: &[u8]) -> String {
    utf16be_lossy(b).into_owned()
}

fn code_of(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0u32, |a, &x| a << 8 | u32::from(x))
}

/// bfchar / bfrange entries of a ToUnicode CMap; also whether codes are 2
/// bytes. Every token and every range entry is charged: a font given as a
/// direct dictionary is loaded again at each `Tf`, so its CMap's cost is
/// paid per use.
fn parse_cmap(data: &[u8], map: &mut CodeMap, budget: &mut Budget) -> Result<bool> {
    let mut l = Lexer::content(data);
    let mut two_byte = false;
    let mut mode = 0u8;
    let mut ops: Vec<Obj> = Vec::new();
    while let Some(t) = l.token() {
        budget.charge(1)?;
        match t {
            Token::Op(op) => {
                match op {
                    b"beginbfchar" => mode = 1,
                    b"beginbfrange" => mode = 2,
                    b"endbfchar" => {
                        for pair in ops.chunks(2) {
                            if let [Obj::Str(src), Obj::Str(dst)] = pair {
                                two_byte |= src.len() == 2;
                                if map.len() < MAX_CMAP_ENTRIES {
                                    map.insert(code_of(src), utf16be(dst));
                                }
                            }
                        }
                        mode = 0;
                    }
                    b"endbfrange" => {
                        for tri in ops.chunks(3) {
                            let [Obj::Str(lo), Obj::Str(hi), dst] = tri else {
                                continue;
                            };
                            two_byte |= lo.len() == 2;
                            let (lo_c, hi_c) = (code_of(lo), code_of(hi));
                            if hi_c < lo_c || hi_c - lo_c > 65_535 {
                                continue;
                            }
                            budget.charge(u64::from(hi_c - lo_c) + 1)?;
                            for (k, code) in (lo_c..=hi_c).enumerate() {
                                if map.len() >= MAX_CMAP_ENTRIES {
                                    break;
                                }
                                let s = match dst {
                                    Obj::Str(d) => {
                                        // Destination + offset, as a big-endian number
                                        // over its last two bytes (the last UTF-16 unit).
                                        let mut d = d.clone();
                                        let n = d.len();
                                        let tail = d.get(n.saturating_sub(2)..).unwrap_or_default();
                                        let unit =
                                            tail.iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
                                        let v = unit.wrapping_add(k as u32);
                                        let bytes = v.to_be_bytes();
                                        let width = tail.len();
                                        d.truncate(n - width);
                                        d.extend_from_slice(
                                            bytes.get(4 - width..).unwrap_or_default(),
                                        );
                                        utf16be(&d)
                                    }
                                    Obj::Array(a) => match a.get(k).and_then(Obj::as_str) {
                                        Some(d) => utf16be(d),
                                        None => continue,
                                    },
                                    _ => continue,
                                };
                                map.insert(code, s);
                            }
                        }
                        mode = 0;
                    }
                    b"begincodespacerange" => {}
                    _ => {}
                }
                ops.clear();
            }
            Token::Operand(other) => {
                if mode != 0 && ops.len() < 3 * 100_000 {
                    ops.push(other);
                } else if mode == 0 {
                    ops.clear();
                }
            }
        }
    }
    Ok(two_byte)
}

fn load_font(doc: &Doc<'_>, d: &Dict, cache: &mut FontCache, budget: &mut Budget) -> Result<Font> {
    let mut f = Font {
        two_byte: get(d, b"Subtype").and_then(Obj::as_name) == Some(b"Type0"),
        to_unicode: Rc::default(),
        simple: (0..=255u8).map(cp1252_char).collect(),
        ascii_identity: false,
    };
    if let Some(r @ Obj::Ref(n, _)) = get(d, b"ToUnicode") {
        let parsed = match cache.cmaps.get(n) {
            Some(p) => Some(p.clone()),
            None => {
                let stream = doc.resolve(r);
                match doc.stream_data(*n, &stream, budget) {
                    Ok(data) => {
                        let mut map = CodeMap::default();
                        let two = parse_cmap(&data, &mut map, budget)?;
                        let p = (Rc::new(map), two);
                        cache.cmaps.insert(*n, p.clone());
                        Some(p)
                    }
                    Err(e) if e.is_budget() => return Err(e),
                    Err(_) => None,
                }
            }
        };
        if let Some((map, two)) = parsed {
            f.to_unicode = map;
            f.two_byte |= two && get(d, b"Subtype").and_then(Obj::as_name) == Some(b"Type0");
        }
    }
    if let Some(enc) = doc.resolve_dict(get(d, b"Encoding")) {
        if let Some(Obj::Array(diffs)) = get(&enc, b"Differences").map(|x| doc.resolve(x)) {
            let mut code = 0usize;
            for item in diffs {
                match item {
                    Obj::Int(c) => code = usize::try_from(c).unwrap_or(256),
                    Obj::Name(n) => {
                        if let Some(slot) = f.simple.get_mut(code) {
                            *slot = glyph(&n);
                        }
                        code += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(f.with_ascii_check())
}

impl Font {
    /// A font with WinAnsi's encoding and no ToUnicode map: what text is
    /// read with before any `Tf`.
    fn win_ansi() -> Self {
        Font {
            simple: (0..=255u8).map(cp1252_char).collect(),
            ..Font::default()
        }
        .with_ascii_check()
    }

    fn with_ascii_check(mut self) -> Self {
        self.ascii_identity =
            (0x20..0x7Fu8).all(|b| self.simple.get(usize::from(b)) == Some(&Some(char::from(b))));
        self
    }

    fn decode(&self, s: &[u8], out: &mut String) {
        if self.two_byte {
            for c in s.chunks(2) {
                let code = code_of(c);
                if let Some(t) = self.to_unicode.get(&code) {
                    out.push_str(t);
                }
            }
        } else if self.to_unicode.is_empty() {
            if self.ascii_identity && s.iter().all(|b| (0x20..0x7F).contains(b)) {
                if let Ok(text) = std::str::from_utf8(s) {
                    out.push_str(text);
                    return;
                }
            }
            out.extend(
                s.iter()
                    .filter_map(|&b| self.simple.get(usize::from(b)).copied().flatten()),
            );
        } else {
            for &b in s {
                if let Some(t) = self.to_unicode.get(&u32::from(b)) {
                    out.push_str(t);
                } else if let Some(Some(c)) = self.simple.get(usize::from(b)) {
                    out.push(*c);
                }
            }
        }
    }
}

/// What text extraction carries through one PDF: parsed fonts, the forms
/// run on the current page, and why content could not be decoded.
#[derive(Default)]
pub struct Reader {
    pub fonts: FontCache,
    /// Form XObjects already run on the current page (object numbers). A
    /// form on the stack is in it too, so a form that draws itself stops at
    /// once; annotation appearances share it, so a widget whose appearance
    /// draws itself, or is listed a thousand times, runs once.
    pub forms: HashSet<u32>,
    /// The first content stream (page or form) that could not be decoded
    /// (an unsupported filter, corrupt compressed data). Text drawn there
    /// was never read, so the file could not be checked whole: an
    /// unreadable content stream is not an image-only page.
    pub unread: Option<String>,
}

impl Reader {
    fn note_unread(&mut self, e: &crate::error::ExtractError) {
        if self.unread.is_none() {
            self.unread = Some(e.to_string());
        }
    }
}

/// The page's content streams, decoded and joined; a stream that does not
/// decode is noted in `unread`.
pub fn page_content(
    doc: &Doc<'_>,
    page: &Dict,
    budget: &mut Budget,
    unread: &mut Option<String>,
) -> Result<Vec<u8>> {
    let refs: Vec<Obj> = match get(page, b"Contents") {
        Some(Obj::Array(a)) => a.clone(),
        Some(r @ Obj::Ref(..)) => match doc.resolve(r) {
            Obj::Array(a) => a,
            _ => vec![r.clone()],
        },
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for r in refs {
        let Obj::Ref(n, _) = r else { continue };
        let s = doc.resolve(&r);
        match doc.stream_data(n, &s, budget) {
            Ok(d) => {
                // One stream may be listed many times (`[4 0 R 4 0 R ...]`),
                // and an unfiltered one is copied without inflating.
                budget.produce(d.len())?;
                out.extend_from_slice(&d);
                out.push(b'\n');
            }
            Err(e) if e.is_budget() => return Err(e),
            Err(e) => {
                if unread.is_none() {
                    *unread = Some(e.to_string());
                }
            }
        }
    }
    Ok(out)
}

fn font_for(
    doc: &Doc<'_>,
    res: &Dict,
    name: &[u8],
    cache: &mut FontCache,
    budget: &mut Budget,
) -> Result<Option<Rc<Font>>> {
    let Some(fonts) = doc.resolve_dict(get(res, b"Font")) else {
        return Ok(None);
    };
    let Some(entry) = get(&fonts, name) else {
        return Ok(None);
    };
    if let Obj::Ref(n, _) = entry {
        if let Some(f) = cache.by_ref.get(n) {
            return Ok(Some(f.clone()));
        }
    }
    let Some(d) = doc.resolve_dict(Some(entry)) else {
        return Ok(None);
    };
    if let Obj::Ref(n, _) = entry {
        let f = Rc::new(load_font(doc, &d, cache, budget)?);
        cache.by_ref.insert(*n, f.clone());
        return Ok(Some(f));
    }
    Ok(Some(Rc::new(load_font(doc, &d, cache, budget)?)))
}

fn newline(out: &mut String) {
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
}

fn space(out: &mut String) {
    if !out.ends_with([' ', '\n']) && !out.is_empty() {
        out.push(' ');
    }
}

/// Runs one content stream, appending its text to `out`.
pub fn run(
    doc: &Doc<'_>,
    content: &[u8],
    res: &Dict,
    rd: &mut Reader,
    out: &mut String,
    budget: &mut Budget,
    depth: usize,
) -> Result<()> {
    let max = budget.limits.max_text_chars;
    let mut l = Lexer::content(content);
    let mut stack: Vec<Obj> = Vec::new();
    let mut font: Option<Rc<Font>> = None;
    let mut line_y = 0.0f64;
    let default_font = Font::win_ansi();
    while let Some(t) = l.token() {
        budget.charge(1)?;
        let op = match t {
            Token::Op(op) => op,
            Token::Operand(o) => {
                if stack.len() < 64 {
                    stack.push(o);
                }
                continue;
            }
        };
        if out.len() >= max {
            break;
        }
        let f: &Font = font.as_deref().unwrap_or(&default_font);
        match op {
            b"BT" => line_y = 0.0,
            b"Tf" => {
                if let Some(Obj::Name(n)) = stack.first() {
                    font = font_for(doc, res, n, &mut rd.fonts, budget)?;
                }
            }
            b"Td" | b"TD" => {
                let ty = stack.get(1).and_then(Obj::as_num).unwrap_or(0.0);
                if ty.abs() > 0.01 {
                    line_y += ty;
                    newline(out);
                } else {
                    space(out);
                }
            }
            b"Tm" => {
                let y = stack.get(5).and_then(Obj::as_num).unwrap_or(0.0);
                if (y - line_y).abs() > 0.5 {
                    newline(out);
                } else {
                    space(out);
                }
                line_y = y;
            }
            b"T*" => newline(out),
            b"Tj" => {
                if let Some(Obj::Str(s)) = stack.last() {
                    f.decode(s, out);
                }
            }
            b"'" | b"\"" => {
                newline(out);
                if let Some(Obj::Str(s)) = stack.last() {
                    f.decode(s, out);
                }
            }
            b"TJ" => {
                if let Some(Obj::Array(a)) = stack.last() {
                    for item in a {
                        match item {
                            Obj::Str(s) => f.decode(s, out),
                            n => {
                                if n.as_num().is_some_and(|v| v < -180.0) {
                                    space(out);
                                }
                            }
                        }
                    }
                }
            }
            b"ET" => space(out),
            b"Do" if depth < MAX_FORM_DEPTH => {
                if let Some(Obj::Name(n)) = stack.first() {
                    named_form(doc, res, n, rd, out, budget, depth)?;
                }
            }
            b"BI" => {
                // Inline image: skip its data up to `EI`.
                let rest = content.get(l.pos..).unwrap_or_default();
                let mut skip = rest.len();
                for p in memchr::memmem::find_iter(rest, b"EI") {
                    let before =
                        p == 0 || rest.get(p - 1).is_some_and(|&b| super::object::is_ws(b));
                    let after = rest.get(p + 2).is_none_or(|&b| super::object::is_ws(b));
                    if before && after {
                        skip = p + 2;
                        break;
                    }
                }
                l.pos += skip;
            }
            _ => {}
        }
        stack.clear();
    }
    Ok(())
}

/// Runs the form XObject named `name` in `res`'s /XObject dictionary.
fn named_form(
    doc: &Doc<'_>,
    res: &Dict,
    name: &[u8],
    rd: &mut Reader,
    out: &mut String,
    budget: &mut Budget,
    depth: usize,
) -> Result<()> {
    let Some(xobjects) = doc.resolve_dict(get(res, b"XObject")) else {
        return Ok(());
    };
    match get(&xobjects, name) {
        Some(r @ Obj::Ref(..)) => form(doc, r, res, rd, out, budget, depth),
        _ => Ok(()),
    }
}

/// Runs the form XObject `r` refers to (a `Do` operand's target, or an
/// annotation's appearance), once per page, with its own resources or
/// else `res`.
pub fn form(
    doc: &Doc<'_>,
    r: &Obj,
    res: &Dict,
    rd: &mut Reader,
    out: &mut String,
    budget: &mut Budget,
    depth: usize,
) -> Result<()> {
    let Obj::Ref(n, _) = r else {
        return Ok(());
    };
    if depth >= MAX_FORM_DEPTH || !rd.forms.insert(*n) {
        return Ok(());
    }
    let s = doc.resolve(r);
    let Some(d) = s.as_dict() else { return Ok(()) };
    // An appearance stream may omit /Subtype (it is a form by position).
    if get(d, b"Subtype")
        .and_then(Obj::as_name)
        .is_some_and(|t| t != b"Form")
    {
        return Ok(());
    }
    let inner_res = doc
        .resolve_dict(get(d, b"Resources"))
        .unwrap_or_else(|| res.clone());
    match doc.stream_data(*n, &s, budget) {
        Ok(data) => run(doc, &data, &inner_res, rd, out, budget, depth + 1),
        Err(e) if e.is_budget() => Err(e),
        Err(e) => {
            rd.note_unread(&e);
            Ok(())
        }
    }
}

/// Annotations read from one page, and form fields from one file: more
/// than any real form has, few enough that a hostile list costs little.
const MAX_ANNOTATIONS: usize = 10_000;

/// A PDF text string (annotation contents, field values): UTF-16BE or
/// UTF-8 after their byte-order marks, else PDFDocEncoding (read as
/// Windows-1252, which agrees with it on every printable character
/// detectors look at).
pub fn text_string(s: &[u8]) -> String {
    if let Some(rest) = s.strip_prefix(&[0xFE, 0xFF]) {
        return utf16be(rest);
    }
    if let Some(rest) = s.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    s.iter().filter_map(|&b| cp1252_char(b)).collect()
}

/// Appends `s` on a line of its own.
fn push_line(out: &mut String, s: &str, budget: &mut Budget) -> Result<()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(());
    }
    budget.produce(s.len())?;
    newline(out);
    out.push_str(s);
    out.push('\n');
    Ok(())
}

/// The text a page's annotations put on it: their /Contents (comments,
/// sticky notes, free-text boxes) and their normal appearance streams (a
/// filled-in form field draws its value there). Both are sent with the
/// file and shown by every viewer, as surely as the page content. An
/// appearance is a form XObject, run under the page's visited set: an
/// appearance that draws itself, or an annotation listed many times, runs
/// once.
pub fn annotations(
    doc: &Doc<'_>,
    page: &Dict,
    res: &Dict,
    rd: &mut Reader,
    out: &mut String,
    budget: &mut Budget,
) -> Result<()> {
    let Some(list) = get(page, b"Annots").map(|a| doc.resolve(a)) else {
        return Ok(());
    };
    let Obj::Array(list) = list else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    for a in list.iter().take(MAX_ANNOTATIONS) {
        budget.charge(1)?;
        if let Obj::Ref(n, _) = a {
            if !seen.insert(*n) {
                continue;
            }
        }
        let Some(annot) = doc.resolve_dict(Some(a)) else {
            continue;
        };
        if let Some(Obj::Str(s)) = get(&annot, b"Contents").map(|c| doc.resolve(c)) {
            push_line(out, &text_string(&s), budget)?;
        }
        let Some(ap) = doc.resolve_dict(get(&annot, b"AP")) else {
            continue;
        };
        match get(&ap, b"N") {
            Some(r @ Obj::Ref(..)) => match doc.resolve(r) {
                Obj::Stream(..) => form(doc, r, res, rd, out, budget, 0)?,
                // Appearance states (a checkbox's /Yes and /Off).
                Obj::Dict(states) => {
                    for (_, s) in states.iter().take(16) {
                        form(doc, s, res, rd, out, budget, 0)?;
                    }
                }
                _ => {}
            },
            Some(Obj::Dict(states)) => {
                for (_, s) in states.iter().take(16) {
                    form(doc, s, res, rd, out, budget, 0)?;
                }
            }
            _ => {}
        }
        newline(out);
    }
    Ok(())
}

/// The values of an interactive form's fields (`/AcroForm /Fields`, kids
/// included), each as `name: value` on its own line. A form filled in by
/// a viewer that leaves drawing to the reader (`/NeedAppearances`) has
/// its values only here. Walked with an explicit stack and a visited set,
/// so a field tree that loops or nests deep costs one visit per field.
pub fn form_fields(
    doc: &Doc<'_>,
    root: &Dict,
    out: &mut String,
    budget: &mut Budget,
) -> Result<()> {
    let Some(acro) = doc.resolve_dict(get(root, b"AcroForm")) else {
        return Ok(());
    };
    let Some(Obj::Array(fields)) = get(&acro, b"Fields").map(|f| doc.resolve(f)) else {
        return Ok(());
    };
    let mut stack: Vec<Obj> = fields.into_iter().rev().take(MAX_ANNOTATIONS).collect();
    let mut seen = HashSet::new();
    let mut visited = 0usize;
    while let Some(f) = stack.pop() {
        visited += 1;
        if visited > MAX_ANNOTATIONS {
            break;
        }
        budget.charge(1)?;
        if let Obj::Ref(n, _) = f {
            if !seen.insert(n) {
                continue;
            }
        }
        let Some(field) = doc.resolve_dict(Some(&f)) else {
            continue;
        };
        let values: Vec<Vec<u8>> = match get(&field, b"V").map(|v| doc.resolve(v)) {
            Some(Obj::Str(s)) => vec![s],
            Some(Obj::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(<[u8]>::to_vec))
                .collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            let name = match get(&field, b"T").map(|t| doc.resolve(t)) {
                Some(Obj::Str(t)) => text_string(&t),
                _ => String::new(),
            };
            for v in values {
                let v = text_string(&v);
                if v.trim().is_empty() {
                    continue;
                }
                if name.trim().is_empty() {
                    push_line(out, &v, budget)?;
                } else {
                    push_line(out, &format!("{}: {}", name.trim(), v.trim()), budget)?;
                }
            }
        }
        if let Some(Obj::Array(kids)) = get(&field, b"Kids").map(|k| doc.resolve(k)) {
            let room = MAX_ANNOTATIONS.saturating_sub(stack.len());
            stack.extend(kids.into_iter().rev().take(room));
        }
    }
    Ok(())
}
