//! XML document text, shared by the OOXML and OpenDocument extractors: a
//! single pass with the tokenizer in `xml_tokenizer.rs` that collects running text (paragraphs, tabs,
//! breaks) and tables (rows of cells, rendered later with their headers).

use super::dates::iso_to_uk_date;
use super::error::Result;
use super::xml_tokenizer::{decode_into, name_eq, one_of, RunShape, Scanner, Tag, Text, Tok};
use super::Budget;

/// Which elements mean what, by local name.
pub struct FlowSpec {
    /// Text counts only inside these elements; empty = all text counts.
    pub text_in: &'static [&'static [u8]],
    /// Elements whose end is a line break (paragraphs, headings).
    pub para: &'static [&'static [u8]],
    /// Empty elements that stand for a tab.
    pub tab: &'static [&'static [u8]],
    /// Empty elements that stand for a line break.
    pub brk: &'static [&'static [u8]],
    /// Empty elements that stand for spaces (ODF `text:s`, count in `text:c`).
    pub space: &'static [&'static [u8]],
    pub table: &'static [u8],
    pub row: &'static [u8],
    pub cells: &'static [&'static [u8]],
    /// Subtrees whose text is not document text (ODF number styles).
    pub skip: &'static [&'static [u8]],
    /// Elements that never hold text (formatting properties): passed over
    /// to their end tag without tokenizing their content, unless they
    /// turn out to hold a `text_in` element after all.
    pub opaque: &'static [&'static [u8]],
    /// The format's text run, read whole when in its usual form.
    pub run: Option<RunShape>,
}

/// Running text and the tables found in one XML part.
#[derive(Debug, Default)]
pub struct Flow {
    pub text: String,
    pub tables: Vec<Vec<Vec<String>>>,
}

/// Cells materialised per row and rows per table repeat (ODF
/// `number-columns-repeated` / `number-rows-repeated` can claim millions).
/// Within these, every copy is charged to [`Budget::produce`] before it is
/// made: 64 × 64 copies of a long cell in every row of a small file would
/// otherwise still be gigabytes. Empty repeated cells produce nothing
/// until a later cell in the row has text.
const MAX_COLUMNS: usize = 1024;
const MAX_REPEAT: usize = 64;

fn repeat_attr(e: &Tag<'_>, name: &[u8]) -> usize {
    e.attr_raw(name)
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
}

struct TableState {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    row_repeat: usize,
    cell: Option<String>,
    /// ODF `office:date-value`: the date itself, whatever the display format.
    cell_date: Option<String>,
    cell_repeat: usize,
    pending_empty: usize,
}

impl TableState {
    fn new() -> Self {
        TableState {
            rows: Vec::new(),
            row: Vec::new(),
            row_repeat: 1,
            cell: None,
            cell_date: None,
            cell_repeat: 1,
            pending_empty: 0,
        }
    }

    fn end_cell(&mut self, budget: &mut Budget) -> Result<()> {
        let Some(cell) = self.cell.take() else {
            return Ok(());
        };
        let cell = match self.cell_date.take() {
            Some(d) => d,
            None => cell.trim().to_string(),
        };
        if cell.is_empty() {
            self.pending_empty = self.pending_empty.saturating_add(self.cell_repeat);
            return Ok(());
        }
        let room = MAX_COLUMNS.saturating_sub(self.row.len());
        let empties = self.pending_empty.min(room);
        let copies = self.cell_repeat.min(MAX_REPEAT).min(room - empties);
        budget.charge(empties as u64)?;
        budget.produce(cell.len().saturating_mul(copies))?;
        for _ in 0..self.pending_empty {
            if self.row.len() >= MAX_COLUMNS {
                break;
            }
            self.row.push(String::new());
        }
        self.pending_empty = 0;
        for _ in 0..self.cell_repeat.min(MAX_REPEAT) {
            if self.row.len() >= MAX_COLUMNS {
                break;
            }
            self.row.push(cell.clone());
        }
        Ok(())
    }

