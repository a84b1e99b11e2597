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
/// Streams the records (one reused record buffer), so a large CSV costs no
/// per-cell allocation.
pub fn csv_to_text(data: &[u8], delimiter: u8) -> String {
    let text = super::decode_text(data);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    let mut first: Option<Vec<String>> = None;
    let mut header: Option<Vec<String>> = None;
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut rows = 0usize;
    while rows < MAX_ROWS && out.len() <= MAX_TABLE_TEXT {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
        rows += 1;
        if rows == 1 {
            first = Some(rec.iter().map(|c| c.trim().to_string()).collect());
            continue;
        }
        if rows == 2 {
            // The first row is a header when it looks like one; else it is data.
            let f = first.take().unwrap_or_default();
            if is_header(&f) {
                header = Some(f);
            } else {
                render_row::<String>(&mut out, None, f.iter().map(String::as_str));
            }
        }
        render_row(&mut out, header.as_deref(), rec.iter().map(str::trim));
    }
    if let Some(f) = first {
        // A single row: nothing to fold a header into.
        render_row::<String>(&mut out, None, f.iter().map(String::as_str));
    }
    out
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
            out.push_str(" | ");
        }
        first_cell = false;
        if let Some(h) = header
            .and_then(|h| h.get(i))
            .map(AsRef::as_ref)
            .filter(|h| !h.is_empty())
        {
            out.push_str(h);
            out.push_str(": ");
        }
        out.push_str(cell);
    }
    out.push('\n');
}

/// Rows (first row = header, when it looks like one) → `header: value | ...` lines.
pub fn rows_to_text<S: AsRef<str>>(rows: &[Vec<S>]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let (header, body) = if is_header(first) && rows.len() > 1 {
        (Some(first.as_slice()), rows.get(1..).unwrap_or_default())
    } else {
        (None, rows)
    };
    for row in body {
        if out.len() > MAX_TABLE_TEXT {
            break;
        }
        render_row(&mut out, header, row.iter().map(AsRef::as_ref));
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
