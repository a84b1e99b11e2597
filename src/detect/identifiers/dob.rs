//! Dates of birth. A date is only a date of birth when the text says so
//! ("DOB", "date of birth", "born", a `dob` column): this module parses and
//! checks the date itself; the context rules are in [`super::context`].
//!
//! Forms: `04/02/2016`, `4-2-16`, `04.02.2016`, `2016-02-04` (the digit
//! groups come from the candidate scanner) and `4th February 2016`,
//! `4 Feb 2016`, `February 4, 2016` (from its month-name pattern).

use crate::detect::mask::mask_keep;

/// A calendar date; `year` is `None` for a two-digit year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: Option<u16>,
    pub month: u8,
    pub day: u8,
}

/// A day, month or year field (at most four digits).
fn num(s: &[u8]) -> Option<u32> {
    super::digits_value(s).filter(|_| s.len() <= 4)
}

fn days_in_month(month: u32, year: Option<u32>) -> u32 {
    match month {
        2 => match year {
            Some(y) if !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) => 28,
            _ => 29,
        },
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Builds a date that could be someone's birth date: a real day, and a
/// four-digit year between 1900 and `this_year`.
fn make(day: u32, month: u32, year: &[u8], this_year: u16) -> Option<Date> {
    let y = num(year)?;
    let year = match year.len() {
        4 if (1900..=u32::from(this_year)).contains(&y) => Some(y),
        2 => None,
        _ => return None,
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(month, year) {
        return None;
    }
    Some(Date {
        year: year.and_then(|y| u16::try_from(y).ok()),
        month: u8::try_from(month).ok()?,
        day: u8::try_from(day).ok()?,
    })
}

/// A numeric date from its three digit groups and separator: ISO
/// `yyyy-mm-dd`, else UK `dd/mm/yy(yy)` or, failing that, US `mm/dd/yy(yy)`.
pub fn numeric(groups: [&[u8]; 3], sep: u8, this_year: u16) -> Option<Date> {
    if !matches!(sep, b'/' | b'-' | b'.') {
        return None;
    }
    let [a, b, c] = groups;
    if a.len() == 4 {
        if !(1..=2).contains(&b.len()) || !(1..=2).contains(&c.len()) {
            return None;
        }
        return make(num(c)?, num(b)?, a, this_year);
    }
    if !(1..=2).contains(&a.len()) || !(1..=2).contains(&b.len()) {
        return None;
    }
    make(num(a)?, num(b)?, c, this_year).or_else(|| make(num(b)?, num(a)?, c, this_year))
}

/// The month a (case-insensitive) English month name or abbreviation names.
pub fn month_number(word: &[u8]) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    NAMES
        .iter()
        .position(|n| {
            n.as_bytes()
                .get(..word.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(word))
        })
        .and_then(|p| u32::try_from(p + 1).ok())
}

/// A date written with a month name: `4th February 2016`, `4 Feb 2016`,
/// `04-Feb-16`, `February 4, 2016`.
pub fn with_month_name(s: &[u8], this_year: u16) -> Option<Date> {
    // Split into runs of digits and runs of letters (dropping ordinal
    // suffixes "st", "nd", "rd", "th" that follow a digit run).
    let mut digits: Vec<&[u8]> = Vec::with_capacity(2);
    let mut month = None;
    let mut i = 0;
    while i < s.len() {
        let start = i;
        let is_digit = s.get(i).is_some_and(u8::is_ascii_digit);
        let is_alpha = s.get(i).is_some_and(u8::is_ascii_alphabetic);
        while s.get(i).is_some_and(|c| {
            (is_digit && c.is_ascii_digit()) || (is_alpha && c.is_ascii_alphabetic())
        }) {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let run = s.get(start..i)?;
        if is_digit {
            digits.push(run);
        } else if month.is_none() {
            month = month_number(run);
        }
    }
    let month = month?;
    let [day, year] = digits.as_slice() else {
        return None;
    };
    if day.len() > 2 {
        return None;
    }
    make(num(day)?, month, year, this_year)
}

/// Masks a date for evidence: only a four-digit year stays visible
/// (`**/**/2016`, `2016-**-**`, `*** ******** 2016`); day and month never do.
pub fn mask(value: &str) -> String {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i - start == 4 {
            if let (Some(head), Some(year), Some(tail)) =
                (value.get(..start), value.get(start..i), value.get(i..))
            {
                return format!("{}{year}{}", mask_keep(head, 0, 0), mask_keep(tail, 0, 0));
            }
        }
        i = i.max(start + 1);
    }
    mask_keep(value, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: Option<u16>, m: u8, day: u8) -> Option<Date> {
        Some(Date {
            year: y,
            month: m,
            day,
        })
    }

    #[test]
    fn numeric_dates() {
        let g = |a: &'static str, b: &'static str, c: &'static str| {
            [a.as_bytes(), b.as_bytes(), c.as_bytes()]
        };
        assert_eq!(
            numeric(g("04", "02", "2016"), b'/', 2026),
            d(Some(2016), 2, 4)
        );
        assert_eq!(
            numeric(g("2016", "02", "04"), b'-', 2026),
            d(Some(2016), 2, 4)
        );
        assert_eq!(numeric(g("4", "2", "16"), b'.', 2026), d(None, 2, 4));
        // US order when the UK reading is impossible.
        assert_eq!(
            numeric(g("02", "24", "2016"), b'/', 2026),
            d(Some(2016), 2, 24)
        );
    }

    #[test]
    fn impossible_dates() {
        let g = |a: &'static str, b: &'static str, c: &'static str| {
            [a.as_bytes(), b.as_bytes(), c.as_bytes()]
        };
        assert_eq!(numeric(g("31", "02", "2016"), b'/', 2026), None);
        assert_eq!(numeric(g("29", "02", "2015"), b'/', 2026), None);
        assert!(numeric(g("29", "02", "2016"), b'/', 2026).is_some());
        assert_eq!(numeric(g("13", "13", "2016"), b'/', 2026), None);
        assert_eq!(numeric(g("04", "02", "2030"), b'/', 2026), None); // future
        assert_eq!(numeric(g("04", "02", "1850"), b'/', 2026), None);
        assert_eq!(numeric(g("04", "02", "2016"), b' ', 2026), None);
        assert_eq!(numeric(g("004", "02", "2016"), b'/', 2026), None);
    }

    #[test]
    fn masks_keep_only_the_year() {
        assert_eq!(mask("04/02/2016"), "**/**/2016");
        assert_eq!(mask("2016-02-04"), "2016-**-**");
        assert_eq!(mask("4th February 2016"), "*** ******** 2016");
        assert_eq!(mask("04-Feb-16"), "**-***-**");
        assert_eq!(mask("4/2/16"), "*/*/**");
    }

    #[test]
    fn month_names() {
        assert_eq!(
            with_month_name(b"4th February 2016", 2026),
            d(Some(2016), 2, 4)
        );
        assert_eq!(with_month_name(b"4 Feb 2016", 2026), d(Some(2016), 2, 4));
        assert_eq!(with_month_name(b"04-Feb-16", 2026), d(None, 2, 4));
        assert_eq!(
            with_month_name(b"February 4, 2016", 2026),
            d(Some(2016), 2, 4)
        );
        assert_eq!(
            with_month_name(b"Sept 30th 2015", 2026),
            d(Some(2015), 9, 30)
        );
        assert_eq!(with_month_name(b"31 April 2016", 2026), None);
        assert_eq!(with_month_name(b"3 November", 2026), None);
    }
}
