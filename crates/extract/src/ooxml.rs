//! Office Open XML (.docx, .xlsx, .pptx): a ZIP of XML parts, read with
//! [`zipfile::Archive`] (same caps as any archive) and `quick-xml`.
//!
//! - docx: body, headers, footers, footnotes, endnotes, comments; tables as
//!   [`TextKind::Table`] so column headers give the detectors context.
//! - xlsx: every sheet, cells from shared strings, inline strings and numbers;
//!   numbers in date formats become `dd/mm/yyyy` (dates of birth matter).
//! - pptx: slides and speaker notes.
//!
//! A password-protected OOXML file is not a ZIP at all but an OLE compound
//! file (see `ole.rs`).

use super::dates::{excel_serial_to_date, is_excel_date_format};
use super::error::{ExtractError, Result};
use super::sniff::FileKind;
use super::table::{rows_to_text, TableText, MAX_TABLE_TEXT};
use super::xml_text::{flow, FlowSpec};
use super::xml_tokenizer::RunShape;
use super::xml_tokenizer::{
    decode_into, local, plain_attrs, text_to_lt, Attrs, Scanner, Text, Tok,
};
use super::zipfile::{Archive, MemberBuffer};
use super::{push_text, Budget, Extraction};
use crate::bytes::trimmed;
use crate::TextKind;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

/// Word's text flow (also what the XML flow tests exercise).
pub(super) const DOCX: FlowSpec = FlowSpec {
    text_in: &[b"t", b"delText"],
    para: &[b"p"],
    tab: &[b"tab"],
    brk: &[b"br", b"cr"],
    space: &[],
    table: b"tbl",
    row: b"tr",
    cells: &[b"tc"],
    skip: &[],
    opaque: &[
        b"rPr", b"pPr", b"sectPr", b"tblPr", b"tblGrid", b"trPr", b"tcPr", b"sdtPr",
    ],
    run: Some(RunShape {
        para: b"w:p",
        para_props: b"w:pPr",
        run: b"w:r",
        props: b"w:rPr",
        text: b"w:t",
    }),
};

/// Spreadsheet cell comments (`xl/comments*.xml`: notes, each a run of
/// `t`; `xl/threadedComments/*.xml`: replies, each a `text`), one line
/// each. Author lists are left out: names alone are not what is checked.
const XLSX_COMMENTS: FlowSpec = FlowSpec {
    text_in: &[b"t", b"text"],
    para: &[b"comment", b"threadedComment"],
    tab: &[],
    brk: &[],
    space: &[],
    table: b"",
    row: b"",
    cells: &[],
    skip: &[b"authors", b"rPh"],
    opaque: &[b"rPr"],
    run: None,
};

pub(super) const PPTX: FlowSpec = FlowSpec {
    text_in: &[b"t"],
    para: &[b"p"],
    tab: &[b"tab"],
    brk: &[b"br"],
    space: &[],
    table: b"tbl",
    row: b"tr",
    cells: &[b"tc"],
    skip: &[],
    opaque: &[
        b"nvSpPr",
        b"spPr",
        b"bodyPr",
        b"lstStyle",
        b"rPr",
        b"pPr",
        b"endParaRPr",
        b"tcPr",
    ],
    run: Some(RunShape {
        para: b"a:p",
        para_props: b"a:pPr",
        run: b"a:r",
        props: b"a:rPr",
        text: b"a:t",
    }),
};

/// Largest column index materialised in a sheet row.
const MAX_COLUMNS: usize = 1024;

/// Extracts an OOXML package of the given kind.
pub fn extract(
    kind: FileKind,
    path: &str,
    data: &[u8],
    budget: &mut Budget,
    out: &mut Extraction,
) -> Result<()> {
    let mut archive = Archive::open(data, budget)?;
    match kind {
        FileKind::Xlsx => xlsx(path, &mut archive, budget, out),
        FileKind::Pptx => parts(
            path,
            &mut archive,
            budget,
            out,
            &["ppt/slides/slide", "ppt/notesSlides/notesSlide"],
            "ppt/slides/slide",
            &PPTX,
        ),
        _ => parts(
            path,
            &mut archive,
            budget,
            out,
            &[
                "word/document",
                "word/header",
                "word/footer",
                "word/footnotes",
                "word/endnotes",
                "word/comments",
            ],
            "word/document",
            &DOCX,
        ),
    }
}

/// Number in a part name (`slide12.xml` → 12), for document order.
fn part_number(name: &str) -> u64 {
    let digits: String = name
        .trim_end_matches(".xml")
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap_or(0)
}

/// Indices of entries whose names start with one of `prefixes` and end in `.xml`, in order.
fn select(archive: &Archive<'_>, prefixes: &[&str]) -> Vec<usize> {
    let mut found: Vec<(usize, u64, usize)> = Vec::new();
    for (i, e) in archive.entries.iter().enumerate() {
        if !e.name.ends_with(".xml") {
            continue;
        }
        if let Some(p) = prefixes
            .iter()
            .position(|p| e.name.starts_with(p) && !e.name[p.len()..].contains('/'))
        {
            found.push((p, part_number(&e.name), i));
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, _, i)| i).collect()
}

fn parts(
    path: &str,
    archive: &mut Archive<'_>,
    budget: &mut Budget,
    out: &mut Extraction,
    prefixes: &[&str],
    required: &str,
    spec: &FlowSpec,
) -> Result<()> {
    let selected = select(archive, prefixes);
    let has_main = selected.iter().any(|&i| {
        archive
            .entries
            .get(i)
            .is_some_and(|e| e.name.starts_with(required))
    });
    if !has_main {
        return Err(ExtractError::corrupt(
            "ooxml",
            format!("no {required} part"),
        ));
    }
    let max = budget.limits.max_text_chars;
    let mut text = String::new();
    let mut xml = MemberBuffer::take();
    archive.reserve_for(&selected, budget, &mut xml);
    for i in selected {
        archive.read_into(i, budget, &mut xml)?;
        let f = flow(&xml, spec, budget, max)?;
        if text.is_empty() {
            // The first part's text becomes the result: no copy of it.
            text = f.text;
            text.push('\n');
        } else if text.len() < max {
            text.push_str(&f.text);
            text.push('\n');
        }
        for t in f.tables {
            push_text(out, path, TextKind::Table, rows_to_text(&t), budget);
        }
    }
    push_text(out, path, TextKind::Attachment, text, budget);
    Ok(())
}

