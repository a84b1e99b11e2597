//! RTF: the text runs, without control words, font/colour/style tables,
//! pictures, objects or field instructions. `\'hh` is Windows-1252, `\uN`
//! Unicode (its fallback characters skipped per `\ucN`), table cells are
//! separated with ` | ` and rows end lines.

use super::codec::cp1252_char;
use super::error::Result;
use super::{push_text, Budget, Extraction};
use crate::TextKind;

const SKIP: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"info",
    b"pict",
    b"object",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"listtable",
    b"listoverridetable",
    b"rsidtbl",
    b"generator",
    b"xmlnstbl",
    b"mmathPr",
    b"filetbl",
    b"revtbl",
    b"fldinst",
    b"pntext",
    b"pntxta",
    b"pntxtb",
    b"bkmkstart",
    b"bkmkend",
    b"shpinst",
    b"nonshppict",
    b"wgrffmtfilter",
    b"pgdsctbl",
    b"defchp",
    b"defpap",
    b"userprops",
    b"operator",
    b"author",
];

#[derive(Clone, Copy, PartialEq, Eq)]
struct Group {
    skip: bool,
    uc: usize,
}

/// The saved states of the open groups, run-length encoded: `{{{{` with no
/// change of state between them is one entry, so a million nested (or
/// never closed) groups cost a counter, not a million entries, and their
/// text is read like any other (issue 20: text below 256 levels was
/// dropped). An entry is only added where the state changed, which takes
/// input bytes, so the stack is bounded by the input.
#[derive(Default)]
struct Stack(Vec<(Group, usize)>);

impl Stack {
    fn push(&mut self, g: Group) {
        match self.0.last_mut() {
            Some((top, n)) if *top == g => *n += 1,
            _ => self.0.push((g, 1)),
        }
    }

    fn pop(&mut self) -> Option<Group> {
        let (g, n) = self.0.last_mut()?;
        let g = *g;
        *n -= 1;
        if *n == 0 {
            self.0.pop();
        }
        Some(g)
    }
}

pub fn extract(path: &str, data: &[u8], budget: &mut Budget, out: &mut Extraction) -> Result<()> {
    let text = rtf_text(data, budget.limits.max_text_chars);
    push_text(out, path, TextKind::Attachment, text, budget);
    Ok(())
}

