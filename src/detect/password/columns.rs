//! Credentials pasted into the body as a table (from a spreadsheet or a
//! portal's export): a header row naming a password column, and the
//! passwords in that column of the rows below.
//!
//! ```text
//! Name          Username   Password
//! Amira Khan    akhan      maple-river-lantern
//! ```
//!
//! Cells are separated by tabs (a paste from Excel), ` | `, or two or more
//! spaces (aligned text). Only rows up to the first blank line count, and
//! only password-shaped cells: a column of words ("sent separately") is not
//! a column of passwords.

use super::claim::{self, Claim, TokenShape};
use super::words::words;

/// At most this many rows under a header are read.
const MAX_ROWS: usize = 200;

/// A password in a column, and the username in its row if there is one.
pub struct ColumnClaim {
    pub claim: Claim,
    pub user: Option<usize>,
    pub pin: bool,
}

/// Cells of one line, as (start, end) byte offsets within the line, if the
/// line is a row of at least two cells.
fn cells(line: &str) -> Option<Vec<(usize, usize)>> {
    let seps: &[&str] = if line.contains('\t') {
        &["\t"]
    } else if line.contains(" | ") {
        &[" | "]
    } else if line.contains("  ") {
        &["  "]
    } else {
        return None;
    };
    let sep = seps[0];
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        if line[i..].starts_with(sep) {
            out.push((start, i));
            i += sep.len();
            // Runs of spaces (aligned text) or several tabs are one gap.
            while i < line.len() && (bytes[i] == b' ' || (sep == "\t" && bytes[i] == b'\t')) {
                i += 1;
            }
            start = i;
        } else {
            i += line[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push((start, line.len()));
    let out: Vec<_> = out
        .into_iter()
        .map(|(s, e)| {
            let cell = &line[s..e];
            let lead = cell.len() - cell.trim_start().len();
            (s + lead, s + lead + cell.trim().len())
        })
        .collect();
    (out.len() >= 2).then_some(out)
}

fn header_index(line: &str, row: &[(usize, usize)], names: &[&str]) -> Option<usize> {
    row.iter().position(|&(s, e)| {
        let cell = line[s..e].trim_end_matches(':').to_lowercase();
        names.contains(&cell.as_str())
    })
}

/// The password column under the header row holding a trigger at
/// `trigger_start`, if that row is a header row naming one.
pub fn column_below(text: &str, trigger_start: usize) -> Vec<ColumnClaim> {
    let mut out = Vec::new();
    let line_start = text
        .get(..trigger_start)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(line_start..)
        .and_then(|a| a.find('\n'))
        .map_or(text.len(), |i| line_start + i);
    let Some(header) = text.get(line_start..line_end) else {
        return out;
    };
    let header = header.trim_end_matches('\r');
    let Some(hcells) = cells(header) else {
        return out;
    };
    let Some(pw_col) = header_index(header, &hcells, &words().password_headers) else {
        return out;
    };
    // The trigger must be the header cell itself, not a word in another cell.
    let (hs, he) = hcells[pw_col];
    if !(line_start + hs..=line_start + he).contains(&trigger_start) {
        return out;
    }
    let pin = matches!(
        header[hs..he].trim_end_matches(':').to_lowercase().as_str(),
        "pin"
    );
    let user_col = header_index(header, &hcells, &words().user_headers);
    let mut offset = line_end + 1;
    for line in text
        .get(offset.min(text.len())..)
        .unwrap_or("")
        .split('\n')
        .take(MAX_ROWS)
    {
        let row = line.trim_end_matches('\r');
        if row.trim().is_empty() {
            break;
        }
        if let Some(rc) = cells(row) {
            if let Some(&(s, e)) = rc.get(pw_col) {
                let value = claim::token(text, offset + s, false)
                    .filter(|c| c.end <= offset + e && c.start == offset + s);
                let user = user_col
                    .and_then(|u| rc.get(u))
                    .filter(|&&(s, e)| e > s)
                    .map(|&(s, _)| offset + s);
                if let Some(c) = value {
                    let shaped = if pin {
                        c.shape == TokenShape::Digits
                    } else {
                        c.shape != TokenShape::Word
                    };
                    if shaped {
                        out.push(ColumnClaim {
                            claim: c,
                            user,
                            pin,
                        });
                    }
                }
            }
        }
        offset += line.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_split_on_tabs_bars_and_aligned_spaces() {
        assert_eq!(cells("a\tb\tc"), Some(vec![(0, 1), (2, 3), (4, 5)]));
        assert_eq!(cells("Name | Password"), Some(vec![(0, 4), (7, 15)]));
        assert_eq!(cells("Amira Khan    akhan"), Some(vec![(0, 10), (14, 19)]));
        assert_eq!(cells("just a sentence"), None);
    }
}