fn xlsx(
    path: &str,
    archive: &mut Archive<'_>,
    budget: &mut Budget,
    out: &mut Extraction,
) -> Result<()> {
    let sheets = select(archive, &["xl/worksheets/sheet"]);
    if sheets.is_empty() {
        return Err(ExtractError::corrupt("xlsx", "no worksheets"));
    }
    // One buffer for every part in turn, sized once for the largest.
    let mut xml = MemberBuffer::take();
    let shared_part = archive.find("xl/sharedStrings.xml");
    let styles_part = archive.find("xl/styles.xml");
    let parts: Vec<usize> = sheets
        .iter()
        .copied()
        .chain(shared_part)
        .chain(styles_part)
        .collect();
    archive.reserve_for(&parts, budget, &mut xml);
    let shared = match shared_part {
        Some(i) => {
            archive.read_into(i, budget, &mut xml)?;
            shared_strings(&xml, budget)?
        }
        None => SharedStrings::default(),
    };
    let styles = match styles_part {
        Some(i) => {
            archive.read_into(i, budget, &mut xml)?;
            Styles::parse(&xml)
        }
        None => Styles::default(),
    };
    for i in sheets {
        archive.read_into(i, budget, &mut xml)?;
        let (text, cut) = sheet_text(&xml, &shared, &styles, budget)?;
        if cut {
            out.skip(path, super::table::CUT_REASON, false);
        }
        push_text(out, path, TextKind::Table, text, budget);
    }
    // Cell comments (notes and threaded replies) travel with the file.
    let max = budget.limits.max_text_chars;
    let mut comments = String::new();
    for i in select(archive, &["xl/comments", "xl/threadedComments/"]) {
        archive.read_into(i, budget, &mut xml)?;
        let f = flow(&xml, &XLSX_COMMENTS, budget, max)?;
        comments.push_str(&f.text);
        comments.push('\n');
    }
    push_text(out, path, TextKind::Attachment, comments, budget);
    Ok(())
}

/// Shared strings, all in one buffer: a sheet cell that shows one copies
/// its bytes, no allocation per string or per cell.
#[derive(Default)]
struct SharedStrings {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl SharedStrings {
    /// Ends the string that started at `start` in `text` (trimmed).
    fn push_span(&mut self, start: usize) {
        let s = self.text.get(start..).unwrap_or_default();
        let lead = s.len() - s.trim_start().len();
        let len = s.trim().len();
        self.spans.push((start + lead, start + lead + len));
    }

