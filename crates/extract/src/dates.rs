//! Dates as spreadsheets store them, turned into the `dd/mm/yyyy` UK staff
//! write and the date-of-birth detector reads: Excel serial day numbers
//! (.xlsx and .xls, with their number formats deciding which numbers are
//! dates) and ISO dates (OpenDocument's `office:date-value`).

use time::{Date, Duration, Month};

/// True when an Excel number format shows its number as a date: one of the
/// built-in date formats by id, or a custom format code with day, month or
/// year fields (`m` without `h` is a month, not minutes).
pub(super) fn is_excel_date_format(id: u32, code: Option<&str>) -> bool {
    if matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58) {
        return true;
    }
    let Some(code) = code else {
        return false;
    };
    // Drop quoted literals and [colour]/[locale] sections before looking for d/m/y.
    let mut plain = String::new();
    let (mut quoted, mut bracket) = (false, false);
    for c in code.chars() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ if !quoted && !bracket => plain.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    plain.contains('d') || plain.contains('y') || (plain.contains('m') && !plain.contains('h'))
}

/// Excel serial day number → `dd/mm/yyyy` (1900 date system, years up to
/// 9999).
pub(super) fn excel_serial_to_date(serial: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let mut days = serial.floor() as i64;
    if days < 60 {
        days += 1; // Excel's phantom 29/02/1900
    }
    let epoch = Date::from_calendar_date(1899, Month::December, 30).ok()?;
    let d = epoch.checked_add(Duration::days(days))?;
    Some(format!(
        "{:02}/{:02}/{:04}",
        d.day(),
        u8::from(d.month()),
        d.year()
    ))
}

/// ISO `2010-02-04[T...]` → `04/02/2010`.
pub(super) fn iso_to_uk_date(iso: &str) -> Option<String> {
    let d = iso.get(..10)?;
    let (y, m, day) = (d.get(..4)?, d.get(5..7)?, d.get(8..10)?);
    if [y, m, day]
        .iter()
        .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(format!("{day}/{m}/{y}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_dates() {
        assert_eq!(excel_serial_to_date(40213.0).as_deref(), Some("04/02/2010"));
        assert_eq!(excel_serial_to_date(1.0).as_deref(), Some("01/01/1900"));
        assert_eq!(excel_serial_to_date(59.0).as_deref(), Some("28/02/1900"));
        assert_eq!(excel_serial_to_date(61.0).as_deref(), Some("01/03/1900"));
        assert_eq!(
            excel_serial_to_date(40213.75).as_deref(),
            Some("04/02/2010")
        );
        assert_eq!(
            excel_serial_to_date(2_958_465.0).as_deref(),
            Some("31/12/9999")
        );
        assert_eq!(excel_serial_to_date(0.5), None);
        assert_eq!(excel_serial_to_date(2_958_466.0), None);
        assert_eq!(excel_serial_to_date(f64::NAN), None);
        assert!(is_excel_date_format(14, None));
        assert!(is_excel_date_format(164, Some("dd/mm/yyyy")));
        assert!(is_excel_date_format(164, Some("mmm-yy")));
        assert!(!is_excel_date_format(164, Some("h:mm")));
        assert!(!is_excel_date_format(164, Some("0.00")));
        assert!(!is_excel_date_format(164, Some("[Red]0.00")));
        assert!(!is_excel_date_format(164, Some("0 \"days\"")));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_to_uk_date("2010-02-04").as_deref(), Some("04/02/2010"));
        assert_eq!(
            iso_to_uk_date("2010-02-04T00:00:00").as_deref(),
            Some("04/02/2010")
        );
        assert_eq!(iso_to_uk_date("2010-2-4"), None);
        assert_eq!(iso_to_uk_date("20x0-02-04"), None);
    }
}
