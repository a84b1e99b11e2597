//! A small, non-validating XML tokenizer for the parts that carry document
//! text (OOXML `document.xml`, sheets and shared strings, ODF `content.xml`).
//!
//! Why not `quick-xml` here: those parts are megabytes of markup around a
//! little text, and a general event reader (owned `Cow`s per event, attribute
//! iterators, decoding layers) ran at about 200 MB/s of XML, the bottleneck of
//! attachment scanning. This tokenizer only slices the input: tags are found
//! with `memchr`, names and attributes are byte ranges of the input, text is
//! decoded (entities, UTF-8) straight into the caller's buffer. It is
//! deliberately small enough to audit:
//!
//! - every step moves forward through the input (linear time, no backtracking
//!   beyond the current tag), no recursion, and all indexing is checked
//!   (`get`), so no byte sequence can make it panic;
//! - the only allocation is the stack of open element names, capped at
//!   [`MAX_DEPTH`];
//! - like quick-xml's default configuration it rejects an end tag that does
//!   not match the open element and an unterminated tag, comment or CDATA
//!   section; unknown entities are kept as written; DTDs are skipped, never
//!   expanded (no entity bombs).
//!
//! quick-xml stays where structure matters more than speed (`styles.xml`).

use super::error::{ExtractError, Result};
pub use crate::bytes::find;
use crate::bytes::{array_at, zero_bytes};
use memchr::{memchr, memmem};

/// Open elements allowed at once; deeper nesting is treated as corrupt.
pub const MAX_DEPTH: usize = 10_000;

/// One start or empty-element tag's raw attribute text (its names are
/// [`Scanner::name`] and [`Scanner::local`]).
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    attrs: &'a [u8],
}

/// Name after the namespace prefix (`w:t` → `t`). Names are short: a plain
/// loop beats a `memchr` call here.
#[inline]
pub fn local(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(p) => name.get(p + 1..).unwrap_or_default(),
        None => name,
    }
}

/// Byte equality for short names, inlined (slice `==` calls `memcmp`, which
/// costs more than the comparison itself for names of a few bytes). Names
/// of up to 16 bytes are compared as two overlapping words, not byte by
/// byte: element names are compared several times per tag.
#[inline]
pub fn name_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1 => a.first() == b.first(),
        2 | 3 => array_at::<2>(a, 0) == array_at::<2>(b, 0) && a.last() == b.last(),
        4..=8 => {
            array_at::<4>(a, 0) == array_at::<4>(b, 0)
                && array_at::<4>(a, n - 4) == array_at::<4>(b, n - 4)
        }
        9..=16 => {
            array_at::<8>(a, 0) == array_at::<8>(b, 0)
                && array_at::<8>(a, n - 8) == array_at::<8>(b, n - 8)
        }
        _ => a == b,
    }
}

/// `names` contains `n`, by [`name_eq`].
#[inline]
pub fn one_of(names: &[&[u8]], n: &[u8]) -> bool {
    names.iter().any(|m| name_eq(m, n))
}

impl<'a> Tag<'a> {
    /// The attributes as (qualified name, raw value), up to the first malformed one.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs {
            a: self.attrs,
            i: 0,
        }
    }

    /// Raw (still escaped) value of the first attribute with local name `name`.
    pub fn attr_raw(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.attrs().find(|(k, _)| local(k) == name).map(|(_, v)| v)
    }

    /// Value of the attribute with local name `name`, entities decoded.
    pub fn attr(&self, name: &[u8]) -> Option<String> {
        self.attr_raw(name).map(|v| {
            let mut s = String::new();
            decode_into(v, &mut s, usize::MAX);
            s
        })
    }
}

/// Iterator over a tag's attributes; stops at the first malformed one.
pub struct Attrs<'a> {
    a: &'a [u8],
    i: usize,
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let a = self.a;
        let mut i = self.i;
        while a.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let start = i;
        while a
            .get(i)
            .is_some_and(|&b| b != b'=' && !b.is_ascii_whitespace())
        {
            i += 1;
        }
        let key = a.get(start..i)?;
        if key.is_empty() {
            return None;
        }
        while a.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if a.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        while a.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        let q = *a.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let rest = a.get(i + 1..)?;
        let len = memchr(q, rest)?;
        self.i = i + len + 2;
        Some((key, rest.get(..len)?))
    }
}

/// Raw (still escaped) text. When the whole document is valid UTF-8 (checked
/// once, up front) text comes as `&str`, so decoding it costs no second check.
#[derive(Debug, Clone, Copy)]
pub enum Text<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Text<'a> {
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            Text::Str(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }
}

impl<'a> From<&'a [u8]> for Text<'a> {
    fn from(b: &'a [u8]) -> Self {
        Text::Bytes(b)
    }
}

/// What the scanner stopped at; its content is read with [`Scanner::tag`],
/// [`Scanner::name`] and [`Scanner::text`]. (A payload-free token keeps the
/// hot loop out of memory: returning a slice-carrying enum cost a
/// store-forwarding stall per token.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// Start tag: [`Scanner::tag`].
    Start,
    /// Empty-element tag: [`Scanner::tag`].
    Empty,
    /// End tag: [`Scanner::name`].
    End,
    /// Raw text: [`Scanner::text`], decode with [`decode_into`].
    Text,
    /// CDATA content, taken literally: [`Scanner::text`].
    CData,
}