    fn get(&self, i: usize) -> &str {
        self.spans
            .get(i)
            .and_then(|&(s, e)| self.text.get(s..e))
            .unwrap_or_default()
    }
}

/// A sheet cell in its usual, complete form, read without the tokenizer:
/// `<c r="B2" s="1" t="s"><v>VALUE</v></c>`. Tens of thousands of these
/// make a generated sheet; going through the tokenizer they cost five
/// tokens each, with their dispatch and an attribute iterator. Anything
/// else (prefixes, formulas, inline strings, CDATA, comments, odd spacing
/// or quoting) is not matched and goes through the tokenizer as before,
/// which also does all the well-formedness checks: a matched cell is
/// balanced by construction.
#[derive(Debug, PartialEq, Eq)]
struct FastCell {
    /// From `r`; `None` means the column after the previous cell.
    col: Option<usize>,
    ty: CellType,
    style: usize,
    /// The value's bytes, as offsets in the cell.
    value: (usize, usize),
    /// The value holds no `&` (no entity to decode).
    plain: bool,
    /// The value as a number, when it is nothing but 1 to 18 digits (a
    /// shared string's index, most of all), read while finding its end.
    digits: Option<usize>,
    len: usize,
}

fn fast_cell(rest: &[u8]) -> Option<FastCell> {
    if rest.get(..2)? != b"<c" {
        return None;
    }
    let (mut col, mut ty, mut style) = (None, CellType::Number, 0usize);
    let mut at = 2;
    // What writers put first, read directly: ` r="AB12"` and ` t="s"`.
    if rest.get(at..at + 4) == Some(b" r=\"") {
        let letters = at + 4;
        at = letters;
        // The column is counted while the letters are found (one pass);
        // more than three letters (past XFD, Excel's last column) go
        // through the checked conversion.
        let mut n = 0usize;
        while let Some(&l) = rest.get(at).filter(|l| l.is_ascii_uppercase()) {
            n = n * 26 + usize::from(l - b'A') + 1;
            at += 1;
            if at - letters > 3 {
                break;
            }
        }
        while rest.get(at).is_some_and(u8::is_ascii_uppercase) {
            at += 1;
        }
        let digits = at;
        while rest.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == digits || rest.get(at) != Some(&b'"') {
            return None;
        }
        col = match digits - letters {
            0 => None,
            1..=3 => Some(n - 1),
            _ => column_of_bytes(rest.get(letters..digits)?),
        };
        at += 1;
    }
    if rest.get(at..at + 6) == Some(b" t=\"s\"") {
        ty = CellType::Shared;
        at += 6;
    }
    let open = plain_attrs(rest, at, |k, v| match k {
        b"r" => col = column_of_bytes(v),
        b"t" => ty = CellType::from_attr(v),
        b"s" => style = parse_usize(v).unwrap_or(0),
        _ => {}
    })?;
    if rest.get(open..open + 3)? != b"<v>" {
        return None;
    }
    let start = open + 3;
    // Digits first: most values are an index or a whole number.
    let mut end = start;
    let mut n = 0usize;
    while let Some(&d) = rest.get(end).filter(|d| d.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(usize::from(d - b'0'));
        end += 1;
    }
    let (end, amp, digits) = if rest.get(end) == Some(&b'<') {
        let whole = (1..=18).contains(&(end - start));
        (end, false, whole.then_some(n))
    } else {
        let (end, amp) = text_to_lt(rest, end)?;
        (end, amp, None)
    };
    if rest.get(end..end + 8)? != b"</v></c>" {
        return None;
    }
    Some(FastCell {
        col,
        ty,
        style,
        value: (start, end),
        plain: !amp,
        digits,
        len: end + 8,
    })
}

/// A shared string in its usual form, `<si><t>TEXT</t></si>` (the `<t>`
/// may carry `xml:space`), read without the tokenizer like [`FastCell`].
#[derive(Debug, PartialEq, Eq)]
struct FastString {
    text: (usize, usize),
    plain: bool,
    len: usize,
}

fn plain_shared_string(rest: &[u8]) -> Option<FastString> {
    if rest.get(..6)? != b"<si><t" {
        return None;
    }
    let start = plain_attrs(rest, 6, |_, _| {})?;
    let (end, amp) = text_to_lt(rest, start)?;
    if rest.get(end..end + 9)? != b"</t></si>" {
        return None;
    }
    Some(FastString {
        text: (start, end),
        plain: !amp,
        len: end + 9,
    })
}

/// `xl/sharedStrings.xml`: one string per `<si>`, runs joined, phonetic hints skipped.
fn shared_strings(xml: &[u8], budget: &mut Budget) -> Result<SharedStrings> {
    let mut scan = Scanner::new(xml, "xlsx");
    let max = budget.limits.max_text_chars;
    // Sized once from the part (the text is at most the part, the strings
    // at most one per 17 bytes, `<si><t>x</t></si>`), or from the count
    // the writer declares when it is smaller: regrowing a megabyte-sized
    // buffer a dozen times was a tenth of a generated sheet's time.
    // Capacity never written costs no memory.
    let most = xml.len() / 17;
    let declared = declared_count(xml).unwrap_or(most);
    let mut out = SharedStrings {
        text: String::with_capacity(xml.len().min(max)),
        spans: Vec::with_capacity(declared.min(most)),
    };
    let mut cur: Option<usize> = None;
    let (mut in_t, mut in_rph) = (false, 0usize);
    loop {
        // Fast path: a whole plain `<si><t>text</t></si>` between strings.
        if cur.is_none() && !in_t && in_rph == 0 {
            if let Some(si) = plain_shared_string(scan.rest()) {
                budget.charge(1)?;
                let start = out.text.len();
                match scan.text_at(si.text.0, si.text.1) {
                    Text::Str(t) if si.plain => {
                        let t = trimmed(t);
                        if start < max {
                            out.text.push_str(t);
                        }
                        out.spans.push((start, out.text.len()));
                    }
                    raw => {
                        decode_into(raw, &mut out.text, max);
                        out.push_span(start);
                    }
                }
                scan.skip(si.len);
                continue;
            }
        }
        budget.charge(1)?;
        let Some(tok) = scan.next()? else {
            break;
        };
        match tok {
            Tok::Start => match scan.local() {
                b"si" => cur = Some(out.text.len()),
                b"t" => in_t = true,
                b"rPh" => in_rph += 1,
                _ => {}
            },
            Tok::End => match scan.local() {
                b"si" => {
                    if let Some(start) = cur.take() {
                        out.push_span(start);
                    }
                }
                b"t" => in_t = false,
                b"rPh" => in_rph = in_rph.saturating_sub(1),
                _ => {}
            },
            Tok::Empty if scan.local() == b"si" => {
                out.spans.push((out.text.len(), out.text.len()));
            }
            Tok::Text if in_t && in_rph == 0 && cur.is_some() => {
                decode_into(scan.text(), &mut out.text, max);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The `uniqueCount` (else `count`) the `<sst>` start tag declares: a
/// sizing hint only, never trusted beyond what the part can hold.
fn declared_count(xml: &[u8]) -> Option<usize> {
    let head = xml.get(..xml.len().min(1024))?;
    let sst = memchr::memmem::find(head, b"<sst")?;
    let tag = head.get(sst..)?;
    let tag = tag.get(..memchr::memchr(b'>', tag)?)?;
    let value = |name: &[u8]| {
        let at = memchr::memmem::find(tag, name)? + name.len();
        let digits = tag.get(at..)?;
        let end = digits.iter().position(|b| !b.is_ascii_digit())?;
        parse_usize(digits.get(..end)?)
    };
    value(b" uniqueCount=\"").or_else(|| value(b" count=\""))
}

/// Value of the attribute with local name `name`, unescaped (styles only).
fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        if a.key.local_name().as_ref() == name {
            Some(
                a.unescape_value()
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned()),
            )
        } else {
            None
        }
    })
}

/// Which cell styles show numbers as dates.
#[derive(Debug, Default)]
struct Styles {
    date_xf: Vec<bool>,
}

impl Styles {
    fn parse(xml: &[u8]) -> Styles {
        let mut r = Reader::from_reader(xml);
        let mut custom: HashMap<u32, String> = HashMap::new();
        let mut xf_fmt: Vec<u32> = Vec::new();
        let mut in_cell_xfs = false;
        while let Ok(ev) = r.read_event() {
            match ev {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    b"numFmt" => {
                        if let (Some(id), Some(code)) =
                            (attr(&e, b"numFmtId"), attr(&e, b"formatCode"))
                        {
                            if let Ok(id) = id.parse() {
                                custom.insert(id, code);
                            }
                        }
                    }
                    b"cellXfs" => in_cell_xfs = true,
                    b"xf" if in_cell_xfs => {
                        xf_fmt.push(
                            attr(&e, b"numFmtId")
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0),
                        );
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
                Event::Eof => break,
                _ => {}
            }
        }
        Styles {
            date_xf: xf_fmt
                .iter()
                .map(|id| is_excel_date_format(*id, custom.get(id).map(String::as_str)))
                .collect(),
        }
    }

    fn is_date(&self, xf: usize) -> bool {
        self.date_xf.get(xf).copied().unwrap_or(false)
    }
}

/// Cell type from the `t` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Inline,
    Bool,
}

impl CellType {
    fn from_attr(t: &[u8]) -> CellType {
        match t {
            b"s" => CellType::Shared,
            b"b" => CellType::Bool,
            b"n" | b"d" => CellType::Number,
            _ => CellType::Inline,
        }
    }
}

/// Column from a cell reference's letters (`AB12` → 27), from raw bytes.
fn column_of_bytes(r: &[u8]) -> Option<usize> {
    let mut col = 0usize;
    let mut any = false;
    for &c in r.iter().take_while(|c| c.is_ascii_alphabetic()) {
        col = col
            .checked_mul(26)?
            .checked_add(usize::from(c.to_ascii_uppercase() - b'A') + 1)?;
        any = true;
    }
    if any {
        Some(col - 1)
    } else {
        None
    }
}

