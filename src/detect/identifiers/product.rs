//! Product and part codes. Two letters, six digits and a letter is the shape
//! of a NINO and also of countless model numbers (Seagate's `ST320014A`,
//! `ST340810A`): a price list of hard disks is not a payroll. What tells
//! them apart without an "NI" keyword is the company a code keeps: a model
//! number sits among other model numbers and specifications (`WD400EB`,
//! `40GB`, `UDMA100`, `5400rpm`), a NINO among names, dates and prose.
//!
//! Only the lines around the candidate are read (never the whole text), and
//! only for an unspaced NINO with no keyword of its own: product codes are
//! never written `JT 48 22 91 B`, and a NINO next to "NI" is a NINO whatever
//! surrounds it.

/// Bytes read on either side of a priced candidate for the words of a price
/// list or of a payroll (a letter's paragraph or two).
const VOCAB_WINDOW: usize = 1500;

/// The `[price]` and `[payroll]` lists of `price_list_words.txt`.
struct Vocab {
    price: Vec<&'static str>,
    payroll: Vec<&'static str>,
}

fn vocab() -> &'static Vocab {
    static VOCAB: std::sync::OnceLock<Vocab> = std::sync::OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut v = Vocab {
            price: Vec::new(),
            payroll: Vec::new(),
        };
        let mut section = "";
        for line in include_str!("price_list_words.txt").lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name;
                continue;
            }
            match section {
                "price" => v.price.push(line),
                "payroll" => v.payroll.push(line),
                _ => {}
            }
        }
        v
    })
}

/// True when the NINO-shaped token at `start..end` heads a line of a price
/// list: its own line and a neighbouring line each carry a NINO-shaped code
/// and a price, and the text around talks of prices or orders and nowhere of
/// pay, staff or tax. The codes of such a list all have the NINO's shape, so
/// [`among_codes`] (which does not count other NINO shapes) cannot tell it;
/// the prices and the words can. A payroll, the one list of NI numbers with
/// amounts, always names itself (pay, salary, tax code, NI) and stays as it is.
pub fn in_price_list(text: &[u8], start: usize, end: usize) -> bool {
    let (lo, hi) = lines_around(text, start, end);
    let own = line_at(text, start);
    if !priced(text.get(own.0..own.1).unwrap_or_default()) {
        return false;
    }
    let neighbours = text
        .get(lo..hi)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .filter(|line| {
            let l = line.trim_ascii();
            l.get(..9).is_some_and(|head| {
                <[u8; 9]>::try_from(head).is_ok_and(|h| super::nino::is_shape(&h))
            }) && l != text.get(own.0..own.1).unwrap_or_default().trim_ascii()
                && priced(l)
        })
        .count();
    if neighbours == 0 {
        return false;
    }
    let wlo = start.saturating_sub(VOCAB_WINDOW);
    let whi = end.saturating_add(VOCAB_WINDOW).min(text.len());
    let window = text.get(wlo..whi).unwrap_or_default().to_ascii_lowercase();
    let v = vocab();
    v.price.iter().any(|w| has_word(&window, w)) && !v.payroll.iter().any(|w| has_word(&window, w))
}

/// The line holding `pos`, without its line break.
fn line_at(text: &[u8], pos: usize) -> (usize, usize) {
    let before = text.get(..pos).unwrap_or_default();
    let lo = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    let after = text.get(pos..).unwrap_or_default();
    let hi = memchr::memchr(b'\n', after).map_or(text.len(), |p| pos + p);
    (lo, hi)
}

/// A price on the line: a currency sign (`£`, `$`, `€`) before a digit, or a
/// currency code (`GBP`, `EUR`, `USD`) beside a number.
fn priced(line: &[u8]) -> bool {
    let sign_then_digit = |sign: &[u8]| {
        memchr::memmem::find_iter(line, sign).any(|i| {
            let rest = line.get(i + sign.len()..).unwrap_or_default();
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            rest.first().is_some_and(u8::is_ascii_digit)
        })
    };
    let lower = line.to_ascii_lowercase();
    sign_then_digit("£".as_bytes())
        || sign_then_digit(b"$")
        || sign_then_digit("€".as_bytes())
        || ["gbp", "eur", "usd"].iter().any(|c| has_word(&lower, c))
}

