//! HTML → text for scanning. Written here rather than taken from
//! mail-parser because its converter drops block boundaries:
//! `<td>NHS number</td><td>629 140 7736</td>` became `NHS number629 140 7736`,
//! which hides identifiers from word-bounded detectors and merges table cells
//! into one another. This one ends blocks with a newline, separates table
//! cells with ` | ` (the same separator as extracted spreadsheets), keeps
//! script/style/head content and comments out of the visible text, and
//! decodes entities.
//!
//! What is not shown is still sent: text in comments, `<title>`, `<style>`,
//! `<template>`/`<noscript>`, in the attributes that carry words (`alt`,
//! `title`, `value`, ...) and after a `<` that no `>` closes reaches the
//! recipient's mailbox as surely as the body does. It follows the visible
//! text, one line per piece (see [`unshown_text`]), so detectors see it
//! without it running into the visible lines. So do CDATA sections, bogus
//! comments (`<! ...>`, `<? ...>`) and the data a script carries: its
//! string literals and comments, and the whole of a JSON or template
//! block (an exported report keeps its rows there). Script code itself
//! (keywords, names, operators) is not prose and is left out.

/// Tags whose content is never shown (matched by [`tag_kind`]; this list
/// is what the tests check it against).
#[cfg_attr(not(test), allow(dead_code))]
const HIDDEN: &[&str] = &["script", "style", "head", "template", "title", "noscript"];
/// Tags that start or end a line (matched by [`tag_kind`]; this list is
/// what the tests check it against).
#[cfg_attr(not(test), allow(dead_code))]
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dt",
    "dd",
    "dl",
    "address",
    "form",
    "fieldset",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "body",
    "center",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
];

/// Longest tag name kept for matching: every name in [`HIDDEN`] and
/// [`BLOCK`] fits.
const NAME_MAX: usize = 16;
/// Stands for a longer name: not alphanumeric, so equal to no tag name.
const LONG_NAME: &[u8] = b"-";

/// What a tag name means to the converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    /// In [`HIDDEN`]: its content is not shown (the name, to find its end).
    Hidden(&'static [u8]),
    /// `td`, `th`: a table cell.
    Cell,
    /// `tr`: a table row.
    Row,
    /// In [`BLOCK`] (other than `tr`): starts or ends a line.
    Block,
    Other,
}

/// The [`Tag`] of a lower-cased name, as one `match` on the bytes (a
/// decision tree, not a scan of the lists and a UTF-8 check per tag).
/// Checked against [`HIDDEN`] and [`BLOCK`] in the tests.
fn tag_kind(n: &[u8]) -> Tag {
    match n {
        b"script" => Tag::Hidden(b"script"),
        b"style" => Tag::Hidden(b"style"),
        b"head" => Tag::Hidden(b"head"),
        b"template" => Tag::Hidden(b"template"),
        b"title" => Tag::Hidden(b"title"),
        b"noscript" => Tag::Hidden(b"noscript"),
        b"td" | b"th" => Tag::Cell,
        b"tr" => Tag::Row,
        b"p" | b"div" | b"br" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"li"
        | b"table" | b"ul" | b"ol" | b"blockquote" | b"pre" | b"hr" | b"section" | b"article"
        | b"header" | b"footer" | b"dt" | b"dd" | b"dl" | b"address" | b"form" | b"fieldset"
        | b"caption" | b"tbody" | b"thead" | b"tfoot" | b"body" | b"center" | b"main" | b"nav"
        | b"aside" | b"figure" | b"figcaption" => Tag::Block,
        _ => Tag::Other,
    }
}

/// Converts HTML to text: the visible text, then the text that is sent but
/// not shown ([`unshown_text`]). Linear in the input.
pub fn html_to_text(html: &str) -> String {
    let mut out = visible_text(html);
    unshown_text(html, &mut out);
    out
}

/// Attributes whose values are words meant for people (alternative text,
/// tooltips, form values and labels), and so scanned.
const WORD_ATTRS: &[&[u8]] = &[
    b"alt",
    b"title",
    b"value",
    b"placeholder",
    b"aria-label",
    b"label",
    b"summary",
    b"abbr",
    b"content",
    b"srcdoc",
];

/// Attribute-name prefix of custom data (`data-pupil="..."`): values a page
/// or an exported report keeps for its scripts, sent with it.
const DATA_ATTR_PREFIX: &[u8] = b"data-";

/// Whitespace-free runs at least this long in unshown text are dropped:
/// base64 images in `style` and long encoded tokens are not prose, and a
/// detector finding a pattern inside one would be a false hold.
const MAX_WORD: usize = 200;