pub fn rtf_text(data: &[u8], max: usize) -> String {
    let mut out = String::new();
    let mut stack = Stack::default();
    let mut cur = Group { skip: false, uc: 1 };
    let mut pending_skip = 0usize; // fallback characters after \uN
    let mut i = 0usize;
    let mut first_in_group = false;
    while let Some(&b) = data.get(i) {
        if out.len() >= max {
            break;
        }
        match b {
            b'{' => {
                stack.push(cur);
                first_in_group = true;
                i += 1;
                continue;
            }
            b'}' => {
                cur = stack.pop().unwrap_or(Group { skip: true, uc: 1 });
                i += 1;
            }
            b'\\' => {
                let Some(&c) = data.get(i + 1) else { break };
                if c.is_ascii_alphabetic() {
                    let start = i + 1;
                    let mut j = start;
                    while data.get(j).is_some_and(u8::is_ascii_alphabetic) {
                        j += 1;
                    }
                    let word = data.get(start..j).unwrap_or_default();
                    let num_start = j;
                    if data.get(j) == Some(&b'-') {
                        j += 1;
                    }
                    while data.get(j).is_some_and(u8::is_ascii_digit) && j - num_start < 10 {
                        j += 1;
                    }
                    let num: Option<i64> =
                        std::str::from_utf8(data.get(num_start..j).unwrap_or_default())
                            .ok()
                            .and_then(|s| s.parse().ok());
                    if data.get(j) == Some(&b' ') {
                        j += 1;
                    }
                    i = j;
                    if first_in_group && SKIP.contains(&word) {
                        cur.skip = true;
                    }
                    if cur.skip {
                        if word == b"bin" {
                            i = i.saturating_add(usize::try_from(num.unwrap_or(0)).unwrap_or(0));
                        }
                        first_in_group = false;
                        continue;
                    }
                    match word {
                        b"par" | b"line" | b"row" | b"sect" | b"page" => out.push('\n'),
                        b"tab" => out.push('\t'),
                        b"cell" => out.push_str(" | "),
                        b"uc" => cur.uc = usize::try_from(num.unwrap_or(1)).unwrap_or(1).min(8),
                        b"u" => {
                            let n = num.unwrap_or(0);
                            let n = if n < 0 { n + 65_536 } else { n };
                            if let Some(ch) = u32::try_from(n).ok().and_then(char::from_u32) {
                                out.push(ch);
                            }
                            pending_skip = cur.uc;
                        }
                        b"bin" => {
                            i = i.saturating_add(usize::try_from(num.unwrap_or(0)).unwrap_or(0))
                        }
                        _ => {}
                    }
                } else {
                    i += 2;
                    match c {
                        b'*' if first_in_group => {
                            cur.skip = true;
                        }
                        b'\'' => {
                            let hex = data.get(i..i + 2).unwrap_or_default();
                            i += 2;
                            if pending_skip > 0 {
                                pending_skip -= 1;
                            } else if !cur.skip {
                                if let Some(v) = std::str::from_utf8(hex)
                                    .ok()
                                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                                {
                                    if let Some(ch) = cp1252_char(v) {
                                        out.push(ch);
                                    }
                                }
                            }
                        }
                        b'~' if !cur.skip => out.push(' '),
                        b'-' | b'_' if !cur.skip => {}
                        b'\\' | b'{' | b'}' if !cur.skip => out.push(char::from(c)),
                        b'\n' | b'\r' if !cur.skip => out.push('\n'),
                        _ => {}
                    }
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                i += 1;
                if pending_skip > 0 {
                    pending_skip -= 1;
                } else if !cur.skip {
                    out.push(cp1252_char(b).unwrap_or(' '));
                }
            }
        }
        first_in_group = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_runs_only() {
        let rtf = br"{\rtf1\ansi{\fonttbl{\f0 Times;}}{\*\generator X;}\pard Pupil: Amira Khan\par UPN \b P801200216001\b0\par Caf\'e9 \u8364?5{\field{\*\fldinst HYPERLINK x}{\fldrslt link}}}";
        let t = rtf_text(rtf, 1 << 20);
        assert_eq!(t, "Pupil: Amira Khan\nUPN P801200216001\nCafé €5link");
    }

    /// Issue 20 variants: text under 200,000 nested groups, or after as
    /// many groups never closed, is read; a skipped destination deep down
    /// still ends with its group.
    #[test]
    fn deep_and_unclosed_groups_keep_their_text() {
        let deep = format!(
            "{{\\rtf1{}NI QQ123456C{}}}",
            "{".repeat(200_000),
            "}".repeat(200_000)
        );
        assert!(rtf_text(deep.as_bytes(), 1 << 20).contains("NI QQ123456C"));
        let open = format!("{{\\rtf1{}NI QQ123456C", "{\\b ".repeat(200_000));
        assert!(rtf_text(open.as_bytes(), 1 << 20).contains("NI QQ123456C"));
        let skipped = format!(
            "{{\\rtf1{}{{\\*\\x hidden}}shown{}}}",
            "{".repeat(1000),
            "}".repeat(1000)
        );
        assert_eq!(rtf_text(skipped.as_bytes(), 1 << 20), "shown");
    }

    #[test]
    fn unbalanced_and_deep_input_does_not_panic() {
        let mut deep = vec![b'{'; 100_000];
        deep.extend_from_slice(b"text\\");
        let _ = rtf_text(&deep, 1 << 20);
        let _ = rtf_text(b"}}}}\\u-99999999999 \\'zz", 1 << 20);
    }
}