pub struct Scanner<'a> {
    xml: &'a [u8],
    /// `xml` as text, when it is valid UTF-8.
    doc: Option<&'a str>,
    pos: usize,
    /// Open elements: qualified name and where its local name starts.
    open: Vec<(&'a [u8], usize)>,
    format: &'static str,
    /// The current tag's qualified and local name and attributes, or the current text.
    name: &'a [u8],
    local: &'a [u8],
    attrs: &'a [u8],
    text: Text<'a>,
    /// Skips (of properties, of whole runs) are not tried before this
    /// offset: a scan from an earlier point ran up to it and failed (a text
    /// element inside, or no end tag). Retrying from every nested level
    /// would rescan the same bytes once per level, quadratic in the nesting
    /// (issue 20: a 362 KB docx of nested properties took 14.5 s). What is
    /// not skipped is tokenized, which reads it the same way.
    no_skip_before: usize,
}

/// [`NAME_CLASS`] bits: the byte ends a tag name / is a namespace colon.
const NAME_END: u8 = 1;
const COLON: u8 = 2;

/// Byte classes for the tag-name loop: one table load per byte instead of
/// four comparisons, and the prefix colon found in the same pass.
static NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_whitespace() || c == b'/' || c == b'>' {
            t[b] = NAME_END;
        } else if c == b':' {
            t[b] = COLON;
        }
        b += 1;
    }
    t
};

/// Length of the tag name at the start of `body`, and where its local part
/// starts (after the first `:`, else 0).
#[inline(always)]
fn scan_name(body: &[u8]) -> (usize, usize) {
    let mut local = 0;
    for (i, &b) in body.iter().enumerate() {
        let c = NAME_CLASS[usize::from(b)];
        if c != 0 {
            if c == NAME_END {
                return (i, local);
            }
            if local == 0 {
                local = i + 1;
            }
        }
    }
    (body.len(), local)
}

impl<'a> Scanner<'a> {
    /// `format` names the document type in errors (`"xlsx"`, `"xml"`).
    pub fn new(xml: &'a [u8], format: &'static str) -> Self {
        Scanner {
            xml,
            doc: simdutf8::basic::from_utf8(xml).ok(),
            pos: 0,
            open: Vec::new(),
            format,
            name: &[],
            local: &[],
            attrs: &[],
            text: Text::Bytes(&[]),
            no_skip_before: 0,
        }
    }

