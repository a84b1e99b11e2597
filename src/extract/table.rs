//! Tables (CSV/TSV, and spreadsheets once extracted) → text in which every
//! cell carries its column header: `name: Amira Khan | dob: 04/02/2016`.
//! Detectors then see "dob" next to a date and "upn" next to a UPN, the
//! context a table gives by its layout.

/// Rows beyond this many are not read from one table.
pub const MAX_ROWS: usize = 200_000;

/// Rendered text kept from one table: headers repeated in every cell can
/// multiply the size of a wide table, so the rendering stops here.
pub const MAX_TABLE_TEXT: usize = 16 * 1024 * 1024;

/// Renders delimited text with its header row folded into each record.
pub fn csv_to_text(data: &[u8], delimiter: u8) -> String {
    let text = super::decode_text(data);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    for rec in rdr.records().take(MAX_ROWS) {
        match rec {
            Ok(r) => rows.push(r.iter().map(|c| c.trim().to_string()).collect()),
            Err(_) => break,
        }
    }
    rows_to_text(&rows)
}

/// Rows (first row = header, when it looks like one) → `header: value | ...` lines.
pub fn rows_to_text(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let header_like = first
        .iter()
        .all(|c| !c.chars().any(|ch| ch.is_ascii_digit()))
        && first.iter().any(|c| !c.is_empty());
    let (header, body) = if header_like && rows.len() > 1 {
        (Some(first), &rows[1..])
    } else {
        (None, rows)
    };
    for row in body {
        if out.len() > MAX_TABLE_TEXT {
            break;
        }
        let mut first_cell = true;
        for (i, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            if !first_cell {
                out.push_str(" | ");
            }
            first_cell = false;
            if let Some(h) = header.and_then(|h| h.get(i)).filter(|h| !h.is_empty()) {
                out.push_str(h);
                out.push_str(": ");
            }
            out.push_str(cell);
        }
        out.push('\n');
    }
    out
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
}
