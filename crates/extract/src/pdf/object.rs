//! PDF objects and the tokenizer shared by the file parser and the
//! content-stream interpreter. Everything is bounded: nesting depth, entries
//! per array or dictionary, and every index is checked (hostile input ends a
//! parse with `None`, never a panic).

/// Arrays and dictionaries nested deeper than this end the parse.
const MAX_NESTING: usize = 32;
/// Entries read from one array or dictionary.
const MAX_ITEMS: usize = 1 << 16;

pub type Dict = Vec<(Vec<u8>, Obj)>;

#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32, u16),
    /// A stream: its dictionary and the byte range of its (raw) data in the file.
    Stream(Dict, usize, usize),
    /// A bare keyword: an operator in content streams, `obj`/`stream`/... in files.
    Op(Vec<u8>),
}

impl Obj {
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) | Obj::Stream(d, _, _) => Some(d),
            _ => None,
        }
    }
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Real(r) => Some(*r),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            Obj::Real(r) => Some(*r as i64),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Value of `key` in a dictionary.
pub fn get<'a>(d: &'a Dict, key: &[u8]) -> Option<&'a Obj> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

pub fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A plain integer of up to 18 digits (what content streams are made of),
/// read without UTF-8 validation or the general parser; `None` for
/// anything else, which [`str::parse`] then decides.
fn small_int(run: &[u8]) -> Option<i64> {
    let (negative, digits) = match run.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, run),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some(if negative { -v } else { v })
}

/// A cursor over PDF bytes.
pub struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    /// Whether `n g R` is read as a reference. Content streams have none, and
    /// looking ahead two tokens after every number (`50 800 Td`) was much of
    /// the lexer's time on a text-heavy page.
    refs: bool,
}

