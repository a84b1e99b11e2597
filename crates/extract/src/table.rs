//! Tables (CSV/TSV, and spreadsheets once extracted) → text in which every
//! cell carries its column header: `name: Amira Khan | dob: 04/02/2016`
//! (the separators and their reader are in `table_line`).
//! Detectors then see "dob" next to a date and "upn" next to a UPN, the
//! context a table gives by its layout.

/// Rows beyond this many are not read from one table. Sized for ordinary
/// large exports, not for the caps' sake: a school MIS's nightly CSV is
/// about 18 MB, 300,000 short rows or more (issue 20: with 200,000 rows and
/// 16 MiB such a file was read only in part). What a row costs is bounded
/// by the bytes it comes from; the rendered text is capped below.
pub const MAX_ROWS: usize = 2_000_000;

/// The `not_scanned` reason for a table cut at [`MAX_ROWS`] or [`MAX_TABLE_TEXT`].
pub const CUT_REASON: &str =
    "table longer than 2,000,000 rows or 64 MiB of text: the rest was not scanned";

/// Rendered text kept from one table: headers repeated in every cell can
/// multiply the size of a wide table, so the rendering stops here. An 18 MB
/// export renders to about 40 MB; a pathological table (long headers over
/// one-character cells) stops here, and the message's produced-bytes budget
/// bounds all tables together.
pub const MAX_TABLE_TEXT: usize = 64 * 1024 * 1024;

use super::table_line::{CELL_SEPARATOR, HEADER_SEPARATOR};
use crate::bytes::trimmed;
use std::cell::RefCell;

/// A table rendered row by row: the first row is held until the second
/// arrives, then used as the header if it looks like one (else rendered as
/// data). No per-cell allocation after the first row.
pub struct TableText {
    out: String,
    first: Option<Vec<String>>,
    /// `"header: "` per column (empty for a blank header), once the first
    /// row is known to be a header: one push per cell instead of three.
    prefixes: Vec<String>,
    rows: usize,
    /// A row was refused because the table was full: the text is cut, and
    /// the caller reports it (never a silent truncation).
    refused: bool,
}

impl TableText {
    pub fn with_capacity(cap: usize) -> Self {
        TableText {
            out: String::with_capacity(cap.min(MAX_TABLE_TEXT)),
            first: None,
            prefixes: Vec::new(),
            rows: 0,
            refused: false,
        }
    }

    /// True once [`MAX_ROWS`] rows or [`MAX_TABLE_TEXT`] bytes are taken.
    pub fn full(&self) -> bool {
        self.rows >= MAX_ROWS || self.out.len() > MAX_TABLE_TEXT
    }

    /// Adds one row; false (and nothing added) once the table is full.
    pub fn row<'c>(&mut self, cells: impl Iterator<Item = &'c str>) -> bool {
        if self.full() {
            self.refused = true;
            return false;
        }
        self.rows += 1;
        if self.rows == 1 {
            self.first = Some(cells.map(str::to_string).collect());
            return true;
        }
        if self.rows == 2 {
            // The first row is a header when it looks like one; else it is data.
            let f = self.first.take().unwrap_or_default();
            if is_header(&f) {
                self.prefixes = f
                    .iter()
                    .map(|h| {
                        if h.is_empty() {
                            String::new()
                        } else {
                            // By hand: `format!` costs more than the rest
                            // of a small table's first row.
                            let mut p = String::with_capacity(h.len() + HEADER_SEPARATOR.len());
                            p.push_str(h);
                            p.push_str(HEADER_SEPARATOR);
                            p
                        }
                    })
                    .collect();
            } else {
                render_row::<String>(&mut self.out, None, f.iter().map(String::as_str));
            }
        }
        let mut first_cell = true;
        for (i, cell) in cells.enumerate() {
            self.stream_cell(first_cell, i, cell);
            first_cell &= cell.is_empty();
        }
        self.out.push('\n');
        true
    }

    /// True when the next row may be written cell by cell
    /// ([`TableText::stream_cell`]): the header is settled (two rows
    /// taken) and the table is not full.
    pub fn streaming(&self) -> bool {
        self.rows >= 2 && !self.full()
    }

    /// Bytes of text so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// The rendered text in `start..end` (empty when that is no range of it).
    pub fn text(&self, start: usize, end: usize) -> &str {
        self.out.get(start..end).unwrap_or_default()
    }

    /// Cuts the rendered text back to `len` bytes (a streamed row dropped).
    pub fn truncate(&mut self, len: usize) {
        if self.out.is_char_boundary(len) {
            self.out.truncate(len);
        }
    }

    /// Writes cell `col` of the row being written (`first`: no cell of the
    /// row is written yet; an empty cell writes nothing) and returns the
    /// range of the cell's own text: how [`TableText::row`] renders each
    /// cell, and how a sheet's rows are streamed cell by cell while
    /// [`TableText::streaming`].
    #[inline]
    pub fn stream_cell(&mut self, first: bool, col: usize, cell: &str) -> (usize, usize) {
        if cell.is_empty() {
            return (self.out.len(), self.out.len());
        }
        if !first {
            self.out.push_str(CELL_SEPARATOR);
        }
        if let Some(p) = self.prefixes.get(col) {
            self.out.push_str(p);
        }
        let start = self.out.len();
        self.out.push_str(cell);
        (start, self.out.len())
    }

    /// Ends a streamed row that wrote at least one cell.
    pub fn end_streamed_row(&mut self) {
        self.rows += 1;
        self.out.push('\n');
    }

    /// True when rows were left out because the table was full.
    pub fn cut(&self) -> bool {
        self.refused
    }

    pub fn finish(mut self) -> String {
        if let Some(f) = self.first.take() {
            // A single row: nothing to fold a header into.
            render_row::<String>(&mut self.out, None, f.iter().map(String::as_str));
        }
        self.out
    }
}