/// `word` in `hay` (both lower case) with no letter or digit on either side.
fn has_word(hay: &[u8], word: &str) -> bool {
    memchr::memmem::find_iter(hay, word.as_bytes()).any(|i| {
        let left = i.checked_sub(1).and_then(|j| hay.get(j));
        let right = hay.get(i + word.len());
        left.is_none_or(|b| !b.is_ascii_alphanumeric())
            && right.is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

/// Bytes looked at on either side of the candidate, within the line before,
/// its own line and the line after (a price list is one product per line).
const WINDOW: usize = 200;

/// Other codes in the window that make the candidate one of a list.
const MIN_CODES: usize = 2;

/// True when the NINO-shaped token at `start..end` stands among other
/// product or part codes.
pub fn among_codes(text: &[u8], start: usize, end: usize) -> bool {
    let (lo, hi) = lines_around(text, start, end);
    let Some(window) = text.get(lo..hi) else {
        return false;
    };
    let mut codes = 0;
    let mut i = 0;
    while i < window.len() {
        if !window.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
            continue;
        }
        let s = i;
        while window.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        let at = lo + s;
        if (at < start || at >= end) && is_code(window, s, i) {
            codes += 1;
            if codes >= MIN_CODES {
                return true;
            }
        }
    }
    false
}

/// From the start of the line before `start` to the end of the line after
/// `end`, each side capped at [`WINDOW`] bytes.
fn lines_around(text: &[u8], start: usize, end: usize) -> (usize, usize) {
    let floor = start.saturating_sub(WINDOW);
    let ceil = end.saturating_add(WINDOW).min(text.len());
    let before = text.get(floor..start).unwrap_or_default();
    let lo = match memchr::memrchr(b'\n', before) {
        Some(nl) => {
            let prev = before.get(..nl).unwrap_or_default();
            floor + memchr::memrchr(b'\n', prev).map_or(0, |p| p + 1)
        }
        None => floor,
    };
    let after = text.get(end..ceil).unwrap_or_default();
    let hi = match memchr::memchr(b'\n', after) {
        Some(nl) => {
            let next = after.get(nl + 1..).unwrap_or_default();
            end + nl + 1 + memchr::memchr(b'\n', next).unwrap_or(next.len())
        }
        None => ceil,
    };
    (lo, hi)
}

/// Is `w[s..e]` (a run of ASCII letters and digits) a model number or a
/// specification: at least two letters and two digits, and none of the
/// mixed tokens prose and school mail are full of (ordinals, times, year
/// groups, postcodes, tax codes, other NINOs, e-mail addresses).
fn is_code(w: &[u8], s: usize, e: usize) -> bool {
    let Some(t) = w.get(s..e) else {
        return false;
    };
    let letters = t.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = t.len() - letters;
    if letters < 2 || digits < 2 {
        return false;
    }
    // Part of an e-mail address or a web address.
    if in_address(w, s, e) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    let digit_run = lower.iter().take_while(|b| b.is_ascii_digit()).count();
    let (num, unit) = lower.split_at(digit_run);
    // 12th, 21st, 10am, 3pm: a date or a time.
    if !num.is_empty() && matches!(unit, b"st" | b"nd" | b"rd" | b"th" | b"am" | b"pm") {
        return false;
    }
    // Yr10, Y11, Year10: a year group.
    let alpha_run = lower.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (word, rest) = lower.split_at(alpha_run);
    if matches!(word, b"y" | b"yr" | b"year") && rest.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Another NINO (a list of them is a payroll, not a price list).
    if let Ok(nine) = <[u8; 9]>::try_from(t) {
        if super::nino::is_shape(&nine) {
            return false;
        }
    }
    // A postcode's outward code before its inward code: SW19 7AE, LS12 3AB.
    !(word.len() <= 2 && rest.len() <= 2 && inward_code_follows(w, e))
}

/// Is `w[s..e]` part of a whitespace-delimited word that is an e-mail or web
/// address (`a.khan22@mail.com`, `www.site22.org/page10`, `https://…`)?
fn in_address(w: &[u8], s: usize, e: usize) -> bool {
    let blank = |b: &u8| b.is_ascii_whitespace() || *b == b'<' || *b == b'>';
    let from = w
        .get(..s)
        .and_then(|b| b.iter().rposition(blank))
        .map_or(0, |p| p + 1);
    let to = w
        .get(e..)
        .and_then(|a| a.iter().position(blank))
        .map_or(w.len(), |p| e + p);
    let word = w.get(from..to).unwrap_or_default();
    word.contains(&b'@')
        || memchr::memmem::find(word, b"://").is_some()
        || word.to_ascii_lowercase().starts_with(b"www.")
}

/// ` 7AE`: a space, a digit and two letters, then the end of the word.
fn inward_code_follows(w: &[u8], e: usize) -> bool {
    matches!(
        w.get(e..e + 4),
        Some([b' ', d, a, b]) if d.is_ascii_digit() && a.is_ascii_alphabetic() && b.is_ascii_alphabetic()
    ) && w.get(e + 4).is_none_or(|b| !b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(text: &str, code: &str) -> bool {
        let s = text.find(code).unwrap();
        among_codes(text.as_bytes(), s, s + code.len())
    }

    #[test]
    fn hard_disk_price_list() {
        let t = "Seagate U7 ST320014A  20.4GB/UDMA 100/2M/5400rpm/IDE/3.5\"  200\r\n\
                 U6 ST340810A  40GB/UDMA 100/2M/5400rpm/IDE/3.5\"  280\r\n\
                 ST340016A  40.8GB/UDMA100/2MB/7200rpm/IDE/3.5\" 300\r\n";
        assert!(listed(t, "ST320014A"));
        assert!(listed(t, "ST340810A"));
        assert!(listed(t, "ST340016A"));
    }

    #[test]
    fn part_number_column() {
        let t = "Part no    Description        Price\n\
                 WD400EB    40GB IDE drive     £45.00\n\
                 ST340810A  40GB IDE drive     £42.00\n\
                 HDS72105   500GB SATA         £60.00\n";
        assert!(listed(t, "ST340810A"));
    }

    #[test]
    fn ninos_in_prose_and_payroll_are_not_codes() {
        assert!(!listed(
            "Hi Sam, new starter Priya Shah JT482291B starts on the 12th at 10am in Y10.",
            "JT482291B"
        ));
        // A list of NINOs with tax codes: other NINOs and tax codes are not product codes.
        assert!(!listed(
            "Priya Shah JT482291B 1257L\r\nAmir Khan AB123456C 1257L\r\nJo Bell CE654321D K475\r\n",
            "AB123456C"
        ));
        // Postcodes, e-mail addresses and web links around a NINO.
        assert!(!listed(
            "Mrs A Khan, 4 Mill Lane, Leeds LS12 3AB. JT482291B. Reply to a.khan22@mail.com or see www.site22.org/page10",
            "JT482291B"
        ));
    }

    fn priced_listed(text: &str, code: &str) -> bool {
        let s = text.find(code).unwrap();
        in_price_list(text.as_bytes(), s, s + code.len())
    }

    #[test]
    fn a_price_list_of_nino_shaped_codes() {
        for eol in ["\n", "\r\n"] {
            let t = format!(
                "Please find our updated price list below (ex VAT):{eol}{eol}\
                 MK981385D  HDMI cable 3m  £63.30{eol}\
                 NH747187D  Chromebook charger 45W  £117.40{eol}\
                 NR958707A  Toner cartridge black  £100.54{eol}{eol}\
                 Order online or reply to this email.{eol}"
            );
            for code in ["MK981385D", "NH747187D", "NR958707A"] {
                assert!(priced_listed(&t, code), "{code} {eol:?}");
            }
        }
        // Dollar prices and a quotation.
        let t =
            "Quotation 2291\nAB123456C  Label printer  $129.00\nCE654321D  Labels x500  $18.50\n";
        assert!(priced_listed(t, "AB123456C"));
    }

    #[test]
    fn payrolls_and_lone_ninos_with_amounts_are_not_price_lists() {
        // A payroll names itself: pay, salary, tax code, NI, staff.
        let t = "Payroll for March (order of payment below):\n\
                 MK981385D  Amelia Jones  £1,063.30\n\
                 NH747187D  Wei Zhang  £1,117.40\n";
        assert!(!priced_listed(t, "MK981385D"));
        let t = "Staff list with prices of the trip:\nMK981385D  Amelia Jones  £63.30\nNH747187D  Wei Zhang  £63.30\n";
        assert!(!priced_listed(t, "MK981385D"));
        // No neighbouring priced code: one NINO next to a price is not a list.
        let t = "Price of the trip £20. Amelia's number is MK981385D  £20 paid\n\nThanks\n";
        assert!(!priced_listed(t, "MK981385D"));
        // Codes with prices, but nothing says price list or order.
        let t = "MK981385D  Amelia Jones  £63.30\nNH747187D  Wei Zhang  £117.40\n";
        assert!(!priced_listed(t, "MK981385D"));
        // A list without prices.
        let t = "Price list to follow.\nMK981385D  Amelia Jones\nNH747187D  Wei Zhang\n";
        assert!(!priced_listed(t, "MK981385D"));
    }

    #[test]
    fn only_neighbouring_lines_count() {
        let far = "WD400EB 40GB UDMA100\n\n\nline\nline\nJT482291B\nline\n";
        assert!(!listed(far, "JT482291B"));
        let near = "WD400EB 40GB UDMA100\nJT482291B\n";
        assert!(listed(near, "JT482291B"));
    }
}