    /// The current start or empty-element tag.
    #[inline]
    pub fn tag(&self) -> Tag<'a> {
        Tag { attrs: self.attrs }
    }

    /// The current tag's qualified name (start, empty or end tag); the
    /// extractors only need [`Scanner::local`].
    #[inline]
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The current tag's local name (start, empty or end tag).
    #[inline]
    pub fn local(&self) -> &'a [u8] {
        self.local
    }

    /// The current start or empty-element tag's attributes.
    #[inline]
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs {
            a: self.attrs,
            i: 0,
        }
    }

    /// The current text or CDATA.
    #[inline]
    pub fn text(&self) -> Text<'a> {
        self.text
    }

    /// The input from the current position, for a consumer's fast path
    /// over a fragment of a known shape (see [`Scanner::skip`]).
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.xml.get(self.pos..).unwrap_or_default()
    }

    /// Moves past the first `n` bytes of [`Scanner::rest`], which the
    /// consumer has read itself. They must be a complete, balanced
    /// fragment (every element in it closed in it), so that the open
    /// element stack stays right; checking that is the consumer's fast
    /// path's job, and anything it is not sure of goes through
    /// [`Scanner::next`].
    #[inline]
    pub fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.xml.len());
    }

    /// Bytes `start..end` of [`Scanner::rest`] as text (as `&str` when the
    /// document is valid UTF-8 and the range ends on character boundaries,
    /// which text ending at `<` does).
    #[inline]
    pub fn text_at(&self, start: usize, end: usize) -> Text<'a> {
        let (s, e) = (self.pos + start, self.pos + end);
        match self.doc.and_then(|d| d.get(s..e)) {
            Some(t) => Text::Str(t),
            None => Text::Bytes(self.xml.get(s..e).unwrap_or_default()),
        }
    }

    /// Moves past the end of the element the last [`Tok::Start`] opened,
    /// without tokenizing what it holds, unless a start tag inside it has a
    /// local name in `keep` (an element that carries text): then nothing
    /// moves and it is false. For formatting properties (Word's `w:rPr`,
    /// `w:pPr`), which are most of a document's markup and never text.
    ///
    /// Only tags with the element's own name are looked at closely (Word
    /// nests them: `w:rPrChange` holds the old `w:rPr`), and nothing
    /// inside is checked for well-formedness. A tag hidden in a comment
    /// can at worst make the skip end early (then the real end tag is a
    /// mismatch: an error) or late, and a late end can never pass over
    /// text, because any `keep` start tag on the way stops the skip.
    pub fn skip_element_unless(&mut self, keep: &[&[u8]]) -> Result<bool> {
        let Some(&(name, _)) = self.open.last() else {
            return Ok(false);
        };
        if self.pos < self.no_skip_before {
            return Ok(false);
        }
        match element_end(self.xml, self.pos, name, keep) {
            ElementEnd::End(end) => {
                self.open.pop();
                self.pos = end;
                Ok(true)
            }
            ElementEnd::Keep(at) => {
                self.no_skip_before = at;
                Ok(false)
            }
            ElementEnd::Unterminated(what) => Err(self.corrupt(what)),
        }
    }

    /// [`fast_run`] here, unless an earlier skip scan already failed past
    /// this point (see `no_skip_before`).
    #[inline]
    pub fn fast_run(
        &mut self,
        shape: &RunShape,
        keep: &[&[u8]],
    ) -> Option<((usize, usize), bool, usize)> {
        if self.pos < self.no_skip_before {
            return None;
        }
        let mut blocked = None;
        let run = fast_run_noting(self.rest(), shape, keep, &mut blocked);
        if let Some(b) = blocked {
            self.no_skip_before = self.pos.saturating_add(b);
        }
        run
    }

    /// Consumes a start tag written exactly `<QNAME>` (no attributes, no
    /// space) here, as [`Scanner::next`] would, without its dispatch: for
    /// the paragraph tags that make up much of a document's markup. False,
    /// and nothing moves, for any other input.
    #[inline]
    pub fn start_exact(&mut self, qname: &[u8]) -> bool {
        let rest = self.xml.get(self.pos..).unwrap_or_default();
        let Some(name) = exact_tag(rest, b"<", qname) else {
            return false;
        };
        if self.open.len() >= MAX_DEPTH {
            return false;
        }
        let (_, local_at) = scan_name(name);
        self.open.push((name, local_at));
        self.pos += qname.len() + 2;
        true
    }

    /// Consumes a start tag `<QNAME>` whose attributes are all in their
    /// usual form ([`plain_attrs`]) here, as [`Scanner::next`] would,
    /// without its dispatch: for the row tags of a sheet, two tokens a row.
    /// False, and nothing moves, for any other input (an empty-element tag,
    /// odd quoting or spacing), which the tokenizer then reads and checks.
    #[inline]
    pub fn start_plain(&mut self, qname: &[u8]) -> bool {
        let rest = self.xml.get(self.pos..).unwrap_or_default();
        let after = qname.len() + 1;
        if rest.get(1..after) != Some(qname) || !matches!(rest.get(after), Some(b' ' | b'>')) {
            return false;
        }
        if rest.first() != Some(&b'<') || self.open.len() >= MAX_DEPTH {
            return false;
        }
        let (Some(end), Some(name)) = (plain_attrs(rest, after, |_, _| {}), rest.get(1..after))
        else {
            return false;
        };
        let (_, local_at) = scan_name(name);
        self.open.push((name, local_at));
        self.pos += end;
        true
    }

    /// Consumes the end tag `</QNAME>` here when `qname` is the innermost
    /// open element, as [`Scanner::next`] would. False, and nothing moves,
    /// for any other input (which the tokenizer then reads and checks).
    #[inline]
    pub fn end_exact(&mut self, qname: &[u8]) -> bool {
        let rest = self.xml.get(self.pos..).unwrap_or_default();
        let matches = self
            .open
            .last()
            .is_some_and(|&(open, _)| name_eq(open, qname))
            && exact_tag(rest, b"</", qname).is_some();
        if matches {
            self.open.pop();
            self.pos += qname.len() + 3;
        }
        matches
    }

    /// Skips a whole element that starts here with exactly `<QNAME>`, as a
    /// start tag followed by [`Scanner::skip_element_unless`] would. False,
    /// and nothing moves, when the input is anything else, when a `keep`
    /// element is inside, or when the element is malformed (the tokenizer
    /// then reads it, and reports what is wrong).
    #[inline]
    pub fn skip_exact(&mut self, qname: &[u8], keep: &[&[u8]]) -> bool {
        let rest = self.xml.get(self.pos..).unwrap_or_default();
        if self.pos < self.no_skip_before || exact_tag(rest, b"<", qname).is_none() {
            return false;
        }
        match element_end(self.xml, self.pos + qname.len() + 2, qname, keep) {
            ElementEnd::End(end) => {
                self.pos = end;
                true
            }
            ElementEnd::Keep(at) => {
                self.no_skip_before = at;
                false
            }
            ElementEnd::Unterminated(_) => {
                self.no_skip_before = self.xml.len();
                false
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn corrupt(&self, what: &str) -> ExtractError {
        ExtractError::corrupt(self.format, format!("{what} at byte {}", self.pos))
    }

    /// Comments, processing instructions, CDATA and declarations (rare in
    /// the parts read here, kept out of the inlined hot path). Advances past
    /// them; CDATA is the only one that yields a token.
    #[cold]
    #[inline(never)]
    fn markup(&mut self, rest: &'a [u8]) -> Result<Option<Tok>> {
        match rest.get(1) {
            Some(b'?') => {
                let Some(end) = memmem::find(rest, b"?>") else {
                    return Err(self.corrupt("unterminated processing instruction"));
                };
                self.pos += end + 2;
            }
            Some(b'!') => {
                if rest.starts_with(b"<!--") {
                    let Some(end) = memmem::find(rest.get(4..).unwrap_or_default(), b"-->") else {
                        return Err(self.corrupt("unterminated comment"));
                    };
                    self.pos += end + 7;
                } else if rest.starts_with(b"<![CDATA[") {
                    let body = rest.get(9..).unwrap_or_default();
                    let Some(end) = memmem::find(body, b"]]>") else {
                        return Err(self.corrupt("unterminated CDATA"));
                    };
                    self.pos += end + 12;
                    self.text = Text::Bytes(body.get(..end).unwrap_or_default());
                    return Ok(Some(Tok::CData));
                } else {
                    // <!DOCTYPE ...> with an optional [internal subset]: skipped.
                    let mut depth = 0usize;
                    let mut quote = 0u8;
                    let mut end = None;
                    for (i, &b) in rest.iter().enumerate().skip(2) {
                        if quote != 0 {
                            if b == quote {
                                quote = 0;
                            }
                            continue;
                        }
                        match b {
                            b'"' | b'\'' => quote = b,
                            b'[' => depth += 1,
                            b']' => depth = depth.saturating_sub(1),
                            b'>' if depth == 0 => {
                                end = Some(i);
                                break;
                            }
                            _ => {}
                        }
                    }
                    let Some(end) = end else {
                        return Err(self.corrupt("unterminated declaration"));
                    };
                    self.pos += end + 1;
                }
            }
            // Only called at `<?` and `<!`; anything else would not advance.
            _ => return Err(self.corrupt("unexpected markup")),
        }
        Ok(None)
    }

    /// The next token, `None` at the end of the input. Inlined: the token
    /// then stays in registers instead of going through memory.
    #[allow(clippy::should_implement_trait)]
    #[inline(always)]
    pub fn next(&mut self) -> Result<Option<Tok>> {
        loop {
            let rest = self.xml.get(self.pos..).unwrap_or_default();
            let Some(&first) = rest.first() else {
                return Ok(None);
            };
            if first != b'<' {
                let len = find(b'<', rest).unwrap_or(rest.len());
                let start = self.pos;
                self.pos += len;
                // Text ends at `<` or the end: a char boundary in valid UTF-8.
                let text = match self.doc.and_then(|d| d.get(start..self.pos)) {
                    Some(t) => Text::Str(t),
                    None => Text::Bytes(rest.get(..len).unwrap_or_default()),
                };
                self.text = text;
                return Ok(Some(Tok::Text));
            }
            match rest.get(1) {
                Some(b'/') => {
                    let body = rest.get(2..).unwrap_or_default();
                    let Some((open, local_at)) = self.open.pop() else {
                        return Err(self.corrupt("end tag does not match the open element"));
                    };
                    // Usually `</name>` exactly: checked against the open
                    // element's name directly, no search for the `>`.
                    let gt = if body.get(open.len()) == Some(&b'>')
                        && name_eq(body.get(..open.len()).unwrap_or_default(), open)
                    {
                        open.len()
                    } else {
                        let Some(gt) = body.iter().position(|&b| b == b'>') else {
                            return Err(self.corrupt("unterminated end tag"));
                        };
                        let name = body.get(..gt).unwrap_or_default().trim_ascii_end();
                        if !name_eq(open, name) {
                            return Err(self.corrupt("end tag does not match the open element"));
                        }
                        gt
                    };
                    self.pos += gt + 3;
                    self.name = open;
                    self.local = open.get(local_at..).unwrap_or_default();
                    return Ok(Some(Tok::End));
                }
                Some(b'?' | b'!') => match self.markup(rest)? {
                    Some(tok) => return Ok(Some(tok)),
                    None => continue,
                },
                _ => {
                    let body = rest.get(1..).unwrap_or_default();
                    let (name_len, local_at) = scan_name(body);
                    if name_len == 0 {
                        return Err(self.corrupt("tag without a name"));
                    }
                    let after = body.get(name_len..).unwrap_or_default();
                    // Most tags have no attributes: `>` or `/>` right after the name.
                    let gt = match after.first() {
                        Some(b'>') => 0,
                        Some(b'/') if after.get(1) == Some(&b'>') => 1,
                        _ => tag_end(after).ok_or_else(|| self.corrupt("unterminated tag"))?,
                    };
                    let inner = after.get(..gt).unwrap_or_default();
                    let name = body.get(..name_len).unwrap_or_default();
                    self.pos += 1 + name_len + gt + 1;
                    self.name = name;
                    self.local = name.get(local_at..).unwrap_or_default();
                    return Ok(Some(match inner.strip_suffix(b"/") {
                        Some(attrs) => {
                            self.attrs = attrs;
                            Tok::Empty
                        }
                        None => {
                            if self.open.len() >= MAX_DEPTH {
                                return Err(self.corrupt("elements nested too deep"));
                            }
                            self.open.push((name, local_at));
                            self.attrs = inner;
                            Tok::Start
                        }
                    }));
                }
            }
        }
    }
}

/// `rest` starts with `open` (`<` or `</`), `qname` and `>`, nothing else
/// in between: the name's bytes in `rest`, for the `*_exact` paths.
#[inline(always)]
fn exact_tag<'x>(rest: &'x [u8], open: &[u8], qname: &[u8]) -> Option<&'x [u8]> {
    let (o, n) = (open.len(), qname.len());
    let name = rest.get(o..o + n)?;
    (rest.get(..o)? == open && name_eq(name, qname) && rest.get(o + n) == Some(&b'>'))
        .then_some(name)
}