/// One token of a content stream: an operator, borrowed from the stream
/// (there is one per few operands, so no allocation for it), or an operand.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    Op(&'a [u8]),
    Operand(Obj),
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer {
            data,
            pos,
            refs: true,
        }
    }

    /// A lexer for a content stream or CMap: no indirect references.
    pub fn content(data: &'a [u8]) -> Self {
        Lexer {
            data,
            pos: 0,
            refs: false,
        }
    }

    /// The next content-stream token; `None` at the end or on structure too
    /// deep to follow. Operands are the objects [`Lexer::object`] reads.
    pub fn token(&mut self) -> Option<Token<'a>> {
        self.skip_ws();
        let b = self.peek()?;
        if is_ws(b) || is_delim(b) {
            if matches!(b, b')' | b'>' | b']' | b'{' | b'}') {
                let op = self.data.get(self.pos..self.pos + 1)?;
                self.pos += 1;
                return Some(Token::Op(op));
            }
            return self.object_at_depth(0).map(Token::Operand);
        }
        let run = self.regular_run();
        let numeric = b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.');
        if numeric || matches!(run, b"true" | b"false" | b"null") {
            Some(Token::Operand(self.keyword_or_number(run)))
        } else {
            Some(Token::Op(run))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_ws(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        self.data.get(start..self.pos).unwrap_or_default()
    }

    fn name(&mut self) -> Vec<u8> {
        self.pos += 1; // '/'
        let raw = self.regular_run();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while let Some(&b) = raw.get(i) {
            if b == b'#' {
                if let (Some(h), Some(l)) = (
                    raw.get(i + 1).and_then(|&c| hex_val(c)),
                    raw.get(i + 2).and_then(|&c| hex_val(c)),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            out.push(b);
            i += 1;
        }
        out
    }

    fn literal(&mut self) -> Vec<u8> {
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            // Ordinary bytes are copied a run at a time, up to the next
            // parenthesis or backslash.
            let rest = self.data.get(self.pos..).unwrap_or_default();
            let plain = memchr::memchr3(b'(', b')', b'\\', rest).unwrap_or(rest.len());
            out.extend_from_slice(rest.get(..plain).unwrap_or_default());
            self.pos += plain;
            let Some(b) = self.peek() else { break };
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(c) = self.peek() else { break };
                    self.pos += 1;
                    match c {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(c - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xFF) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        self.pos += 1; // '<'
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_val(b) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
        out
    }

    /// Reads one object (or keyword). `None` at the end of input or on
    /// structure too deep to follow.
    pub fn object(&mut self) -> Option<Obj> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> Option<Obj> {
        if depth > MAX_NESTING {
            return None;
        }
        self.skip_ws();
        let b = self.peek()?;
        match b {
            b'/' => Some(Obj::Name(self.name())),
            b'(' => Some(Obj::Str(self.literal())),
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    let mut d: Dict = Vec::new();
                    loop {
                        self.skip_ws();
                        match self.peek() {
                            None => break,
                            Some(b'>') => {
                                self.pos += 1;
                                if self.peek() == Some(b'>') {
                                    self.pos += 1;
                                }
                                break;
                            }
                            Some(b'/') => {
                                let k = self.name();
                                let v = self.object_at_depth(depth + 1)?;
                                if let Obj::Op(op) = &v {
                                    // A key without a value (malformed): keep going.
                                    if op.as_slice() == b"endobj" {
                                        break;
                                    }
                                }
                                if d.len() < MAX_ITEMS {
                                    d.push((k, v));
                                }
                            }
                            Some(_) => {
                                // Junk where a key should be: skip one token.
                                let junk = self.object_at_depth(depth + 1);
                                if junk.is_none() {
                                    break;
                                }
                            }
                        }
                    }
                    Some(Obj::Dict(d))
                } else {
                    Some(Obj::Str(self.hex_string()))
                }
            }
            b'[' => {
                self.pos += 1;
                let mut a = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => break,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) => {
                            let v = self.object_at_depth(depth + 1)?;
                            if a.len() < MAX_ITEMS {
                                a.push(v);
                            }
                        }
                    }
                }
                Some(Obj::Array(a))
            }
            b')' | b'>' | b']' | b'{' | b'}' => {
                self.pos += 1;
                Some(Obj::Op(vec![b]))
            }
            _ => {
                let run = self.regular_run();
                if run.is_empty() {
                    self.pos += 1;
                    return Some(Obj::Op(vec![b]));
                }
                Some(self.keyword_or_number(run))
            }
        }
    }

    fn keyword_or_number(&mut self, run: &[u8]) -> Obj {
        let first = run.first().copied().unwrap_or(0);
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
            // Validated only when the plain-integer path does not decide.
            let s = || std::str::from_utf8(run).unwrap_or("");
            if let Some(i) = small_int(run).or_else(|| s().parse::<i64>().ok()) {
                // `n g R` is a reference.
                if i >= 0 && self.refs {
                    let save = self.pos;
                    self.skip_ws();
                    let g = self.regular_run();
                    if let Ok(gen) = std::str::from_utf8(g).unwrap_or("").parse::<u16>() {
                        self.skip_ws();
                        if self.regular_run() == b"R" {
                            if let Ok(n) = u32::try_from(i) {
                                return Obj::Ref(n, gen);
                            }
                        }
                    }
                    self.pos = save;
                }
                return Obj::Int(i);
            }
            if let Ok(r) = s().parse::<f64>() {
                return Obj::Real(r);
            }
            // Malformed numbers such as `--5` or `1.2.3`: PDF readers take 0.
            return Obj::Real(0.0);
        }
        match run {
            b"true" => Obj::Bool(true),
            b"false" => Obj::Bool(false),
            b"null" => Obj::Null,
            _ => Obj::Op(run.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects() {
        let mut l = Lexer::new(
            b"<< /Type /Page /Kids [1 0 R 2 0 R] /N 3.5 /S (a\\(b\\)\\101) /H <4142> /X#20Y -2 >>",
            0,
        );
        let o = l.object().unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(get(d, b"Type"), Some(&Obj::Name(b"Page".to_vec())));
        assert_eq!(
            get(d, b"Kids"),
            Some(&Obj::Array(vec![Obj::Ref(1, 0), Obj::Ref(2, 0)]))
        );
        assert_eq!(get(d, b"S").and_then(Obj::as_str), Some(&b"a(b)A"[..]));
        assert_eq!(get(d, b"H").and_then(Obj::as_str), Some(&b"AB"[..]));
        assert_eq!(get(d, b"X Y"), Some(&Obj::Int(-2)));
    }

    #[test]
    fn small_ints_agree_with_the_parser() {
        for s in [
            "0",
            "7",
            "-7",
            "+7",
            "800",
            "-250",
            "123456789012345678",
            "1234567890123456789",
            "-",
            "+",
            "",
            "1.5",
            "1e3",
            "--5",
            "12a",
            "-0",
        ] {
            let fast = small_int(s.as_bytes());
            if let Some(v) = fast {
                assert_eq!(Ok(v), s.parse::<i64>(), "{s}");
            } else {
                assert!(s.len() > 18 || s.parse::<i64>().is_err(), "{s} was refused");
            }
        }
    }

    /// Content streams: operators are borrowed, numbers are never taken for
    /// `n g R` references, strings with and without escapes read whole.
    #[test]
    fn content_tokens() {
        let data =
            b"BT /F1 10 Tf 50 800 Td 1 0 R [(plain) -250 (a\\(b\\) \\101\\\n!)] TJ (x(y)z) ' ET";
        let mut l = Lexer::content(data);
        let mut toks = Vec::new();
        while let Some(t) = l.token() {
            toks.push(t);
        }
        use Token::{Op, Operand};
        assert_eq!(
            toks,
            vec![
                Op(b"BT"),
                Operand(Obj::Name(b"F1".to_vec())),
                Operand(Obj::Int(10)),
                Op(b"Tf"),
                Operand(Obj::Int(50)),
                Operand(Obj::Int(800)),
                Op(b"Td"),
                Operand(Obj::Int(1)),
                Operand(Obj::Int(0)),
                Op(b"R"),
                Operand(Obj::Array(vec![
                    Obj::Str(b"plain".to_vec()),
                    Obj::Int(-250),
                    Obj::Str(b"a(b) A!".to_vec()),
                ])),
                Op(b"TJ"),
                Operand(Obj::Str(b"x(y)z".to_vec())),
                Op(b"'"),
                Op(b"ET"),
            ]
        );
        // A file lexer still reads the reference.
        assert_eq!(Lexer::new(b"1 0 R", 0).object(), Some(Obj::Ref(1, 0)));
    }

    #[test]
    fn deep_nesting_stops() {
        let deep = vec![b'['; 100_000];
        let mut l = Lexer::new(&deep, 0);
        assert!(l.object().is_none());
    }
}