/// Appends the text of `html` that is sent but not shown, one line per
/// piece, after what is in `out`: comments, the content of `title`,
/// `style`, `template` and `noscript`, word-carrying attributes
/// ([`WORD_ATTRS`]), and what follows a `<` that no `>` closes. A second
/// pass over the tags only (the text between them is passed over with
/// `memchr`), so the visible text stays exactly as it was.
pub fn unshown_text(html: &str, out: &mut String) {
    let b = html.as_bytes();
    let mut i = 0;
    let mut piece = String::new();
    let emit = |out: &mut String, piece: &mut String| {
        let kept = drop_long_words(piece);
        if !kept.trim().is_empty() {
            newline(out);
            out.push_str(kept.trim());
            out.push('\n');
        }
        piece.clear();
    };
    while let Some(lt) = crate::bytes::find(b'<', b.get(i..).unwrap_or_default()).map(|p| i + p) {
        if b[lt..].starts_with(b"<!--") {
            let end = find(b, lt + 4, b"-->");
            let inner = html.get(lt + 4..end.unwrap_or(b.len())).unwrap_or_default();
            // Conditional comments (`<!--[if mso]>...<![endif]-->`) hold
            // markup: their text is what they would show.
            piece.push_str(&visible_text(inner));
            emit(out, &mut piece);
            i = end.map_or(b.len(), |p| p + 3);
            continue;
        }
        let Some(gt) = crate::bytes::find(b'>', &b[lt..]).map(|p| lt + p) else {
            // No `>` to the end: a browser hides the rest as a broken tag,
            // but it is in the message.
            push_text(&mut piece, html.get(lt + 1..).unwrap_or_default());
            emit(out, &mut piece);
            break;
        };
        if b[lt..].starts_with(b"<![CDATA[") {
            // Raw text to `]]>` (in HTML a bogus comment, in XHTML text).
            let end = find(b, lt + 9, b"]]>");
            push_text(
                &mut piece,
                html.get(lt + 9..end.unwrap_or(b.len())).unwrap_or_default(),
            );
            emit(out, &mut piece);
            i = end.map_or(b.len(), |p| p + 3);
            continue;
        }
        let tag = b.get(lt + 1..gt).unwrap_or_default();
        i = gt + 1;
        if !tag.first().is_some_and(u8::is_ascii_alphabetic) {
            // `</p>` has no words. `<!DOCTYPE>`, `<?xml ...?>` and Word's
            // `<![if ...]>` markers are declarations; any other `<! ...>`
            // or `<? ...>` is a bogus comment, sent like a comment. And
            // `< 5 ... >`, which the visible pass takes for a tag: its
            // words are text.
            let inner = html.get(lt + 2..gt).unwrap_or_default();
            let words = match tag.first() {
                Some(b'/') => None,
                Some(b'!' | b'?') if is_declaration(inner) => None,
                Some(b'!' | b'?') => Some(inner),
                _ => html.get(lt + 1..gt),
            };
            if let Some(w) = words {
                push_text(&mut piece, w);
                emit(out, &mut piece);
            }
            continue;
        }
        let name_len = tag
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        // Compared in place (no lower-cased copy per tag: this pass runs
        // over every HTML body).
        let name = tag.get(..name_len).unwrap_or_default();
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        attribute_words(
            html.get(lt + 1 + name_len..gt).unwrap_or_default(),
            &mut piece,
        );
        emit(out, &mut piece);
        if tag.ends_with(b"/") {
            continue;
        }
        if is(b"title") || is(b"style") || is(b"script") {
            // Raw text to its end tag. Of a script, its data is read
            // ([`script_data`]); unless nothing closes it: then the rest
            // of the message hides behind it, and all of it is read.
            let close = find_close(b, i, name);
            let end = close.unwrap_or(b.len());
            let raw = html.get(i..end).unwrap_or_default();
            if is(b"script") && close.is_some() {
                let attrs = html.get(lt + 1 + name_len..gt).unwrap_or_default();
                script_data(attrs, raw, &mut piece);
            } else {
                push_text(&mut piece, raw);
            }
            emit(out, &mut piece);
            i = end;
        } else if is(b"template") || is(b"noscript") {
            let end = find_close(b, i, name).unwrap_or(b.len());
            piece.push_str(&visible_text(html.get(i..end).unwrap_or_default()));
            emit(out, &mut piece);
        }
    }
}

