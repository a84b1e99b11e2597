//! The text contract between table rendering and detection, in one place.
//!
//! Extraction renders every table row (CSV/TSV, spreadsheet sheets, document
//! tables) as one line in which each non-empty cell carries its column
//! header: `name: Amira Khan | dob: 04/02/2016 | sen: K`. Detection
//! (detect::special: flagged columns, name cells, "None" cells, header
//! words) splits such lines back apart with [`cells`] and [`header_value`].
//! Both sides use the constants below, and the test at the end renders
//! with the writer (`table::TableText`) and reads with the reader.
//!
//! What the contract cannot carry: a cell whose own text contains
//! [`CELL_SEPARATOR`] reads back as two cells, and a header containing
//! [`HEADER_SEPARATOR`] splits at its first occurrence. Both are rare in
//! real tables and only shift which part is taken for the header.

/// Between two cells of one row.
pub const CELL_SEPARATOR: &str = " | ";

/// Between a cell's column header and its value (absent when the table has
/// no header row or the column's header is empty).
pub const HEADER_SEPARATOR: &str = ": ";

/// The cells of one rendered row, in order.
pub fn cells(line: &str) -> std::str::Split<'_, &'static str> {
    line.split(CELL_SEPARATOR)
}

/// A cell's header and value; `None` for a cell written without a header.
pub fn header_value(cell: &str) -> Option<(&str, &str)> {
    cell.split_once(HEADER_SEPARATOR)
}

/// True when a rendered line may hold a header-carrying cell (a cheap
/// filter before splitting).
pub fn has_headers(line: &str) -> bool {
    line.contains(HEADER_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{csv_to_text, rows_to_text};

    /// What the writer renders, the reader gives back: every non-empty
    /// cell with its header, in column order.
    #[test]
    fn rendered_rows_read_back_as_their_cells() {
        let rows = vec![
            vec!["Name", "Date of birth", "", "SEN"],
            vec!["Khan, Amira", "04/02/2016", "x", ""],
            vec!["Leo O'Neill", "", "y", "K"],
        ];
        let text = rows_to_text(&rows);
        let got: Vec<Vec<(Option<&str>, &str)>> = text
            .lines()
            .map(|line| {
                cells(line)
                    .map(|c| match header_value(c) {
                        Some((h, v)) => (Some(h), v),
                        None => (None, c),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            got,
            vec![
                vec![
                    (Some("Name"), "Khan, Amira"),
                    (Some("Date of birth"), "04/02/2016"),
                    (None, "x"),
                ],
                vec![
                    (Some("Name"), "Leo O'Neill"),
                    (None, "y"),
                    (Some("SEN"), "K")
                ],
            ]
        );
        assert!(text.lines().all(has_headers));
    }

    /// A table without a header row (its first row has digits) is rendered
    /// as plain cells, which the reader sees as header-less.
    #[test]
    fn rows_without_headers_read_back_as_plain_cells() {
        let text = csv_to_text(b"Amira,2016\nLeo,2017\n", b',');
        for line in text.lines() {
            assert!(!has_headers(line), "{line}");
            assert!(cells(line).all(|c| header_value(c).is_none()));
            assert_eq!(cells(line).count(), 2);
        }
    }
}