/// What [`element_end`] found.
enum ElementEnd {
    /// Just past the element's end tag.
    End(usize),
    /// A start tag in `keep` begins here (the element holds text).
    Keep(usize),
    /// The input ends first.
    Unterminated(&'static str),
}

/// Where the element `name` whose content starts at `xml[at]` ends (just
/// past its end tag), looking closely only at tags named `name` (nesting is
/// counted) and at start tags' local names: [`ElementEnd::Keep`] if one of
/// them is in `keep`. See [`Scanner::skip_element_unless`].
fn element_end(xml: &[u8], mut at: usize, name: &[u8], keep: &[&[u8]]) -> ElementEnd {
    let mut depth = 1usize;
    loop {
        let rest = xml.get(at..).unwrap_or_default();
        let Some(lt) = find(b'<', rest) else {
            return ElementEnd::Unterminated("unterminated element");
        };
        let tag = rest.get(lt + 1..).unwrap_or_default();
        match tag.first() {
            Some(b'/') => {
                let after = tag.get(1..).unwrap_or_default();
                if after.len() > name.len()
                    && name_eq(after.get(..name.len()).unwrap_or_default(), name)
                {
                    let tail = after.get(name.len()..).unwrap_or_default();
                    let ws = tail.iter().take_while(|b| b.is_ascii_whitespace()).count();
                    if tail.get(ws) == Some(&b'>') {
                        depth -= 1;
                        if depth == 0 {
                            return ElementEnd::End(at + lt + 2 + name.len() + ws + 1);
                        }
                    }
                }
            }
            Some(b'!' | b'?') | None => {}
            Some(_) => {
                let (len, local_at) = scan_name(tag);
                if one_of(keep, tag.get(local_at..len).unwrap_or_default()) {
                    return ElementEnd::Keep(at + lt);
                }
                if name_eq(tag.get(..len).unwrap_or_default(), name) {
                    let attrs = tag.get(len..).unwrap_or_default();
                    let Some(gt) = tag_end(attrs) else {
                        return ElementEnd::Unterminated("unterminated tag");
                    };
                    if attrs.get(..gt).is_some_and(|a| !a.ends_with(b"/")) {
                        depth += 1;
                    }
                }
            }
        }
        at += lt + 1;
    }
}

/// The qualified names of a text run in its usual form (Word's
/// `<w:r><w:rPr>…</w:rPr><w:t>TEXT</w:t></w:r>`), which [`fast_run`] reads
/// without the tokenizer.
#[derive(Debug, Clone, Copy)]
pub struct RunShape {
    /// The paragraph and its properties (`w:p`, `w:pPr`): their usual,
    /// attribute-less tags are taken without the tokenizer too.
    pub para: &'static [u8],
    pub para_props: &'static [u8],
    pub run: &'static [u8],
    pub props: &'static [u8],
    pub text: &'static [u8],
}

/// A run of [`RunShape`] at the start of `rest`: the text's range, whether
/// it holds no `&`, and the run's length. Attributes in their usual form
/// are allowed on every tag, the properties may hold anything but a `keep`
/// element (and are not checked: they are formatting), the props may be
/// absent or empty. Anything else is `None`, and goes through the
/// tokenizer, which then checks it all.
#[cfg(test)]
pub fn fast_run(
    rest: &[u8],
    shape: &RunShape,
    keep: &[&[u8]],
) -> Option<((usize, usize), bool, usize)> {
    fast_run_noting(rest, shape, keep, &mut None)
}

/// [`fast_run`], noting in `blocked` how far into `rest` a failed scan of
/// the run's properties went (so the caller does not rescan it).
fn fast_run_noting(
    rest: &[u8],
    shape: &RunShape,
    keep: &[&[u8]],
    blocked: &mut Option<usize>,
) -> Option<((usize, usize), bool, usize)> {
    let tag_at = |at: usize, name: &[u8]| {
        rest.get(at) == Some(&b'<')
            && rest
                .get(at + 1..at + 1 + name.len())
                .is_some_and(|n| name_eq(n, name))
            && matches!(rest.get(at + 1 + name.len()), Some(b' ' | b'>' | b'/'))
    };
    if !tag_at(0, shape.run) {
        return None;
    }
    let mut at = plain_attrs(rest, 1 + shape.run.len(), |_, _| {})?;
    if tag_at(at, shape.props) {
        let name_end = at + 1 + shape.props.len();
        let attrs = rest.get(name_end..)?;
        let gt = tag_end(attrs)?;
        at = name_end + gt + 1;
        if !attrs.get(..gt)?.ends_with(b"/") {
            at = match element_end(rest, at, shape.props, keep) {
                ElementEnd::End(end) => end,
                ElementEnd::Keep(k) => {
                    *blocked = Some(k);
                    return None;
                }
                ElementEnd::Unterminated(_) => {
                    *blocked = Some(rest.len());
                    return None;
                }
            };
        }
    }
    if !tag_at(at, shape.text) {
        return None;
    }
    let start = plain_attrs(rest, at + 1 + shape.text.len(), |_, _| {})?;
    let (end, amp) = text_to_lt_after(rest, start, 0)?;
    let close = rest.get(end..)?;
    let t = shape.text.len();
    let r = shape.run.len();
    let ok = close.get(..2)? == b"</"
        && name_eq(close.get(2..2 + t)?, shape.text)
        && close.get(2 + t..5 + t)? == b"></"
        && name_eq(close.get(5 + t..5 + t + r)?, shape.run)
        && close.get(5 + t + r)? == &b'>';
    ok.then_some(((start, end), !amp, end + 6 + t + r))
}

/// Text from `at` up to the next `<`: where that `<` is, and whether an
/// `&` came before it (text without one needs no decoding). Sheet values
/// and shared strings are a few bytes: the first 16 are looked at inline,
/// longer text is searched with `memchr2`.
#[inline(always)]
pub fn text_to_lt(rest: &[u8], at: usize) -> Option<(usize, bool)> {
    text_to_lt_after(rest, at, 16)
}

/// [`text_to_lt`] looking at only the first `inline` bytes inline (a
/// multiple of 8 is read a word at a time, the rest a byte at a time).
#[inline(always)]
pub fn text_to_lt_after(rest: &[u8], at: usize, inline: usize) -> Option<(usize, bool)> {
    const LT: u64 = 0x3C3C_3C3C_3C3C_3C3C;
    const AMP: u64 = 0x2626_2626_2626_2626;
    let body = rest.get(at..)?;
    let head = body.get(..body.len().min(inline)).unwrap_or_default();
    let mut amp = false;
    // Eight bytes per step: text runs to `<` in a handful of words.
    let mut words = head.chunks_exact(8);
    let mut i = 0;
    for w in words.by_ref() {
        let x = u64::from_le_bytes(w.try_into().ok()?);
        let lt = zero_bytes(x ^ LT);
        let am = zero_bytes(x ^ AMP);
        if lt != 0 {
            amp |= am != 0 && am.trailing_zeros() < lt.trailing_zeros();
            return Some((at + i + (lt.trailing_zeros() / 8) as usize, amp));
        }
        amp |= am != 0;
        i += 8;
    }
    for &b in words.remainder() {
        if b == b'<' {
            return Some((at + i, amp));
        }
        amp |= b == b'&';
        i += 1;
    }
    let from = head.len();
    let tail = body.get(from..)?;
    let hit = memchr::memchr2(b'<', b'&', tail)?;
    if tail.get(hit) == Some(&b'<') {
        return Some((at + from + hit, amp));
    }
    let lt = memchr::memchr(b'<', tail.get(hit..)?)?;
    Some((at + from + hit + lt, true))
}

/// Bytes that cannot be in an attribute name of the fast paths' shape.
#[inline(always)]
fn ends_name(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/' | b'"' | b'\'' | b'<' | b'='
    )
}