thread_local! {
    /// csv_core readers for ',' and '\t': building one compiles a DFA (about
    /// 10 µs, most of the cost of a small CSV), so each thread builds them once.
    static CSV_READERS: RefCell<[Option<csv_core::Reader>; 2]> = const { RefCell::new([None, None]) };
}

/// Renders delimited text with its header row folded into each record.
/// Drives `csv_core` directly over the decoded text (one reused record
/// buffer, a cached reader), so a large CSV costs no per-cell allocation and
/// a small one no parser construction.
#[cfg(test)]
pub fn csv_to_text(data: &[u8], delimiter: u8) -> String {
    csv_to_table(data, delimiter).0
}

/// [`csv_to_text`], and whether rows were left out ([`MAX_ROWS`],
/// [`MAX_TABLE_TEXT`]): the caller reports that, never passes it silently.
pub fn csv_to_table(data: &[u8], delimiter: u8) -> (String, bool) {
    let text = super::decode_text_cow(data);
    let slot = match delimiter {
        b',' => 0,
        b'\t' => 1,
        _ => {
            let mut own = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
            return csv_records(&mut own, &text, delimiter);
        }
    };
    CSV_READERS.with(|cell| {
        let mut readers = cell.borrow_mut();
        match readers.get_mut(slot) {
            Some(r) => {
                let rdr = r.get_or_insert_with(|| {
                    csv_core::ReaderBuilder::new().delimiter(delimiter).build()
                });
                rdr.reset();
                csv_records(rdr, &text, delimiter)
            }
            None => (String::new(), false),
        }
    })
}

fn csv_records(rdr: &mut csv_core::Reader, text: &str, delimiter: u8) -> (String, bool) {
    let mut table = TableText::with_capacity(text.len() + text.len() / 2);
    let mut fields: Vec<u8> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    let bytes = text.as_bytes();
    // Room for a usual row: growing it from empty cost two reallocations per table.
    let mut cells: Vec<(usize, usize)> = Vec::with_capacity(32);
    if memchr::memchr(b'"', bytes).is_none() {
        // No quotes anywhere (most exports): records are lines split at the
        // delimiter, exactly what csv_core produces; one SIMD pass finds
        // every delimiter and line end.
        let mut cell_start = 0usize;
        let ends = memchr::memchr3_iter(delimiter, b'\n', b'\r', bytes)
            .chain(std::iter::once(bytes.len()));
        for p in ends {
            if bytes.get(p) == Some(&delimiter) {
                cells.push((cell_start, p));
                cell_start = p + 1;
                continue;
            }
            // A line end (or the end of the text); blank lines yield no record.
            if !cells.is_empty() || p > cell_start {
                cells.push((cell_start, p));
                let row = cells
                    .iter()
                    .map(|&(s, e)| trimmed(text.get(s..e).unwrap_or_default()));
                if !table.row(row) {
                    break;
                }
                cells.clear();
            }
            cell_start = p + 1;
        }
        let cut = table.cut();
        return (table.finish(), cut);
    }
    let mut pos = 0usize;
    while pos < bytes.len() && !table.full() {
        // Blank lines (any run of CR/LF) yield no record, as in csv_core.
        while matches!(bytes.get(pos), Some(b'\r' | b'\n')) {
            pos += 1;
        }
        if pos >= bytes.len() {
            break;
        }
        // Fast path, one pass over the bytes: a record without quotes is
        // its line split at the delimiter, exactly what csv_core produces.
        let record_start = pos;
        cells.clear();
        let mut cell_start = pos;
        let quoted = loop {
            match bytes.get(pos) {
                None | Some(b'\r' | b'\n') => {
                    cells.push((cell_start, pos));
                    break false;
                }
                Some(b'"') => break true,
                Some(&b) if b == delimiter => {
                    cells.push((cell_start, pos));
                    pos += 1;
                    cell_start = pos;
                }
                Some(_) => pos += 1,
            }
        };
        if !quoted {
            table.row(
                cells
                    .iter()
                    .map(|&(s, e)| trimmed(text.get(s..e).unwrap_or_default())),
            );
            continue;
        }
        let rest = text.get(record_start..).unwrap_or_default();
        // Quotes: csv_core reads this one record (it may span lines).
        rdr.reset();
        let mut input = rest.as_bytes();
        let mut consumed = 0usize;
        if fields.is_empty() {
            fields.resize(4096, 0);
            ends.resize(64, 0);
        }
        let (mut nfield, mut nend) = (0usize, 0usize);
        let done = loop {
            let (res, nin, nout, nends) = rdr.read_record(
                input,
                fields.get_mut(nfield..).unwrap_or_default(),
                ends.get_mut(nend..).unwrap_or_default(),
            );
            input = input.get(nin..).unwrap_or_default();
            consumed += nin;
            nfield += nout;
            nend += nends;
            match res {
                // All the input was given at once: the next call (empty input) is the end.
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => fields.resize(fields.len() * 2, 0),
                csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                csv_core::ReadRecordResult::Record => break false,
                csv_core::ReadRecordResult::End => break true,
            }
        };
        if done || consumed == 0 {
            break;
        }
        pos = record_start + consumed;
        // Fields split at an ASCII delimiter of UTF-8 text are UTF-8.
        let rec = std::str::from_utf8(fields.get(..nfield).unwrap_or_default()).unwrap_or_default();
        let ends = ends.get(..nend).unwrap_or_default();
        let cells = ends.iter().enumerate().map(|(i, &end)| {
            let start = if i == 0 {
                0
            } else {
                ends.get(i - 1).copied().unwrap_or(0)
            };
            trimmed(rec.get(start..end).unwrap_or_default())
        });
        table.row(cells);
    }
    let cut = table.cut()
        || (table.full()
            && bytes
                .get(pos..)
                .is_some_and(|r| r.iter().any(|b| !b.is_ascii_whitespace())));
    (table.finish(), cut)
}