/// Where `</name` (any case) next starts at or after `from`.
fn find_close(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let p = find(b, at, b"</")?;
        let cand = b.get(p + 2..p + 2 + name.len())?;
        if cand.eq_ignore_ascii_case(name) {
            return Some(p);
        }
        at = p + 2;
    }
}

/// Calls `f(name, value)` for each `name=value` attribute in a tag's
/// attribute text (quoted with `"` or `'`, or bare).
fn for_each_attr<'a>(attrs: &'a str, mut f: impl FnMut(&'a [u8], &'a str)) {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
        {
            i += 1;
        }
        let start = i;
        while b
            .get(i)
            .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'/'))
        {
            i += 1;
        }
        let name = b.get(start..i).unwrap_or_default();
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            if i == start {
                i += 1;
            }
            continue;
        }
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let (vs, ve) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = crate::bytes::find(q, b.get(i + 1..).unwrap_or_default())
                    .map_or(b.len(), |p| i + 1 + p);
                let r = (i + 1, end);
                i = end + 1;
                r
            }
            _ => {
                let s = i;
                while b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    i += 1;
                }
                (s, i)
            }
        };
        f(name, attrs.get(vs..ve).unwrap_or_default());
    }
}

/// The values of [`WORD_ATTRS`] and `data-*` attributes in a tag's
/// attribute text, each followed by a space.
fn attribute_words(attrs: &str, out: &mut String) {
    for_each_attr(attrs, |name, value| {
        let data = name.len() > DATA_ATTR_PREFIX.len()
            && name
                .get(..DATA_ATTR_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(DATA_ATTR_PREFIX));
        if data || WORD_ATTRS.iter().any(|w| name.eq_ignore_ascii_case(w)) {
            push_text(out, value);
            out.push(' ');
        }
    });
}

/// `<!DOCTYPE ...>`, `<?xml ...?>` and Office's `<![if ...]>`/`<![endif]>`
/// (given without their `<!`/`<?`): declarations with no words in them.
fn is_declaration(inner: &str) -> bool {
    let t = inner.trim_start();
    let lower = |p: &str| t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    lower("doctype") || lower("xml ") || lower("xml?") || (t.starts_with('[') && t.ends_with(']'))
}

/// The data a `<script>` carries, appended to `out`: a JSON block
/// (`type="application/json"`, `ld+json`, ...) whole; a template (any
/// other non-script type) as the text its markup shows; JavaScript's
/// string literals and comments, each on its own line. Code (keywords,
/// names, numbers) is left out: detectors are for prose and data.
fn script_data(attrs: &str, code: &str, out: &mut String) {
    let mut kind: Option<&str> = None;
    for_each_attr(attrs, |name, value| {
        if name.eq_ignore_ascii_case(b"type") {
            kind = Some(value);
        }
    });
    let kind = kind
        .map(|k| k.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let javascript = kind.is_empty()
        || kind == "module"
        || ["javascript", "ecmascript", "jsx", "babel", "typescript"]
            .iter()
            .any(|j| kind.contains(j));
    if kind.contains("json") {
        push_text(out, code);
    } else if !javascript {
        out.push_str(&visible_text(code));
    } else {
        script_strings(code, out);
    }
}

/// JavaScript's string literals (`'...'`, `"..."`, template literals) and
/// comments, each on a line of its own. A small scanner, not a parser: a
/// regular-expression literal with a quote in it may shift what is taken
/// for a string, which at worst reads some code as text.
fn script_strings(code: &str, out: &mut String) {
    let mut chars = code.chars().peekable();
    let mut lit = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                lit.push(match e {
                                    'n' | 'r' | 't' => ' ',
                                    other => other,
                                });
                            }
                        }
                        '\n' if c != '`' => break,
                        d if d == c => break,
                        d => lit.push(d),
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                    lit.push(d);
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut star = false;
                for d in chars.by_ref() {
                    if star && d == '/' {
                        lit.pop();
                        break;
                    }
                    star = d == '*';
                    lit.push(d);
                }
            }
            _ => continue,
        }
        if !lit.trim().is_empty() {
            newline(out);
            out.push_str(lit.trim());
            out.push('\n');
        }
        lit.clear();
    }
}

/// `text` without its whitespace-free runs of [`MAX_WORD`] bytes or more.
fn drop_long_words(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.split_whitespace().any(|w| w.len() >= MAX_WORD) {
        return std::borrow::Cow::Borrowed(text);
    }
    let kept: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.len() < MAX_WORD)
        .collect();
    std::borrow::Cow::Owned(kept.join(" "))
}