/// Calls `each(local name, value)` for the attributes of the tag whose name
/// ends at `rest[at]`, in their usual form (one space before each,
/// `name="value"`), up to the tag's `>`: the offset just past it, `None`
/// for any other form (single quotes, other whitespace, an empty-element
/// tag), which the tokenizer then reads. Every scan stops at the next `<`,
/// so a failed attempt costs no more than the tag it looked at.
#[inline(always)]
pub fn plain_attrs(
    rest: &[u8],
    mut at: usize,
    mut each: impl FnMut(&[u8], &[u8]),
) -> Option<usize> {
    loop {
        match *rest.get(at)? {
            b'>' => return Some(at + 1),
            b' ' => at += 1,
            _ => return None,
        }
        let key_start = at;
        while !ends_name(*rest.get(at)?) {
            at += 1;
        }
        if at == key_start || rest.get(at..at + 2)? != b"=\"" {
            return None;
        }
        let key = rest.get(key_start..at)?;
        let v_start = at + 2;
        at = v_start;
        loop {
            match *rest.get(at)? {
                b'"' => break,
                b'<' => return None,
                _ => at += 1,
            }
        }
        each(local(key), rest.get(v_start..at)?);
        at += 1;
    }
}

/// Offset of the `>` closing a tag whose attributes start `s`, skipping
/// quoted attribute values (which may contain `>`).
#[inline]
pub fn tag_end(s: &[u8]) -> Option<usize> {
    // Tags are short: plain loops, no memchr call set-up per tag.
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'>' => return Some(i),
            b'"' | b'\'' => i += 1 + s.get(i + 1..)?.iter().position(|&c| c == b)?,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Appends the text of `raw` (XML-escaped, expected UTF-8) to `out`, while
/// `out` is shorter than `max`: predefined and numeric character references
/// are decoded, unknown ones kept as written, invalid UTF-8 replaced.
///
/// Inlined down to a call with a plain slice: a [`Text`] passed to a
/// function goes through memory, and reading back the scanner's freshly
/// stored slice as one 16-byte copy stalled (no store forwarding) on every
/// text node.
#[inline(always)]
pub fn decode_into<'t>(raw: impl Into<Text<'t>>, out: &mut String, max: usize) {
    match raw.into() {
        Text::Str(t) => decode_str(t, out, max),
        Text::Bytes(b) => decode_bytes(b, out, max),
    }
}