/// Decimal digits (surrounding whitespace allowed) → number, without a
/// UTF-8 check and `str::parse` per cell.
fn parse_usize(b: &[u8]) -> Option<usize> {
    let b = b.trim_ascii();
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0usize, |n, &c| {
        if c.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(usize::from(c - b'0'))
        } else {
            None
        }
    })
}

/// The attributes of a `<c>` tag: column (from `r`, else the next one),
/// type (`t`) and style (`s`).
#[inline]
fn cell_attrs(attrs: Attrs<'_>, next_col: usize) -> (usize, CellType, usize) {
    let mut col = next_col;
    let mut ty = CellType::Number;
    let mut style = 0usize;
    for (k, v) in attrs {
        match local(k) {
            b"r" => col = column_of_bytes(v).unwrap_or(col),
            b"t" => ty = CellType::from_attr(v),
            b"s" => style = parse_usize(v).unwrap_or(0),
            _ => {}
        }
    }
    (col, ty, style)
}

/// A sheet row being read, in one of two modes.
///
/// Collected: the shown text of its cells, one after the other in `text`,
/// and each column's range in it, rendered by [`TableText::row`] at the
/// row's end. Direct: once a table's header is settled, each cell is
/// written straight into the table's text as it comes, so a cell is copied
/// once instead of twice and a row needs no second pass; the copies and the
/// second pass were a fifth of a generated sheet's time. A direct row whose
/// cells stop coming in column order (a repeated or earlier column, or one
/// past [`MAX_COLUMNS`]) is turned into a collected one on the spot, with
/// exactly the state the collected mode would have had, so both modes
/// render every sheet the same (checked in the tests).
#[derive(Default)]
struct Row {
    text: String,
    cells: Vec<(usize, usize)>,
    /// Direct mode: where the row starts in the table's text.
    direct: Option<usize>,
    /// Direct mode: each cell set so far, its column and its text's range
    /// in the table's text.
    written: Vec<(usize, usize, usize)>,
    /// Direct mode: bytes of cell text taken, capped like `text`.
    taken: usize,
}

impl Row {
    /// Starts a row (a `<row>` tag): direct when the table allows it.
    fn start(&mut self, table: &mut TableText, direct: bool) {
        self.clear(table);
        if direct && table.streaming() {
            self.direct = Some(table.len());
        }
    }

    /// The column after the last one set: where a cell without `r` goes.
    #[inline]
    fn width(&self) -> usize {
        if self.direct.is_some() {
            self.written.last().map_or(0, |w| w.0 + 1)
        } else {
            self.cells.len()
        }
    }

    /// Sets column `col`'s shown text. A row may repeat a cell reference
    /// any number of times: the text is capped, else one row could grow
    /// without bound.
    #[inline]
    fn push(&mut self, col: usize, shown: &str, table: &mut TableText) {
        if let Some(start) = self.direct {
            if self.taken >= MAX_TABLE_TEXT {
                return;
            }
            let in_order = col < MAX_COLUMNS && self.written.last().is_none_or(|w| col > w.0);
            if in_order {
                self.taken += shown.len();
                let (s, e) = table.stream_cell(table.len() == start, col, shown);
                self.written.push((col, s, e));
                return;
            }
            self.collect(table);
        }
        if self.text.len() >= MAX_TABLE_TEXT {
            return;
        }
        let start = self.text.len();
        self.text.push_str(shown);
        self.set(col, start);
    }

    /// Column `col` shows `self.text[start..]`.
    #[inline]
    fn set(&mut self, col: usize, start: usize) {
        if col < MAX_COLUMNS {
            if self.cells.len() <= col {
                self.cells.resize(col + 1, (0, 0));
            }
            if let Some(slot) = self.cells.get_mut(col) {
                *slot = (start, self.text.len());
            }
        }
    }

    /// Turns a direct row into a collected one: its cells are taken back
    /// out of the table's text, in the order they came.
    fn collect(&mut self, table: &mut TableText) {
        let Some(start) = self.direct.take() else {
            return;
        };
        self.text.clear();
        self.cells.clear();
        let written = std::mem::take(&mut self.written);
        for &(col, s, e) in &written {
            let at = self.text.len();
            self.text.push_str(table.text(s, e));
            self.set(col, at);
        }
        self.written = written;
        self.written.clear();
        self.taken = 0;
        table.truncate(start);
    }

    /// Ends a cell of type `ty` and style `style` in column `col` whose
    /// value (the text of its `<v>` or `<t>`, decoded) is `value`.
    #[allow(clippy::too_many_arguments)]
    fn end_cell(
        &mut self,
        col: usize,
        ty: CellType,
        style: usize,
        value: &str,
        shared: &SharedStrings,
        styles: &Styles,
        table: &mut TableText,
    ) {
        match ty {
            CellType::Shared => {
                let shown = parse_usize(value.as_bytes()).map_or("", |i| shared.get(i));
                self.push(col, shown, table);
            }
            CellType::Inline => self.push(col, value.trim(), table),
            CellType::Bool => self.push(
                col,
                if value.trim() == "1" { "TRUE" } else { "FALSE" },
                table,
            ),
            CellType::Number if styles.is_date(style) => match value.trim().parse::<f64>() {
                Ok(n) => match excel_serial_to_date(n) {
                    Some(d) => self.push(col, &d, table),
                    None => self.push(col, value, table),
                },
                Err(_) => self.push(col, value.trim(), table),
            },
            CellType::Number => self.push(col, value.trim(), table),
        }
    }

    /// Ends the row (a `</row>` tag); false once the table is full.
    fn end(&mut self, table: &mut TableText) -> bool {
        if let Some(start) = self.direct.take() {
            if table.len() > start {
                table.end_streamed_row();
            }
            self.written.clear();
            self.taken = 0;
            return true;
        }
        if !self.cells.iter().any(|&(s, e)| e > s) {
            // Nothing shown: no line, and the cells stay until the next row.
            return true;
        }
        let shown = self
            .cells
            .iter()
            .map(|&(s, e)| self.text.get(s..e).unwrap_or_default());
        if !table.row(shown) {
            return false;
        }
        self.cells.clear();
        self.text.clear();
        true
    }