/// The text a browser shows: one pass, linear in the input.
fn visible_text(html: &str) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut i = 0;
    let mut hidden: Option<&'static [u8]> = None;
    let mut cells_in_row = 0usize;
    while i < b.len() {
        let Some(lt) = crate::bytes::find(b'<', &b[i..]).map(|p| i + p) else {
            if hidden.is_none() {
                push_text(&mut out, &html[i..]);
            }
            break;
        };
        if hidden.is_none() && lt > i {
            push_text(&mut out, &html[i..lt]);
        }
        // Comments and declarations.
        if b[lt..].starts_with(b"<!--") {
            i = find(b, lt + 4, b"-->").map(|p| p + 3).unwrap_or(b.len());
            continue;
        }
        let Some(gt) = crate::bytes::find(b'>', &b[lt..]).map(|p| lt + p) else {
            break;
        };
        let tag = b.get(lt + 1..gt).unwrap_or_default();
        i = gt + 1;
        let closing = tag.first() == Some(&b'/');
        // The lower-cased name in a stack buffer (no allocation per tag);
        // longer names than any known tag are marked as matching nothing.
        let slashes = tag.iter().take_while(|&&c| c == b'/').count();
        let raw = tag.get(slashes..).unwrap_or_default();
        // Found, copied and lower-cased in one pass (no `memcpy` call per tag).
        let mut buf = [0u8; NAME_MAX];
        let mut len = 0usize;
        let mut long = false;
        for &c in raw {
            if !c.is_ascii_alphanumeric() {
                break;
            }
            match buf.get_mut(len) {
                Some(slot) => {
                    *slot = c.to_ascii_lowercase();
                    len += 1;
                }
                None => {
                    long = true;
                    break;
                }
            }
        }
        let name: &[u8] = if long {
            LONG_NAME
        } else {
            buf.get(..len).unwrap_or_default()
        };
        if let Some(h) = hidden {
            if closing && h == name {
                hidden = None;
            }
            continue;
        }
        match tag_kind(name) {
            Tag::Hidden(h) if !closing && tag.last() != Some(&b'/') => hidden = Some(h),
            Tag::Cell if !closing => {
                if cells_in_row > 0 {
                    trim_end_spaces(&mut out);
                    out.push_str(" | ");
                }
                cells_in_row += 1;
            }
            Tag::Row => {
                cells_in_row = 0;
                newline(&mut out);
            }
            Tag::Block => newline(&mut out),
            _ => {}
        }
    }
    out
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn newline(out: &mut String) {
    trim_end_spaces(out);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn trim_end_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

/// Appends text content: whitespace runs collapse to one space, entities
/// decode. One pass: runs of visible ASCII (with single spaces between
/// words) are copied whole (a `push` per character was most of the HTML
/// cost), whitespace collapses to one space by `char::is_whitespace` as
/// before, non-ASCII included, and `&` starts an entity.
/// Bytes [`push_text`] copies as they are: ASCII other than whitespace and
/// `&` (a table lookup per byte instead of three comparisons).
const COPIED: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = !matches!(c as u8, 9..=13 | b' ' | b'&');
        c += 1;
    }
    t
};

fn push_text(out: &mut String, text: &str) {
    let b = text.as_bytes();
    // Only ASCII whitespace (the line breaks and indentation between tags,
    // a third of the calls in usual HTML): one space at most, as the loop
    // below would give, without its per-character work.
    if b.iter().all(|&c| matches!(c, 9..=13 | b' ')) {
        if !(b.is_empty() || out.is_empty() || out.ends_with(' ') || out.ends_with('\n')) {
            out.push(' ');
        }
        return;
    }
    let mut i = 0;
    while i < b.len() {
        let start = i;
        // A single space after a visible character is kept as it is, so a
        // run of words is copied in one piece rather than word by word.
        while let Some(&c) = b.get(i) {
            if COPIED[usize::from(c)] {
                i += 1;
                continue;
            }
            let kept_space =
                c == b' ' && i > start && b.get(i - 1).is_some_and(|&p| p.is_ascii_graphic());
            if !kept_space {
                break;
            }
            i += 1;
        }
        out.push_str(text.get(start..i).unwrap_or_default());
        let Some(rest) = text.get(i..) else {
            break;
        };
        let Some(c) = rest.chars().next() else {
            break;
        };
        let c = if c == '&' {
            match decode_entity(rest) {
                Some((decoded, used)) => {
                    i += used;
                    decoded
                }
                None => {
                    i += 1;
                    out.push('&');
                    continue;
                }
            }
        } else {
            i += c.len_utf8();
            Decoded::Char(c)
        };
        if c.is_whitespace() {
            if !(out.is_empty() || out.ends_with(' ') || out.ends_with('\n')) {
                out.push(' ');
            }
        } else {
            c.push_to(out);
        }
    }
}