fn is_header<S: AsRef<str>>(first: &[S]) -> bool {
    first
        .iter()
        .all(|c| !c.as_ref().chars().any(|ch| ch.is_ascii_digit()))
        && first.iter().any(|c| !c.as_ref().is_empty())
}

/// One record as `header: value | ...`, empty cells left out.
fn render_row<'a, S: AsRef<str>>(
    out: &mut String,
    header: Option<&[S]>,
    cells: impl Iterator<Item = &'a str>,
) {
    let mut first_cell = true;
    for (i, cell) in cells.enumerate() {
        if cell.is_empty() {
            continue;
        }
        if !first_cell {
            out.push_str(CELL_SEPARATOR);
        }
        first_cell = false;
        if let Some(h) = header
            .and_then(|h| h.get(i))
            .map(AsRef::as_ref)
            .filter(|h| !h.is_empty())
        {
            out.push_str(h);
            out.push_str(HEADER_SEPARATOR);
        }
        out.push_str(cell);
    }
    out.push('\n');
}

/// Rows (first row = header, when it looks like one) → `header: value | ...` lines.
pub fn rows_to_text<S: AsRef<str>>(rows: &[Vec<S>]) -> String {
    let mut t = TableText::with_capacity(0);
    for row in rows {
        if !t.row(row.iter().map(AsRef::as_ref)) {
            break;
        }
    }
    t.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_folded_into_cells() {
        let t = csv_to_text(b"name,dob\n\"Khan, Amira\",04/02/2016\n", b',');
        assert_eq!(t, "name: Khan, Amira | dob: 04/02/2016\n");
    }

    #[test]
    fn headerless_tables_stay_plain() {
        let t = csv_to_text(b"Amira,2016\nLeo,2017\n", b',');
        assert_eq!(t, "Amira | 2016\nLeo | 2017\n");
    }

    #[test]
    fn quoting_blank_lines_tabs_and_the_cached_reader() {
        let big = format!("a,b\n{}\n", "x".repeat(10_000));
        for _ in 0..2 {
            let t = csv_to_text(
                b"name,note\r\n\r\n\"Leo\",\"said \"\"hi\"\"\nthen left\"\r\nAva",
                b',',
            );
            assert_eq!(t, "name: Leo | note: said \"hi\"\nthen left\nname: Ava\n");
            assert_eq!(csv_to_text(b"n\tu\nA\tB\n", b'\t'), "n: A | u: B\n");
            assert_eq!(csv_to_text(b"n;u\nA;B\n", b';'), "n: A | u: B\n");
            assert_eq!(csv_to_text(big.as_bytes(), b',').len(), 10_004);
            assert_eq!(csv_to_text(b"", b','), "");
        }
    }

    #[test]
    fn quote_free_fast_path_matches_csv_rules() {
        // CR, LF and CRLF end records, blank lines yield none, cells are trimmed.
        let t = csv_to_text(b"name,upn\r\r\n\nLeo, P1 \r,\nAva,", b',');
        assert_eq!(t, "name: Leo | upn: P1\n\nname: Ava\n");
        assert_eq!(csv_to_text(b"\n\n", b','), "");
    }

    #[test]
    fn rows_header_rules() {
        assert_eq!(rows_to_text(&[vec!["name"]]), "name\n");
        assert_eq!(
            rows_to_text(&[vec!["name", "", "upn"], vec!["Leo", "x", "P1"]]),
            "name: Leo | x | upn: P1\n"
        );
    }
}