    /// Drops the row: a direct row's text is taken back out of the table.
    fn clear(&mut self, table: &mut TableText) {
        if let Some(start) = self.direct.take() {
            table.truncate(start);
        }
        self.written.clear();
        self.taken = 0;
        self.cells.clear();
        self.text.clear();
    }
}

/// One sheet as table text (`header: value | ...`), rendered row by row
/// (see [`Row`]: once the header is settled, cells go straight into the
/// table text), so no cell costs an allocation. Cells and row tags in their
/// usual form are read by [`fast_cell`] and [`Scanner::start_plain`]; the
/// rest goes through the tokenizer.
fn sheet_text(
    xml: &[u8],
    shared: &SharedStrings,
    styles: &Styles,
    budget: &mut Budget,
) -> Result<(String, bool)> {
    render_sheet(xml, shared, styles, budget, true)
}

/// [`sheet_text`], with direct rows (see [`Row`]) or, for the tests that
/// compare the two, without.
fn render_sheet(
    xml: &[u8],
    shared: &SharedStrings,
    styles: &Styles,
    budget: &mut Budget,
    direct: bool,
) -> Result<(String, bool)> {
    let mut scan = Scanner::new(xml, "xlsx");
    // The rendering repeats each header in every cell, so a sheet of shared
    // strings renders to about its own size (a quarter, as before, made it
    // regrow and copy twice). Capacity never written costs no memory.
    let mut table = TableText::with_capacity(xml.len());
    let mut row = Row::default();
    let mut cell_col = 0usize;
    let mut cell_type = CellType::Number;
    let mut cell_style = 0usize;
    let mut value = String::new();
    let (mut in_v, mut in_t) = (false, false);
    loop {
        budget.charge(1)?;
        if !in_v && !in_t {
            if let Some(c) = fast_cell(scan.rest()) {
                let col = c.col.unwrap_or(row.width());
                let raw = scan.text_at(c.value.0, c.value.1);
                match (c.ty, raw) {
                    // The usual cells, shown without decoding their value.
                    (CellType::Shared, _) if c.plain => {
                        let index = c.digits.or_else(|| parse_usize(raw.bytes()));
                        let shown = index.map_or("", |i| shared.get(i));
                        row.push(col, shown, &mut table);
                    }
                    (CellType::Number, Text::Str(v)) if c.plain && !styles.is_date(c.style) => {
                        row.push(col, trimmed(v), &mut table);
                    }
                    _ => {
                        value.clear();
                        decode_into(raw, &mut value, 32 * 1024);
                        row.end_cell(col, c.ty, c.style, &value, shared, styles, &mut table);
                    }
                }
                scan.skip(c.len);
                continue;
            }
            // Row tags in their usual form, without the tokenizer's
            // dispatch (the open-element stack is kept as it keeps it).
            if scan.end_exact(b"row") {
                if !row.end(&mut table) {
                    break;
                }
                continue;
            }
            if scan.start_plain(b"row") {
                row.start(&mut table, direct);
                continue;
            }
        }
        let Some(tok) = scan.next()? else {
            break;
        };
        match tok {
            Tok::Start => match scan.local() {
                b"row" => row.start(&mut table, direct),
                b"c" => {
                    (cell_col, cell_type, cell_style) = cell_attrs(scan.attrs(), row.width());
                    value.clear();
                }
                b"v" => in_v = true,
                b"t" => in_t = true,
                _ => {}
            },
            Tok::End => match scan.local() {
                b"v" => in_v = false,
                b"t" => in_t = false,
                b"c" => row.end_cell(
                    cell_col, cell_type, cell_style, &value, shared, styles, &mut table,
                ),
                // Ends the row; stops once the table is full.
                b"row" if !row.end(&mut table) => break,
                _ => {}
            },
            Tok::Text if in_v || in_t => decode_into(scan.text(), &mut value, 32 * 1024),
            _ => {}
        }
    }
    // A row left open at the end is not shown.
    row.clear(&mut table);
    let cut = table.cut();
    Ok((table.finish(), cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zipfile::tests::build;
    use crate::{extract as run, Limits};

    #[test]
    fn xlsx_shared_inline_and_dates() {
        let sheet = br#"<worksheet><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>UPN</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>40213</v></c><c r="C2" t="inlineStr"><is><t>P801200216001</t></is></c></row>
</sheetData></worksheet>"#;
        let shared = br#"<sst><si><t>Name</t></si><si><t>DOB</t></si><si><r><t>Amira</t></r><r><t xml:space="preserve"> Khan</t></r><rPh><t>x</t></rPh></si></sst>"#;
        let styles =
            br#"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#;
        let z = build(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
            ("xl/sharedStrings.xml", shared),
            ("xl/styles.xml", styles),
            ("xl/worksheets/sheet1.xml", sheet),
            ("xl/worksheets/sheet2.xml", b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>second sheet</t></is></c></row></sheetData></worksheet>"),
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = run("list.xlsx", "", &z, &mut b);
        let all: Vec<&str> = ex.texts.iter().map(|t| t.text.as_str()).collect();
        assert!(
            all.contains(&"Name: Amira Khan | DOB: 04/02/2010 | UPN: P801200216001\n"),
            "{all:?}"
        );
        assert!(all.iter().any(|t| t.contains("second sheet")));
        assert!(ex.texts.iter().all(|t| t.kind == TextKind::Table));
    }

    #[test]
    fn declared_string_count_is_read_as_a_hint() {
        let x = br#"<?xml version="1.0"?><sst xmlns="x" count="9" uniqueCount="7"><si><t>a</t></si></sst>"#;
        assert_eq!(declared_count(x), Some(7));
        assert_eq!(declared_count(br#"<sst count="12">"#), Some(12));
        assert_eq!(declared_count(b"<sst><si><t>a</t></si></sst>"), None);
        assert_eq!(declared_count(br#"<sst uniqueCount="x">"#), None);
        // A huge claim only sizes up to what the part can hold.
        let mut b = Budget::new(Limits::default());
        let lie = br#"<sst uniqueCount="999999999999"><si><t>Amira</t></si></sst>"#;
        let s = shared_strings(lie, &mut b).unwrap();
        assert_eq!(s.get(0), "Amira");
        assert!(s.spans.capacity() <= lie.len() / 17 + 1);
    }

    #[test]
    fn a_row_repeating_one_cell_stays_bounded() {
        let big = "x".repeat(30_000);
        let shared = format!("<sst><si><t>{big}</t></si></sst>");
        let cell = r#"<c r="A1" t="s"><v>0</v></c>"#.repeat(20_000);
        let sheet = format!("<worksheet><sheetData><row>{cell}</row></sheetData></worksheet>");
        let z = build(&[
            ("xl/sharedStrings.xml", shared.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = run("r.xlsx", "", &z, &mut b);
        // 20,000 x 30 KB would be 600 MB of row buffer; one cell is shown.
        assert_eq!(ex.texts[0].text.len(), 30_001, "{:?}", ex.not_scanned);
    }

    /// Row 5 of issue 20: thousands of nested property elements with the
    /// text at the bottom. Each level's skip used to rescan to the end of
    /// the nesting (quadratic: a 362 KB part took 14.5 s); now a failed
    /// scan is not repeated from inside it, and the text is still read.
    #[test]
    fn deeply_nested_properties_are_linear() {
        let depth = 9_000;
        for (open, close) in [("<w:rPr>", "</w:rPr>"), ("<w:pPr>", "</w:pPr>")] {
            let mut doc = String::from(r#"<w:document xmlns:w="w"><w:body><w:p>"#);
            doc.push_str(&open.repeat(depth));
            doc.push_str("<w:r><w:t>NI QQ 12 34 56 C</w:t></w:r>");
            doc.push_str(&close.repeat(depth));
            doc.push_str("</w:p></w:body></w:document>");
            let z = build(&[("word/document.xml", doc.as_bytes())]);
            let mut b = Budget::new(Limits::default());
            let start = std::time::Instant::now();
            let ex = run("nested.docx", "", &z, &mut b);
            let took = start.elapsed();
            assert!(
                // A wedge guard, not a speed target: the quadratic rescan took 12 s.
                took < std::time::Duration::from_secs(5),
                "{open}: {took:?}"
            );
            assert!(ex.not_scanned.is_empty(), "{open}: {:?}", ex.not_scanned);
            let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
            assert!(text.contains("QQ 12 34 56 C"), "{open}: {text:?}");
        }
    }

    /// The same nesting never closed: the text before the cut is read (a
    /// truncated part reads what is there), at once; each level used to
    /// rescan to the end of the part before giving up on its skip.
    #[test]
    fn unterminated_nested_properties_are_read_quickly() {
        let depth = 9_000;
        for open in ["<w:rPr>", "<w:pPr>", "<w:r><w:rPr>"] {
            let mut doc = String::from(r#"<w:document xmlns:w="w"><w:body><w:p>"#);
            doc.push_str(&open.repeat(depth));
            doc.push_str("<w:t>QQ 12 34 56 C</w:t>");
            let z = build(&[("word/document.xml", doc.as_bytes())]);
            let mut b = Budget::new(Limits::default());
            let start = std::time::Instant::now();
            let ex = run("broken.docx", "", &z, &mut b);
            let took = start.elapsed();
            assert!(
                // A wedge guard, not a speed target: the quadratic rescan took 12 s.
                took < std::time::Duration::from_secs(5),
                "{open}: {took:?}"
            );
            let text: String = ex.texts.iter().map(|t| t.text.as_str()).collect();
            assert!(
                text.contains("QQ 12 34 56 C") || !ex.not_scanned.is_empty(),
                "{open}: neither read nor reported: {:?}",
                ex.not_scanned
            );
            assert!(
                ex.not_scanned.iter().all(|n| !n.reason.contains("time")),
                "{:?}",
                ex.not_scanned
            );
        }
    }

    /// Issue 20 item 3: cell comments (legacy notes and threaded replies)
    /// are read; their author list is not.
    #[test]
    fn xlsx_cell_comments_are_read() {
        let sheet = br#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Pupil</t></is></c></row></sheetData></worksheet>"#;
        let notes = br#"<comments xmlns="x"><authors><author>Mr Okafor</author></authors><commentList><comment ref="A1" authorId="0"><text><r><rPr><b/></rPr><t>Mr Okafor:</t></r><r><t xml:space="preserve"> NI number JT 48 22 91 B</t></r></text></comment></commentList></comments>"#;
        let threaded = br#"<ThreadedComments xmlns="y"><threadedComment ref="A1" id="{1}"><text>DOB 04/02/2010 per mum</text></threadedComment></ThreadedComments>"#;
        let z = build(&[
            ("xl/worksheets/sheet1.xml", &sheet[..]),
            ("xl/comments1.xml", &notes[..]),
            ("xl/threadedComments/threadedComment1.xml", &threaded[..]),
        ]);
        let mut b = Budget::new(Limits::default());
        let ex = run("marks.xlsx", "", &z, &mut b);
        assert!(ex.not_scanned.is_empty(), "{:?}", ex.not_scanned);
        let comments = ex
            .texts
            .iter()
            .find(|t| t.kind == TextKind::Attachment)
            .map(|t| t.text.as_str())
            .unwrap_or_default();
        assert!(
            comments.contains("Mr Okafor: NI number JT 48 22 91 B\n"),
            "{comments:?}"
        );
        assert!(comments.contains("DOB 04/02/2010 per mum"), "{comments:?}");
        assert_eq!(comments.matches("Okafor").count(), 1, "{comments:?}");
    }

    #[test]
    fn docx_body_and_header() {
        let doc = br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Report for Leo Walsh</w:t></w:r></w:p></w:body></w:document>"#;
        let hdr = br#"<w:hdr xmlns:w="w"><w:p><w:r><w:t>CONFIDENTIAL</w:t></w:r></w:p></w:hdr>"#;
        let z = build(&[("word/document.xml", doc), ("word/header1.xml", hdr)]);
        let mut b = Budget::new(Limits::default());
        let ex = run("r.docx", "", &z, &mut b);
        assert!(ex.texts[0].text.contains("Report for Leo Walsh"));
        assert!(ex.texts[0].text.contains("CONFIDENTIAL"));
    }

    #[test]
    fn docx_without_body_is_reported() {
        let z = build(&[("word/styles.xml", b"<x/>")]);
        let mut b = Budget::new(Limits::default());
        let ex = run("r.docx", "", &z, &mut b);
        assert!(ex.not_scanned[0].reason.contains("no word/document part"));
    }

    #[test]
    fn fast_cell_and_string_shapes() {
        let c = fast_cell(br#"<c r="AB2" t="s" x:s="3"><v>12</v></c><c>"#).unwrap();
        assert_eq!(
            c,
            FastCell {
                col: Some(27),
                ty: CellType::Shared,
                style: 3,
                value: (28, 30),
                plain: true,
                digits: Some(12),
                len: 38
            }
        );
        // The column is counted in one pass up to three letters, and by the
        // checked conversion beyond; digits are read only when whole.
        for (cell, col, digits) in [
            (&br#"<c r="A1"><v>0</v></c>"#[..], Some(0), Some(0)),
            (br#"<c r="XFD9"><v>12.5</v></c>"#, Some(16383), None),
            (br#"<c r="AAAA9"><v> 4 </v></c>"#, Some(18278), None),
            (br#"<c r="Z9"><v>1&amp;2</v></c>"#, Some(25), None),
            (
                br#"<c r="Z9"><v>1234567890123456789</v></c>"#,
                Some(25),
                None,
            ),
            (
                br#"<c r="Z9"><v>123456789012345678</v></c>"#,
                Some(25),
                Some(123456789012345678),
            ),
            (br#"<c r="9"><v>7</v></c>"#, None, Some(7)),
        ] {
            let c = fast_cell(cell).unwrap();
            assert_eq!(
                (c.col, c.digits),
                (col, digits),
                "{:?}",
                String::from_utf8_lossy(cell)
            );
            assert_eq!(
                c.col,
                column_of_bytes(&cell[6..cell.iter().position(|b| b.is_ascii_digit()).unwrap()])
            );
        }
        // Attribute values may hold '>', values may be empty or need decoding.
        let c = fast_cell(br#"<c x="a>b"><v></v></c>"#).unwrap();
        assert_eq!(
            (c.col, c.ty, c.value.1 - c.value.0, c.len),
            (None, CellType::Number, 0, 22)
        );
        let c = fast_cell(b"<c><v>1&amp;2</v></c>").unwrap();
        assert!(!c.plain);
        for other in [
            &br#"<c r="A1"/>"#[..],
            br#"<x:c r="A1"><v>1</v></x:c>"#,
            br#"<col r="A1"><v>1</v></col>"#,
            br#"<c r='A1'><v>1</v></c>"#,
            b"<c\tr=\"A1\"><v>1</v></c>",
            br#"<c r ="A1"><v>1</v></c>"#,
            br#"<c ="A1"><v>1</v></c>"#,
            b"<c><f>SUM(A1)</f><v>3</v></c>",
            b"<c><v><![CDATA[1]]></v></c>",
            b"<c><v>1</v ></c>",
            b"<c><v>1</v></c",
            b"<c><v>1",
            br#"<c r="A1><v>1</v></c>"#,
            b"<c t=\"inlineStr\"><is><t>x</t></is></c>",
        ] {
            assert_eq!(
                fast_cell(other),
                None,
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
        let si = plain_shared_string(br#"<si><t xml:space="preserve"> x </t></si>"#).unwrap();
        assert_eq!(
            si,
            FastString {
                text: (28, 31),
                plain: true,
                len: 40
            }
        );
        assert!(
            !plain_shared_string(b"<si><t>a &amp; b</t></si>")
                .unwrap()
                .plain
        );
        for other in [
            &b"<si><t/></si>"[..],
            b"<si><r><t>x</t></r></si>",
            b"<si><t>x</t><rPh><t>y</t></rPh></si>",
            b"<si ><t>x</t></si>",
            b"<si><tx>x</tx></si>",
            b"<si><t>x</t>",
        ] {
            assert_eq!(
                plain_shared_string(other),
                None,
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    /// The same sheet and shared strings written so that the fast paths
    /// take them and so that they cannot (a space in every end tag):
    /// identical text.
    #[test]
    fn fast_paths_read_the_same_as_the_tokenizer() {
        let sheet = r#"<worksheet><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="E1" t="inlineStr"><is><t>Note</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>40213</v></c><c r="C2" t="b"><v>1</v></c><c r="D2"/><c r="E2" t="str"><v>a &amp; b &#x41;</v></c></row>
<row r="3"><c t="s"><v> 4 </v></c><c s="1"><v>not a number</v></c><c r="C3"><v></v></c><c r="D3"><v> 7 </v></c><c r="E3" t="e"><v>#N/A</v></c></row>
<row r="4"><c r="A4" t="s"><v>99</v></c><c r="B4" s="7"><v>12.5</v></c><c r="ZZ4"><v>far</v></c></row>
</sheetData></worksheet>"#;
        let shared = r#"<sst><si><t>Name</t></si><si><t>DOB</t></si><si><t xml:space="preserve"> Flag </t></si><si><t>Amira &amp; Leo</t></si><si><r><t>rich</t></r><r><t> text</t></r></si></sst>"#;
        let slow = |x: &str| {
            x.replace("</v>", "</v >")
                .replace("</t>", "</t >")
                .replace("<row ", "<row  ")
                .replace("</row>", "</row >")
        };
        let styles = Styles::parse(
            br#"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#,
        );
        let mut b = Budget::new(Limits::default());
        let fast_shared = shared_strings(shared.as_bytes(), &mut b).unwrap();
        let slow_shared = shared_strings(slow(shared).as_bytes(), &mut b).unwrap();
        assert_eq!(fast_shared.spans.len(), 5);
        for i in 0..6 {
            assert_eq!(fast_shared.get(i), slow_shared.get(i), "string {i}");
        }
        assert_eq!(fast_shared.get(2), "Flag");
        assert_eq!(fast_shared.get(4), "rich text");
        let fast = sheet_text(sheet.as_bytes(), &fast_shared, &styles, &mut b)
            .unwrap()
            .0;
        let slow = sheet_text(slow(sheet).as_bytes(), &slow_shared, &styles, &mut b)
            .unwrap()
            .0;
        assert_eq!(fast, slow);
        assert!(
            fast.contains("Name: Amira & Leo | DOB: 04/02/2010 | Flag: TRUE | Note: a & b A"),
            "{fast}"
        );
        // A fast-path cell never hides a broken document around it.
        let broken =
            r#"<worksheet><sheetData><row><c r="A1"><v>1</v></c></rows></sheetData></worksheet>"#;
        assert!(sheet_text(broken.as_bytes(), &fast_shared, &styles, &mut b).is_err());
        let broken = r#"<sst><si><t>x</t></si></ss>"#;
        assert!(shared_strings(broken.as_bytes(), &mut b).is_err());
    }

    /// Direct rows (cells written straight into the table) render every
    /// sheet exactly as collected rows do: random sheets whose rows mix
    /// cells in order, out of order, repeated, without `r`, past the last
    /// materialised column, empty, inline, boolean and date-styled, with
    /// cell-less rows, stray cells between rows and headers that are not.
    #[test]
    fn direct_rows_render_as_collected_rows() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let shared = r#"<sst><si><t>Name</t></si><si><t>DOB</t></si><si><t/></si><si><t>Amira Khan</t></si><si><t>P801200216001</t></si><si><t>SEN</t></si></sst>"#;
        let mut b = Budget::new(Limits::default());
        let shared = shared_strings(shared.as_bytes(), &mut b).unwrap();
        let styles = Styles::parse(
            br#"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#,
        );
        let letters = |col: usize| {
            let mut name = Vec::new();
            let mut n = col + 1;
            while n > 0 {
                name.push(b'A' + ((n - 1) % 26) as u8);
                n = (n - 1) / 26;
            }
            name.reverse();
            String::from_utf8(name).unwrap()
        };
        let mut r = StdRng::seed_from_u64(0x5eed_ce11);
        let mut direct_rows = 0;
        for _ in 0..1500 {
            let mut xml = String::from("<worksheet><sheetData>");
            for row in 1..r.gen_range(1..9) {
                if r.gen_ratio(1, 10) {
                    // A stray cell between rows: never shown.
                    xml.push_str(r#"<c r="A1" t="s"><v>3</v></c>"#);
                }
                if r.gen_ratio(1, 12) {
                    xml.push_str(r#"<row r="0"/>"#);
                    continue;
                }
                xml.push_str(&format!(r#"<row r="{row}">"#));
                let mut col = 0usize;
                for _ in 0..r.gen_range(0..7) {
                    col = match r.gen_range(0..10) {
                        0 => col.saturating_sub(r.gen_range(0..3)),
                        1 => 1020 + r.gen_range(0..8),
                        _ => col + r.gen_range(1..3),
                    };
                    let at = if r.gen_ratio(1, 6) {
                        String::new()
                    } else {
                        format!(r#" r="{}{row}""#, letters(col))
                    };
                    xml.push_str(&match r.gen_range(0..7) {
                        0 | 1 => format!(r#"<c{at} t="s"><v>{}</v></c>"#, r.gen_range(0..7)),
                        2 => format!(r#"<c{at}><v>{}</v></c>"#, r.gen_range(0..100)),
                        3 => format!(r#"<c{at} s="1"><v>{}</v></c>"#, 40000 + r.gen_range(0..400)),
                        4 => format!(
                            r#"<c{at} t="inlineStr"><is><t>note {}</t></is></c>"#,
                            r.gen_range(0..9)
                        ),
                        5 => format!(r#"<c{at} t="b"><v>{}</v></c>"#, r.gen_range(0..2)),
                        _ => format!(r#"<c{at}/>"#),
                    });
                }
                xml.push_str("</row>");
            }
            xml.push_str("</sheetData></worksheet>");
            let direct = render_sheet(xml.as_bytes(), &shared, &styles, &mut b, true)
                .unwrap()
                .0;
            let collected = render_sheet(xml.as_bytes(), &shared, &styles, &mut b, false)
                .unwrap()
                .0;
            assert_eq!(direct, collected, "{xml}");
            direct_rows += direct.lines().count().saturating_sub(2);
        }
        // Rows past the header were written directly, not all collected.
        assert!(direct_rows > 1000, "{direct_rows}");
    }

    /// A direct row that gets a cell out of column order becomes a collected
    /// row holding what it had, and renders the later value of a repeated
    /// column, as a collected row does.
    #[test]
    fn a_direct_row_falls_back_when_columns_go_back() {
        let mut table = TableText::with_capacity(0);
        assert!(table.row(["Name", "UPN", "SEN"].into_iter()));
        assert!(table.row(["Amira", "P1", "K"].into_iter()));
        let mut row = Row::default();
        row.start(&mut table, true);
        assert!(row.direct.is_some());
        row.push(0, "Leo", &mut table);
        row.push(2, "E", &mut table);
        assert_eq!(row.width(), 3);
        row.push(1, "P2", &mut table);
        assert!(row.direct.is_none());
        row.push(2, "K", &mut table);
        assert!(row.end(&mut table));
        row.start(&mut table, true);
        row.push(1, "P3", &mut table);
        assert!(row.end(&mut table));
        assert_eq!(
            table.finish(),
            "Name: Amira | UPN: P1 | SEN: K\nName: Leo | UPN: P2 | SEN: K\nUPN: P3\n"
        );
    }

    /// Every prefix and single-byte flip of a sheet and of shared strings
    /// the fast paths take: an error or text, never a panic.
    #[test]
    fn fast_paths_never_panic_on_mangled_input() {
        let sheet = br#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>40213</v></c><c r="C1" t="str"><v>a &amp; b</v></c></row></sheetData>"#;
        let sst =
            br#"<sst><si><t>Amira</t></si><si><t xml:space="preserve"> a &amp; b </t></si></sst>"#;
        let styles = Styles::parse(
            br#"<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#,
        );
        let mut b = Budget::new(Limits::default());
        let shared = shared_strings(sst, &mut b).unwrap();
        for (doc, is_sheet) in [(&sheet[..], true), (&sst[..], false)] {
            for n in 0..doc.len() {
                for flip in [b'<', b'>', b'/', b'"', b'&', b' ', b'c', 0xFF] {
                    let mut d = doc.to_vec();
                    d[n] = flip;
                    for x in [&d[..], &doc[..n]] {
                        if is_sheet {
                            let _ = sheet_text(x, &shared, &styles, &mut b);
                        } else {
                            let _ = shared_strings(x, &mut b)
                                .map(|s| (0..3).map(|i| s.get(i).len()).sum::<usize>());
                        }
                    }
                }
            }
        }
    }
}