    fn end_row(&mut self, budget: &mut Budget) -> Result<()> {
        self.end_cell(budget)?;
        self.pending_empty = 0;
        let row = std::mem::take(&mut self.row);
        if row.iter().all(|c| c.is_empty()) {
            return Ok(());
        }
        let repeats = self.row_repeat.min(MAX_REPEAT);
        let bytes: usize = row.iter().map(String::len).sum();
        budget.charge(row.len().saturating_mul(repeats) as u64)?;
        budget.produce(bytes.saturating_mul(repeats - 1))?;
        for _ in 1..repeats {
            self.rows.push(row.clone());
        }
        self.rows.push(row);
        Ok(())
    }
}

fn push_limited(s: &mut String, t: &str, max: usize) {
    if s.len() < max {
        s.push_str(t);
    }
}

/// One pass over `xml`, at most `max_chars` bytes of text kept.
pub fn flow(xml: &[u8], spec: &FlowSpec, budget: &mut Budget, max_chars: usize) -> Result<Flow> {
    let mut scan = Scanner::new(xml, "xml");
    // Document text is at most about half the markup: sized once rather
    // than regrown (and copied) a dozen times; pages never written to cost
    // no memory.
    let mut out = Flow {
        text: String::with_capacity((xml.len() / 2).min(max_chars)),
        tables: Vec::new(),
    };
    let mut text_depth = 0usize;
    let mut tables: Vec<TableState> = Vec::new();
    let mut skipping = 0usize;
    let mut piece = String::new();
    loop {
        budget.charge(1)?;
        // Fast path: a whole text run in its usual form, outside any text element.
        if let Some(shape) = &spec.run {
            if skipping == 0 && text_depth == 0 {
                if let Some(((s, e), plain, len)) = scan.fast_run(shape, spec.text_in) {
                    match scan.text_at(s, e) {
                        Text::Str(t) if plain => sink(&mut out, &mut tables, t, max_chars),
                        raw => sink_raw(&mut out, &mut tables, raw, max_chars),
                    }
                    scan.skip(len);
                    continue;
                }
                // The paragraph's own tags in their usual form: what the
                // tokenizer's dispatch below does with them (a paragraph
                // start does nothing, its end is a line end, its
                // properties are skipped), without it.
                if scan.rest().get(1) == Some(&b'/') {
                    if scan.end_exact(shape.para) {
                        sink(&mut out, &mut tables, "\n", max_chars);
                        continue;
                    }
                } else if scan.start_exact(shape.para)
                    || scan.skip_exact(shape.para_props, spec.text_in)
                {
                    continue;
                }
            }
        }
        let Some(tok) = scan.next()? else {
            break;
        };
        if skipping > 0 {
            match tok {
                Tok::Start if one_of(spec.skip, scan.local()) => skipping += 1,
                Tok::End if one_of(spec.skip, scan.local()) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match tok {
            Tok::Start => {
                // The tag is only copied out of the scanner where its
                // attributes are needed (copying it per token stalled).
                let n = scan.local();
                if one_of(spec.opaque, n) && scan.skip_element_unless(spec.text_in)? {
                    continue;
                }
                if one_of(spec.skip, n) {
                    skipping = 1;
                } else if one_of(spec.text_in, n) {
                    text_depth += 1;
                } else if name_eq(n, spec.table) {
                    tables.push(TableState::new());
                } else if name_eq(n, spec.row) {
                    if let Some(t) = tables.last_mut() {
                        t.row_repeat = repeat_attr(&scan.tag(), b"number-rows-repeated");
                    }
                } else if one_of(spec.cells, n) {
                    if let Some(t) = tables.last_mut() {
                        let e = scan.tag();
                        t.end_cell(budget)?;
                        t.cell = Some(String::new());
                        t.cell_repeat = repeat_attr(&e, b"number-columns-repeated");
                        t.cell_date = e.attr(b"date-value").and_then(|v| iso_to_uk_date(&v));
                    }
                }
            }
            Tok::Empty => {
                let n = scan.local();
                let spaces;
                let piece: &str = if one_of(spec.tab, n) {
                    "\t"
                } else if one_of(spec.brk, n) {
                    "\n"
                } else if one_of(spec.space, n) {
                    spaces = " ".repeat(repeat_attr(&scan.tag(), b"c").min(16));
                    &spaces
                } else if one_of(spec.cells, n) {
                    if let Some(t) = tables.last_mut() {
                        t.end_cell(budget)?;
                        t.pending_empty = t
                            .pending_empty
                            .saturating_add(repeat_attr(&scan.tag(), b"number-columns-repeated"));
                    }
                    continue;
                } else {
                    continue;
                };
                sink(&mut out, &mut tables, piece, max_chars);
            }
            Tok::End => {
                let n = scan.local();
                if one_of(spec.text_in, n) {
                    text_depth = text_depth.saturating_sub(1);
                } else if name_eq(n, spec.table) {
                    if let Some(mut t) = tables.pop() {
                        t.end_row(budget)?;
                        if let Some(outer) = tables.last_mut() {
                            // A nested table's text goes into the outer cell.
                            let flat: Vec<String> = t.rows.iter().map(|r| r.join(" ")).collect();
                            if let Some(c) = outer.cell.as_mut() {
                                budget.produce(flat.iter().map(|r| r.len() + 1).sum())?;
                                c.push(' ');
                                c.push_str(&flat.join(" "));
                            }
                        } else if !t.rows.is_empty() {
                            out.tables.push(t.rows);
                        }
                    }
                    push_limited(&mut out.text, "\n", max_chars);
                } else if name_eq(n, spec.row) {
                    if let Some(t) = tables.last_mut() {
                        t.end_row(budget)?;
                    }
                } else if one_of(spec.cells, n) {
                    if let Some(t) = tables.last_mut() {
                        t.end_cell(budget)?;
                    }
                } else if one_of(spec.para, n) {
                    sink(&mut out, &mut tables, "\n", max_chars);
                }
            }
            Tok::Text if (spec.text_in.is_empty() || text_depth > 0) => {
                let t = scan.text();
                if spec.text_in.is_empty() {
                    if t.bytes().iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    // Whitespace-only after decoding (`&#32;`) is dropped too.
                    piece.clear();
                    decode_into(t, &mut piece, usize::MAX);
                    if piece.trim().is_empty() {
                        continue;
                    }
                    sink(&mut out, &mut tables, &piece, max_chars);
                } else {
                    sink_raw(&mut out, &mut tables, t, max_chars);
                }
            }
            Tok::CData if (spec.text_in.is_empty() || text_depth > 0) => {
                let s = String::from_utf8_lossy(scan.text().bytes());
                sink(&mut out, &mut tables, &s, max_chars);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Text goes to the open table cell, if any, else to the running text.
fn sink(out: &mut Flow, tables: &mut [TableState], s: &str, max: usize) {
    if let Some(t) = tables.last_mut() {
        if let Some(c) = t.cell.as_mut() {
            if c.len() < max {
                c.push_str(if s == "\n" { " " } else { s });
            }
            return;
        }
    }
    push_limited(&mut out.text, s, max);
}

/// [`sink`] for raw XML text, decoded straight into its destination.
fn sink_raw(out: &mut Flow, tables: &mut [TableState], raw: Text<'_>, max: usize) {
    if let Some(t) = tables.last_mut() {
        if let Some(c) = t.cell.as_mut() {
            decode_into(raw, c, max);
            return;
        }
    }
    decode_into(raw, &mut out.text, max);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml_tokenizer::fast_run;
    use crate::Limits;

    use crate::ooxml::DOCX;

    #[test]
    fn paragraphs_and_tables() {
        let xml = br#"<w:document xmlns:w="x"><w:body>
<w:p><w:r><w:t>Pupil: Amira</w:t></w:r><w:r><w:t xml:space="preserve"> Khan &amp; co</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>UPN</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Leo</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>D801200216002</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#;
        let mut b = Budget::new(Limits::default());
        let f = flow(xml, &DOCX, &mut b, 1 << 20).unwrap();
        assert!(f.text.contains("Pupil: Amira Khan & co\n"), "{:?}", f.text);
        assert_eq!(f.tables.len(), 1);
        assert_eq!(f.tables[0][1], vec!["Leo", "D801200216002"]);
    }

    /// Word's usual runs read by the fast path and by the tokenizer alone
    /// (no opaque skipping, no fast runs): the same text and tables.
    #[test]
    fn fast_runs_and_skipped_properties_read_the_same_as_the_tokenizer() {
        let xml = r#"<w:document xmlns:w="x"><w:body>
<w:p w:rsidR="00A1"><w:pPr><w:pStyle w:val="Normal"/><w:rPr><w:b/></w:rPr></w:pPr><w:r><w:t>Plain</w:t></w:r><w:r w:rsidRPr="00B2"><w:rPr><w:rFonts w:ascii="Arial"/><w:sz w:val="22"/><w:rPrChange w:id="1"><w:rPr><w:i/></w:rPr></w:rPrChange></w:rPr><w:t xml:space="preserve"> with props </w:t></w:r><w:r><w:rPr/><w:t>A &amp; B</w:t></w:r></w:p>
<w:p><w:r><w:t>tab</w:t><w:tab/><w:t>bed</w:t></w:r><w:r><w:delText>gone</w:delText></w:r><w:r><w:t/></w:r><w:r><w:br/></w:r><w:r><w:t>é ünïcode</w:t></w:r></w:p>
<w:tbl><w:tblPr><w:tblW w:w="0"/></w:tblPr><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:trPr/><w:tc><w:tcPr><w:tcW/></w:tcPr><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>UPN</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Leo</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>D801200216002</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:rPr><w:t>odd</w:t></w:rPr><w:t>text in props is still read</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:pPr><w:jc/></w:pPr></w:pPr><w:r><w:t>Heading</w:t></w:r></w:p><w:p></w:p>
<w:p><w:pPr><w:t>para props text</w:t></w:pPr><w:r><w:t>after</w:t></w:r></w:p >
<w:sectPr><w:pgSz w:w="11906"/></w:sectPr></w:body></w:document>"#
            .as_bytes();
        let mut b = Budget::new(Limits::default());
        let slow_spec = FlowSpec {
            opaque: &[],
            run: None,
            ..DOCX
        };
        let fast = flow(xml, &DOCX, &mut b, 1 << 20).unwrap();
        let slow = flow(xml, &slow_spec, &mut b, 1 << 20).unwrap();
        assert_eq!(fast.text, slow.text);
        assert_eq!(fast.tables, slow.tables);
        assert!(
            fast.text
                .contains("Plain with props A & B\ntab\tbedgone\né ünïcode\n"),
            "{:?}",
            fast.text
        );
        assert!(fast.text.contains("odd"), "{:?}", fast.text);
        assert!(fast.text.contains("\nHeading\n"), "{:?}", fast.text);
        assert!(fast.text.contains("para props text"), "{:?}", fast.text);
        assert_eq!(fast.tables[0][1], vec!["Leo", "D801200216002"]);
        // The fast path never hides a broken document around a run.
        let broken = br#"<w:body><w:p><w:r><w:t>x</w:t></w:r></w:q></w:body>"#;
        assert!(flow(broken, &DOCX, &mut b, 100).is_err());
    }

    /// Every prefix and single-byte flip of a document the fast paths take:
    /// an error or text, never a panic, and never text the tokenizer alone
    /// would not have produced when both succeed.
    #[test]
    fn fast_paths_never_panic_on_mangled_input() {
        let doc = br#"<w:body><w:p><w:pPr><w:rPr><w:b/></w:rPr></w:pPr><w:r w:a="1"><w:rPr><w:rPrChange><w:rPr/></w:rPrChange></w:rPr><w:t xml:space="preserve">A &amp; B</w:t></w:r></w:p></w:body>"#;
        let slow_spec = FlowSpec {
            opaque: &[],
            run: None,
            ..DOCX
        };
        // A fresh budget per document: one shared over thousands of runs
        // would run out and turn the comparison into a no-op.
        let agree = |d: &[u8]| {
            let mut b = Budget::new(Limits::default());
            if let (Ok(fast), Ok(slow)) = (
                flow(d, &DOCX, &mut b, 1 << 20),
                flow(d, &slow_spec, &mut b, 1 << 20),
            ) {
                for line in fast.text.lines().filter(|l| !l.is_empty()) {
                    assert!(
                        slow.text.contains(line),
                        "{:?}: {line:?} vs {:?}",
                        String::from_utf8_lossy(d),
                        slow.text
                    );
                }
            }
        };
        // Several bytes changed at once, at pseudo-random places.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"<>/\"&=: wrtP!-?[]";
        for _ in 0..5_000 {
            let mut d = doc.to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() % d.len() as u64) as usize;
                d[at] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            agree(&d);
        }
        for n in 0..doc.len() {
            let mut b = Budget::new(Limits::default());
            let _ = flow(&doc[..n], &DOCX, &mut b, 1 << 20);
            for flip in [b'<', b'>', b'/', b'"', b'&', b' ', b'w', 0xFF] {
                let mut d = doc.to_vec();
                d[n] = flip;
                agree(&d);
            }
        }
    }

    /// The paragraph fast path does what the dispatch does with the same
    /// tags, which holds only while the shape's names are the spec's
    /// paragraph and one of its opaque elements.
    #[test]
    fn paragraph_shapes_match_their_specs() {
        use crate::xml_tokenizer::local;
        for spec in [&DOCX, &crate::ooxml::PPTX] {
            let shape = spec.run.unwrap();
            assert!(one_of(spec.para, local(shape.para)));
            assert!(one_of(spec.opaque, local(shape.para_props)));
            for n in [spec.text_in, spec.cells, spec.skip].concat() {
                assert!(!name_eq(n, local(shape.para)));
            }
        }
    }

    #[test]
    fn run_shapes() {
        let shape = DOCX.run.unwrap();
        let keep: &[&[u8]] = DOCX.text_in;
        let run = fast_run(br#"<w:r w:rsidR="1"><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Hi &amp;</w:t></w:r><w:r>"#, &shape, keep);
        assert_eq!(run, Some(((64, 72), false, 84)));
        assert_eq!(
            fast_run(b"<w:r><w:rPr/><w:t>x</w:t></w:r>", &shape, keep),
            Some(((18, 19), true, 31))
        );
        for other in [
            &b"<w:rPr><w:t>x</w:t></w:rPr>"[..],
            b"<w:r><w:t>x</w:t><w:tab/></w:r>",
            b"<w:r><w:t>x</w:t></w:r >",
            b"<w:r><w:t/></w:r>",
            b"<w:r/>",
            b"<w:r><w:delText>x</w:delText></w:r>",
            b"<w:r><w:rPr><w:t>x</w:t></w:rPr><w:t>y</w:t></w:r>",
            b"<w:r><w:rPr><w:b/><w:t>x</w:t></w:r>",
            b"<w:r w:x='1'><w:t>x</w:t></w:r>",
            b"<w:r><w:t>x</w:t></w:r",
            b"<w:r><w:t>x",
        ] {
            assert_eq!(
                fast_run(other, &shape, keep),
                None,
                "{:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let mut b = Budget::new(Limits::default());
        assert!(flow(b"<a><b></a>", &DOCX, &mut b, 100).is_err());
    }
}