/// [`decode_into`] for text that may not be UTF-8.
#[inline(never)]
fn decode_bytes(raw: &[u8], out: &mut String, max: usize) {
    if out.len() >= max {
        return;
    }
    decode_str(&String::from_utf8_lossy(raw), out, max);
}

/// [`decode_into`] for text known to be UTF-8.
#[inline(never)]
fn decode_str(text: &str, out: &mut String, max: usize) {
    if out.len() >= max {
        return;
    }
    let mut rest: &str = text;
    while let Some(amp) = find(b'&', rest.as_bytes()) {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let tail = rest.get(amp..).unwrap_or_default();
        // The longest reference worth decoding is `&#x10FFFF;` (10 bytes).
        let semi = memchr(
            b';',
            tail.as_bytes()
                .get(..tail.len().min(12))
                .unwrap_or_default(),
        );
        let decoded = semi.and_then(|s| entity(tail.get(1..s)?).map(|c| (c, s)));
        match decoded {
            Some((c, s)) => {
                out.push(c);
                rest = tail.get(s + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_every_byte_of_every_length() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(name_eq(&a, &a.clone()));
            for k in 0..n {
                let mut b = a.clone();
                b[k] ^= 0x20;
                assert!(!name_eq(&a, &b), "len {n}, byte {k}");
            }
            assert!(!name_eq(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    /// `start_plain` takes a start tag with plain attributes as the
    /// tokenizer would (the element is open after it, so its end tag is
    /// accepted and any other is not), and leaves every other form alone.
    #[test]
    fn start_plain_keeps_the_open_element_stack() {
        for xml in [
            &br#"<ws><row r="1" spans="1:5" x14ac:dyDescent="0.25"><c/></row></ws>"#[..],
            b"<ws><row><c/></row></ws>",
        ] {
            let mut scan = Scanner::new(xml, "t");
            assert_eq!(scan.next().unwrap(), Some(Tok::Start));
            assert!(scan.start_plain(b"row"));
            assert_eq!(scan.rest(), b"<c/></row></ws>");
            assert_eq!(scan.next().unwrap(), Some(Tok::Empty));
            assert!(scan.end_exact(b"row"));
            assert_eq!(scan.next().unwrap(), Some(Tok::End));
            assert_eq!(scan.next().unwrap(), None);
        }
        // Its element stays open: a mismatched end tag is still an error.
        let mut scan = Scanner::new(br#"<ws><row r="1"></c></ws>"#, "t");
        scan.next().unwrap();
        assert!(scan.start_plain(b"row"));
        assert!(scan.next().is_err());
        for other in [
            &b"<row/>"[..],
            b"<rows>",
            b"<row\tr=\"1\">",
            b"<row r='1'>",
            b"<row  r=\"1\">",
            b"<x:row>",
            b"<row r=\"1\"",
            b"row>",
        ] {
            let mut scan = Scanner::new(other, "t");
            assert!(
                !scan.start_plain(b"row"),
                "{:?}",
                String::from_utf8_lossy(other)
            );
            assert_eq!(scan.rest(), other);
        }
    }

    /// The word-at-a-time search finds the same `<` and the same "an `&`
    /// before it" as a byte loop, wherever the two fall in or across words.
    #[test]
    fn text_to_lt_agrees_with_a_byte_loop() {
        let naive = |rest: &[u8], at: usize| {
            let body = rest.get(at..)?;
            let lt = body.iter().position(|&b| b == b'<')?;
            Some((at + lt, body.get(..lt)?.contains(&b'&')))
        };
        let alphabet = [b'a', b'<', b'&', b' ', 0xC3, 0xA9, 0x00, 0xFF, b'=', b';'];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 41) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|k| {
                    let r = seed.rotate_left(k as u32 * 5);
                    // Mostly plain text, so `<` and `&` land at every offset.
                    if r.is_multiple_of(7) {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        b'a' + (r % 26) as u8
                    }
                })
                .collect();
            let at = (seed >> 20) as usize % (len + 1);
            for inline in [0, 5, 8, 16, 24] {
                assert_eq!(
                    text_to_lt_after(&bytes, at, inline),
                    naive(&bytes, at),
                    "{bytes:?} at {at} inline {inline}"
                );
            }
        }
    }

    fn tokens(xml: &[u8]) -> Result<Vec<String>> {
        let mut s = Scanner::new(xml, "xml");
        let mut out = Vec::new();
        while let Some(t) = s.next()? {
            out.push(match t {
                Tok::Start => format!("<{}>", String::from_utf8_lossy(s.name())),
                Tok::Empty => format!("<{}/>", String::from_utf8_lossy(s.name())),
                Tok::End => format!("</{}>", String::from_utf8_lossy(s.name())),
                Tok::Text => {
                    let mut out = String::new();
                    decode_into(s.text(), &mut out, usize::MAX);
                    out
                }
                Tok::CData => format!("[{}]", String::from_utf8_lossy(s.text().bytes())),
            });
        }
        Ok(out)
    }

    #[test]
    fn tags_text_entities_and_skipped_markup() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><!-- c > --><w:p a="1>2" b='x'><w:t>A &amp; B &#233;&#x41;&bogus; &</w:t><w:br/><![CDATA[<raw>]]></w:p >"#;
        assert_eq!(
            tokens(xml).unwrap(),
            [
                "<w:p>",
                "<w:t>",
                "A & B éA&bogus; &",
                "</w:t>",
                "<w:br/>",
                "[<raw>]",
                "</w:p>"
            ]
        );
    }

    #[test]
    fn attributes_by_local_name() {
        let mut s = Scanner::new(br#"<c r="B2" t = 's' x:s="3" q="a&amp;b"/>"#, "xml");
        assert_eq!(s.next().unwrap(), Some(Tok::Empty));
        let t = s.tag();
        assert_eq!(t.attr_raw(b"r"), Some(&b"B2"[..]));
        assert_eq!(t.attr_raw(b"t"), Some(&b"s"[..]));
        assert_eq!(t.attr_raw(b"s"), Some(&b"3"[..]));
        assert_eq!(t.attr(b"q").as_deref(), Some("a&b"));
        assert_eq!(t.attr_raw(b"missing"), None);
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        for bad in [
            &b"<a><b></a>"[..],
            b"</a>",
            b"<a",
            b"<a b=\"x>",
            b"<!-- x",
            b"<![CDATA[x",
            b"<?x",
            b"< a>",
        ] {
            assert!(tokens(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        // Every prefix of a document, and every byte flipped: no panic.
        let doc = br#"<?xml version="1.0"?><w:document><w:p a="x>y"><w:t>K&amp;&#1;&#xFFFFFF;</w:t><!--c--><![CDATA[d]]></w:p></w:document>"#;
        for n in 0..doc.len() {
            let _ = tokens(&doc[..n]);
            for flip in [0u8, b'<', b'>', b'"', b'&', b'/', 0xFF] {
                let mut d = doc.to_vec();
                d[n] = flip;
                let _ = tokens(&d);
            }
        }
    }

    #[test]
    fn names_local_names_and_tag_ends() {
        let xml = br#"<w:p><a:b:c x="1"/><w:t a='>' b=">/"  >x</w:t ><r/><s></s></w:p>"#;
        let mut s = Scanner::new(xml, "xml");
        let mut seen = Vec::new();
        while let Some(t) = s.next().unwrap() {
            let name = String::from_utf8_lossy(s.name()).into_owned();
            let local = String::from_utf8_lossy(s.local()).into_owned();
            seen.push(match t {
                Tok::Start => format!("<{name}|{local}>"),
                Tok::Empty => format!("<{name}|{local}/>"),
                Tok::End => format!("</{name}|{local}>"),
                _ => "text".to_string(),
            });
        }
        assert_eq!(
            seen,
            [
                "<w:p|p>",
                "<a:b:c|b:c/>",
                "<w:t|t>",
                "text",
                "</w:t|t>",
                "<r|r/>",
                "<s|s>",
                "</s|s>",
                "</w:p|p>"
            ]
        );
        // The attributes of the tag whose values hold `>` and `/`.
        let mut s = Scanner::new(br#"<w:t a='>' b=">/"/>"#, "xml");
        assert_eq!(s.next().unwrap(), Some(Tok::Empty));
        assert_eq!(s.tag().attr_raw(b"b"), Some(&b">/"[..]));
        // An end tag that only starts like the open element's name.
        for bad in [
            &b"<ab></abc>"[..],
            b"<abc></ab>",
            b"<ab></ab",
            b"<ab></a b>",
        ] {
            assert!(tokens(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn consumers_can_take_a_fragment_themselves() {
        let xml = "<r><c>é</c><c>x</c></r>".as_bytes();
        let mut s = Scanner::new(xml, "xml");
        assert_eq!(s.next().unwrap(), Some(Tok::Start));
        assert!(s.rest().starts_with(b"<c>"));
        assert!(matches!(s.text_at(3, 5), Text::Str("é")));
        s.skip(9); // "<c>é</c>" is 9 bytes: the open stack is unchanged
        assert_eq!(tokens_from(&mut s), ["<c>", "x", "</c>", "</r>"]);
        // Invalid UTF-8 comes as bytes; skipping past the end stops at the end.
        let mut s = Scanner::new(b"<r>\xFF</r>", "xml");
        s.next().unwrap();
        assert!(matches!(s.text_at(0, 1), Text::Bytes(b"\xFF")));
        s.skip(usize::MAX);
        assert_eq!(s.next().unwrap(), None);
    }

    fn tokens_from(s: &mut Scanner<'_>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(t) = s.next().unwrap() {
            out.push(match t {
                Tok::Start => format!("<{}>", String::from_utf8_lossy(s.name())),
                Tok::End => format!("</{}>", String::from_utf8_lossy(s.name())),
                _ => String::from_utf8_lossy(s.text().bytes()).into_owned(),
            });
        }
        out
    }

    #[test]
    fn elements_without_text_are_skipped_whole() {
        let keep: &[&[u8]] = &[b"t"];
        let xml = br#"<w:p><w:pPr><w:rPr a="</w:p>"><w:b/></w:rPr></w:pPr ><w:r><w:rPr><w:t>x</w:t></w:rPr><w:t>y</w:t></w:r></w:p>"#;
        let mut s = Scanner::new(xml, "xml");
        let mut seen = Vec::new();
        while let Some(t) = s.next().unwrap() {
            let name = String::from_utf8_lossy(s.name()).into_owned();
            if t == Tok::Start && s.local().ends_with(b"Pr") {
                let skipped = s.skip_element_unless(keep).unwrap();
                seen.push(format!("{name} skipped={skipped}"));
                continue;
            }
            seen.push(match t {
                Tok::Text => String::from_utf8_lossy(s.text().bytes()).into_owned(),
                _ => name,
            });
        }
        assert_eq!(
            seen,
            [
                "w:p",
                "w:pPr skipped=true",
                "w:r",
                // Holds a text element: not skipped, its text is read.
                "w:rPr skipped=false",
                "w:t",
                "x",
                "w:t",
                "w:rPr",
                "w:t",
                "y",
                "w:t",
                "w:r",
                "w:p"
            ]
        );
        // Nested under its own name (tracked changes), and empty ones.
        let xml = br#"<w:r><w:rPr><w:b/><w:rPr/><w:rPrChange><w:rPr><w:i/></w:rPr></w:rPrChange></w:rPr><w:t>z</w:t></w:r>"#;
        let mut s = Scanner::new(xml, "xml");
        s.next().unwrap();
        s.next().unwrap();
        assert!(s.skip_element_unless(keep).unwrap());
        assert_eq!(tokens_from(&mut s), ["<w:t>", "z", "</w:t>", "</w:r>"]);
        // A start tag hidden in a comment cannot carry the skip over text.
        let xml = b"<w:p><w:pPr><!-- <w:pPr> --></w:pPr><w:r><w:t>secret</w:t></w:r></w:p>";
        let mut s = Scanner::new(xml, "xml");
        s.next().unwrap();
        s.next().unwrap();
        assert!(!s.skip_element_unless(keep).unwrap());
        assert!(tokens_from(&mut s).contains(&"secret".to_string()));
        // A stray end tag inside (here in a comment) ends the skip early:
        // the real one is then a mismatch, an error.
        let xml = b"<w:p><w:pPr><!-- </w:pPr> --></w:pPr></w:p>";
        let mut s = Scanner::new(xml, "xml");
        s.next().unwrap();
        s.next().unwrap();
        assert!(s.skip_element_unless(keep).unwrap());
        assert!(std::iter::from_fn(|| s.next().transpose()).any(|r| r.is_err()));
        // Unterminated: an error.
        let mut s = Scanner::new(b"<a><b><c/>", "xml");
        s.next().unwrap();
        s.next().unwrap();
        assert!(s.skip_element_unless(keep).is_err());
    }

    #[test]
    fn nesting_is_capped() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(tokens(deep.as_bytes()).is_err());
    }

    #[test]
    fn decoding_stops_at_the_cap() {
        let mut s = String::from("abc");
        decode_into(&b"def"[..], &mut s, 3);
        assert_eq!(s, "abc");
    }
}