/// What an entity stands for: one character (numeric references and
/// almost all named ones), or several (about 90 named entities, such as
/// `&NotEqualTilde;`, expand to a character and a combining mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoded {
    Char(char),
    Text(&'static str),
}

impl Decoded {
    fn is_whitespace(self) -> bool {
        match self {
            Decoded::Char(c) => c.is_whitespace(),
            Decoded::Text(t) => t.chars().all(char::is_whitespace),
        }
    }

    fn push_to(self, out: &mut String) {
        match self {
            Decoded::Char(c) => out.push(c),
            Decoded::Text(t) => out.push_str(t),
        }
    }
}

/// Longest entity name in the WHATWG table
/// (`CounterClockwiseContourIntegral`), and so the longest run of name
/// characters worth looking up.
const MAX_ENTITY_NAME: usize = 31;

/// Decodes the entity at the start of `s` (which begins with `&`): what it
/// stands for and the bytes used. Numeric references and the named
/// entities of the WHATWG table (htmlize's `ENTITIES`, generated from
/// html.spec.whatwg.org/entities.json) are read; without its `;` a name is
/// read only where the table allows it (the legacy entities such as
/// `&amp`, `&nbsp`, `&pound`, and `&apos`, `&euro`, `&hellip`, `&bull`,
/// which were read so before). Punctuation the detectors compare as ASCII
/// keeps its plain form: `&nbsp;` is a space, dashes are `-`, curly quotes
/// are straight, so `JT&nbsp;48&ndash;22` reads as a number would typed.
fn decode_entity(s: &str) -> Option<(Decoded, usize)> {
    let end = s[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .map(|p| p + 1)
        .unwrap_or(s.len());
    if end <= 1 || end > MAX_ENTITY_NAME + 1 {
        return None;
    }
    let name = &s[1..end];
    let semicolon = s[end..].starts_with(';');
    let used = if semicolon { end + 1 } else { end };
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some((Decoded::Char(char::from_u32(n)?), used));
    }
    let plain = match name {
        "nbsp" => Some(' '),
        "ndash" | "mdash" => Some('-'),
        "rsquo" | "lsquo" => Some('\''),
        "rdquo" | "ldquo" => Some('"'),
        _ => None,
    };
    if let Some(c) = plain {
        return Some((Decoded::Char(c), used));
    }
    let expansion = match htmlize::ENTITIES.get(s.get(..used)?.as_bytes()) {
        Some(e) => e,
        // Read without `;` before the full table came in; kept so such text
        // reads as it did.
        None if !semicolon && ["apos", "euro", "hellip", "bull"].contains(&name) => {
            htmlize::ENTITIES.get(format!("&{name};").as_bytes())?
        }
        None => return None,
    };
    let text = std::str::from_utf8(expansion).ok()?;
    let mut chars = text.chars();
    let decoded = match (chars.next(), chars.next()) {
        (Some(c), None) => Decoded::Char(c),
        (Some(_), Some(_)) => Decoded::Text(text),
        (None, _) => return None,
    };
    Some((decoded, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The converter as it was before the allocation-free rewrite, kept to
    /// check that the output did not change.
    mod reference {
        use super::super::{decode_entity, find, newline, trim_end_spaces};
        /// Converts HTML to text: one pass, linear in the input.
        pub fn html_to_text(html: &str) -> String {
            let b = html.as_bytes();
            let mut out = String::with_capacity(html.len() / 2);
            let mut i = 0;
            let mut hidden: Option<String> = None;
            let mut cells_in_row = 0usize;
            while i < b.len() {
                let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| i + p) else {
                    if hidden.is_none() {
                        push_text_ref(&mut out, &html[i..]);
                    }
                    break;
                };
                if hidden.is_none() && lt > i {
                    push_text_ref(&mut out, &html[i..lt]);
                }
                // Comments and declarations.
                if b[lt..].starts_with(b"<!--") {
                    i = find(b, lt + 4, b"-->").map(|p| p + 3).unwrap_or(b.len());
                    continue;
                }
                let Some(gt) = memchr::memchr(b'>', &b[lt..]).map(|p| lt + p) else {
                    break;
                };
                let tag = &html[lt + 1..gt];
                i = gt + 1;
                let closing = tag.starts_with('/');
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if let Some(h) = &hidden {
                    if closing && *h == name {
                        hidden = None;
                    }
                    continue;
                }
                if !closing && super::HIDDEN.contains(&name.as_str()) && !tag.ends_with('/') {
                    hidden = Some(name);
                    continue;
                }
                match name.as_str() {
                    "td" | "th" if !closing => {
                        if cells_in_row > 0 {
                            trim_end_spaces(&mut out);
                            out.push_str(" | ");
                        }
                        cells_in_row += 1;
                    }
                    "tr" => {
                        cells_in_row = 0;
                        newline(&mut out);
                    }
                    n if super::BLOCK.contains(&n) => newline(&mut out),
                    _ => {}
                }
            }
            out
        }

        /// Appends text content: whitespace runs collapse to one space, entities decode.
        fn push_text_ref(out: &mut String, text: &str) {
            let mut rest = text;
            while !rest.is_empty() {
                let amp = rest.find('&').unwrap_or(rest.len());
                push_collapsed_ref(out, &rest[..amp]);
                rest = &rest[amp..];
                if rest.is_empty() {
                    break;
                }
                match decode_entity(rest) {
                    Some((c, used)) => {
                        if c.is_whitespace() {
                            push_collapsed_ref(out, " ");
                        } else {
                            c.push_to(out);
                        }
                        rest = &rest[used..];
                    }
                    None => {
                        out.push('&');
                        rest = &rest[1..];
                    }
                }
            }
        }

        fn push_collapsed_ref(out: &mut String, s: &str) {
            for c in s.chars() {
                if c.is_whitespace() {
                    if !(out.is_empty() || out.ends_with(' ') || out.ends_with('\n')) {
                        out.push(' ');
                    }
                } else {
                    out.push(c);
                }
            }
        }
    }

    #[test]
    fn same_output_as_the_reference_converter() {
        let inputs = [
            "<html><head><title>x</title><meta charset=utf-8></head><BODY><H1>Pupil report: Amira</H1><p>DOB 04/02/2010.\n\t UPN  P801200216001</p><TABLE><tr><th>a</th><TH>b</th></tr><tr><td> 1 </td><td>2</td></tr></table></body></html>",
            "<p>caf\u{e9}\u{a0}\u{a0}x\u{2003}y\u{b}z\u{85}w &nbsp; &amp;&#32;&lt;tag&gt; &bogus; &#xZZ;</p><br/><br>",
            "<sCrIpT>var a = '<p>';</ScRiPt>after<style/>kept<style>dropped</style><x-very-long-custom-element-name>t</x-very-long-custom-element-name>",
            "<div><template>hidden<div>inner</div></template>shown</div><noscript>n</noscript><figcaption>c</figcaption>",
            "text <!-- comment <p> --> more <!-- unterminated",
            "<p unclosed",
            "\u{3000}lead<td>a<td>b<tr><td>c",
            "é<é>é&é;",
            // Names at and past the 16 bytes kept for matching.
            "<TABLEtableTABLEtableX>a</TABLEtableTABLEtableX><abcdefghijklmnop>b</abcdefghijklmnop><figcaptionfigcap>c",
            "<scriptscriptscriptscript>d</scriptscriptscriptscript>e<title>f</title>g",
        ];
        for html in inputs {
            assert_eq!(
                visible_text(html),
                reference::html_to_text(html),
                "{html:?}"
            );
        }
        // Whitespace in every arrangement the run copying could get wrong.
        let pieces = [
            "a",
            "bc",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            "\u{b}",
            "\u{1}",
            "\u{a0}",
            "é",
            "&amp;",
            "&#32;",
            "&nbsp;",
            "<p>",
            "</p>",
            "<td>",
            "<b>",
            "<br/>",
            "&",
            "&bogus;",
            "&#x2003;",
            "&lt;",
            // Tag names in every class, case, closing and self-closing form.
            "<script>",
            "</script>",
            "<SCRIPT type=x>",
            "<style/>",
            "</STYLE>",
            "<title>",
            "</title >",
            "<tr>",
            "</TR>",
            "<th>",
            "</td>",
            "<TD>",
            "<//p>",
            "<!-- c -->",
            "<h1 class=x>",
            "<figcaption-and-more-letters>",
            "</>",
            "<>",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..8_000 {
            let mut html = String::new();
            for _ in 0..1 + seed % 12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                html.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                visible_text(&html),
                reference::html_to_text(&html),
                "{html:?}"
            );
        }
        for n in super::BLOCK {
            let want = if *n == "tr" { Tag::Row } else { Tag::Block };
            assert_eq!(tag_kind(n.as_bytes()), want, "{n}");
        }
        for n in super::HIDDEN {
            assert_eq!(tag_kind(n.as_bytes()), Tag::Hidden(n.as_bytes()), "{n}");
        }
        for n in ["a", "span", "b", "x", "-", "tdx", "scripts"] {
            assert_eq!(tag_kind(n.as_bytes()), Tag::Other, "{n}");
        }
        assert_eq!(tag_kind(b"td"), Tag::Cell);
        assert_eq!(tag_kind(b"th"), Tag::Cell);
    }

    #[test]
    fn table_cells_stay_apart() {
        let t = html_to_text("<h3>Referral</h3><table><tr><td>NHS number</td><td>629 140 7736</td></tr><tr><td>Reason</td><td>asthma</td></tr></table>");
        assert_eq!(t, "Referral\nNHS number | 629 140 7736\nReason | asthma\n");
    }

    #[test]
    fn entities_decode_and_space_collapses() {
        assert_eq!(
            html_to_text("<p>JT&nbsp;48&#160;22 &#x39;1&nbsp;B &amp; co\n\n  x</p>"),
            "JT 48 22 91 B & co x\n"
        );
    }

    #[test]
    fn the_full_entity_table_is_read() {
        // Names beyond the old 17, accented names from every culture, and a
        // two-character expansion.
        assert_eq!(
            html_to_text(
                "<p>Zo&euml; Nj&ouml;rd &Aacute;ngel &ccedil;a &szlig; &eacute;&egrave;&ecirc;</p>"
            ),
            "Zoë Njörd Ángel ça ß éèê\n"
        );
        assert_eq!(
            html_to_text("<p>&frac12; &times; &deg;C &sect;3 &trade;</p>"),
            "½ × °C §3 ™\n"
        );
        assert_eq!(
            html_to_text("<p>a&NotEqualTilde;b</p>"),
            "a\u{2242}\u{338}b\n"
        );
        assert_eq!(
            html_to_text("<p>x&CounterClockwiseContourIntegral;y</p>"),
            "x\u{2233}y\n"
        );
        // Whitespace entities collapse like spaces.
        assert_eq!(
            html_to_text("<p>JT&ensp;48&emsp;&thinsp;22</p>"),
            "JT 48 22\n"
        );
        // The detection-friendly forms are kept: ASCII dashes and quotes.
        assert_eq!(
            html_to_text("<p>&ldquo;a&rdquo; &lsquo;b&rsquo; 1&ndash;2&mdash;3 &hellip; &euro;5 &pound;5</p>"),
            "\"a\" 'b' 1-2-3 … €5 £5\n"
        );
    }

    #[test]
    fn unknown_or_unterminated_names_stay_as_written() {
        // Not entities: ampersands in ordinary text.
        assert_eq!(
            html_to_text("<p>R&D, Q&A, AT&T, P&amp;O</p>"),
            "R&D, Q&A, AT&T, P&O\n"
        );
        assert_eq!(
            html_to_text("<p>&bogus; &copy2024 &notit;</p>"),
            "&bogus; &copy2024 &notit;\n"
        );
        // Without `;` only the legacy names (and the four read so before);
        // a name runs to the first character that is not a letter or digit.
        assert_eq!(
            html_to_text("<p>&eacute &amp &pound5 &euro &frac12</p>"),
            "é & &pound5 € ½\n"
        );
        assert_eq!(html_to_text("<p>&in &pi &and</p>"), "&in &pi &and\n");
        // Longer than any name in the table.
        let long = format!("<p>&{};</p>", "a".repeat(40));
        assert_eq!(html_to_text(&long), format!("&{};\n", "a".repeat(40)));
    }

    /// Issue 20: what is not shown is still sent, so it is read, after
    /// the visible text and one line per piece (this test asserted the
    /// opposite before). Of a script, its string literals are read (they
    /// are data sent with the page); its code is not (`var x =` is absent).
    #[test]
    fn unshown_content_follows_the_visible_text() {
        let t = html_to_text("<html><head><style>p{color:#123456}</style><title>t 4010232137</title></head><body><!-- 4857773457 --><p>Hi</p><script>var x='QQ123456C';</script></body></html>");
        assert_eq!(
            t,
            "Hi\np{color:#123456}\nt 4010232137\n4857773457\nQQ123456C\n"
        );
    }

    /// Issue 20 variants: CDATA sections, bogus comments, custom data and
    /// meta attributes, an iframe's `srcdoc`, and the data in scripts (a
    /// string literal, a comment, a JSON block, a template) are sent and
    /// so read; declarations and script code add nothing.
    #[test]
    fn cdata_bogus_comments_data_attributes_and_script_data_are_read() {
        for (html, want) in [
            ("<p>Hi</p><![CDATA[ NI QQ123456C ]]>", "NI QQ123456C"),
            ("<p>Hi</p><! NI QQ123456C >", "NI QQ123456C"),
            ("<p>Hi</p><?php echo 'NI QQ123456C'; ?>", "NI QQ123456C"),
            (r#"<div data-ni="QQ123456C">NI</div>"#, "QQ123456C"),
            (
                r#"<meta name="description" content="NI QQ123456C">"#,
                "NI QQ123456C",
            ),
            (
                r#"<iframe srcdoc="&lt;p&gt;NI QQ123456C&lt;/p&gt;"></iframe>"#,
                "NI QQ123456C",
            ),
            (
                r#"<script>var p = {ni: "QQ 12 34 56 C", name: 'Sam'};</script>"#,
                "QQ 12 34 56 C",
            ),
            ("<script>// NI QQ123456C\nrun();</script>", "NI QQ123456C"),
            (
                r#"<script type="application/json">{"ni": 4010232137}</script>"#,
                r#"{"ni": 4010232137}"#,
            ),
            (
                r#"<script type="text/template"><p>NI QQ123456C</p></script>"#,
                "NI QQ123456C",
            ),
        ] {
            let t = html_to_text(html);
            assert!(t.lines().any(|l| l.contains(want)), "{html:?} -> {t:?}");
        }
        let t = html_to_text(
            "<!DOCTYPE html><?xml version=\"1.0\"?><![if !supportLists]><p>Hi</p><![endif]>\
             <script>if (password.length < 8) { gtag('config', x); }</script>",
        );
        assert_eq!(t, "Hi\nconfig\n", "{t:?}");
    }

    #[test]
    fn ni_numbers_where_they_are_sent_but_not_shown_are_read() {
        for (html, want) in [
            ("<p>Hi</p><!-- NI QQ 12 34 56 C -->", "NI QQ 12 34 56 C"),
            (
                "<html><head><title>NI QQ123456C</title></head><body>x</body></html>",
                "NI QQ123456C",
            ),
            (
                "<style>/* NI QQ123456C */ p{}</style><p>x</p>",
                "/* NI QQ123456C */ p{}",
            ),
            (
                r#"<p><img src="a.png" alt="NI QQ 12 34 56 C">x</p>"#,
                "NI QQ 12 34 56 C",
            ),
            (r#"<p title='NI: QQ123456C'>x</p>"#, "NI: QQ123456C"),
            (r#"<input type=text value=QQ123456C>"#, "QQ123456C"),
            (
                "<p>Dear Sam,</p><p NI QQ 12 34 56 C for the form",
                "p NI QQ 12 34 56 C for the form",
            ),
            (
                "<p>if a < 5 then NI QQ123456C and b > 2</p>",
                "5 then NI QQ123456C and b",
            ),
            (
                "<template><p>NI QQ123456C</p></template><p>x</p>",
                "NI QQ123456C",
            ),
            (
                "<!--[if mso]><p>NI &amp; QQ123456C</p><![endif]--><p>x</p>",
                "NI & QQ123456C",
            ),
            (
                "<p>Hi</p><script>NI QQ123456C for the form",
                "NI QQ123456C for the form",
            ),
        ] {
            let t = html_to_text(html);
            assert!(t.lines().any(|l| l.contains(want)), "{html:?} -> {t:?}");
        }
    }

    /// Hard negatives: markup that carries no words adds nothing, and the
    /// visible text of an ordinary message is unchanged.
    #[test]
    fn ordinary_markup_adds_no_unshown_text() {
        let html = r#"<html><head><meta charset="utf-8"><link rel=stylesheet href="a.css"></head><body><div class="x" id="y" style="margin:0"><a href="https://example.org/?q=QQ123456C">link</a><img src="data:image/png;base64,iVBORw0KGgo"></div><table border=0><tr><td>a</td></tr></table></body></html>"#;
        assert_eq!(html_to_text(html), visible_text(html));
        // A base64 blob in a style is not prose.
        let blob = "A1".repeat(300);
        let t = html_to_text(&format!(
            "<style>b{{background:url(data:image/png;base64,{blob})}}</style><p>x</p>"
        ));
        assert!(!t.contains(&blob), "{t:?}");
    }

    #[test]
    fn broken_markup_never_panics() {
        for s in [
            "<",
            "<p",
            "&",
            "&#",
            "&#xZZ;",
            "&#99999999999;",
            "<!--",
            "<td>a<td>b",
            "é<é>é&é;",
        ] {
            let _ = html_to_text(s);
        }
    }
}
