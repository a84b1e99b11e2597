//! Dates and times of the daemon side, in one place: the clock, the forms
//! records, exports and notices show, and the forms the commands accept.
//!
//! Everything is unix seconds in UTC inside; a value `time` cannot represent
//! is shown as its number rather than failing, because a record must always
//! be printable. (Dates inside attachments are the extractors' business.)

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::OffsetDateTime;

/// Seconds in a day (retention periods and date ranges are whole days).
pub const DAY: i64 = 86_400;

/// The current time, unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 in UTC, for messages and exports.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// RFC 2822 (a mail `Date:` header); the epoch's when `unix` is out of range,
/// because a header must still be well formed.
pub fn rfc2822(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc2822).ok())
        .unwrap_or_else(|| "Thu, 01 Jan 1970 00:00:00 +0000".into())
}

/// `YYYYMMDD` (reference ids carry the day they were made); zeros when
/// `unix` is out of range.
pub fn compact_date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_else(|_| "00000000".into())
}

/// Parses `YYYY-MM-DD` (midnight UTC; with `end_of_day`, the midnight after)
/// or an RFC 3339 time, to unix seconds.
pub fn parse_when(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    let t = d.midnight().assume_utc().unix_timestamp();
    Some(if end_of_day { t + DAY } else { t })
}

/// Date as people read it: `Monday 23 November 2026 at 06:47 UTC`.
pub fn human_time(unix: i64) -> String {
    let fmt = time::macros::format_description!(
        "[weekday] [day padding:none] [month repr:long] [year] at [hour]:[minute] UTC"
    );
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Date only: `23 November 2026`.
pub fn human_date(unix: i64) -> String {
    let fmt = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_when("2026-11-23", false), Some(1_795_392_000));
        assert_eq!(parse_when("2026-11-23", true), Some(1_795_392_000 + DAY));
        assert_eq!(
            parse_when("2026-11-23T01:00:00Z", true),
            Some(1_795_395_600)
        );
        assert_eq!(parse_when("yesterday", false), None);
    }

    #[test]
    fn every_form_of_one_instant() {
        let t = 1_795_416_420; // 2026-11-23 06:47 UTC, a Monday
        assert_eq!(rfc3339(t), "2026-11-23T06:47:00Z");
        assert_eq!(rfc2822(t), "Mon, 23 Nov 2026 06:47:00 +0000");
        assert_eq!(compact_date(t), "20261123");
        assert_eq!(human_time(t), "Monday 23 November 2026 at 06:47 UTC");
        assert_eq!(human_date(t), "23 November 2026");
    }

    #[test]
    fn out_of_range_still_prints() {
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        assert_eq!(rfc2822(i64::MAX), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(compact_date(i64::MAX), "00000000");
        assert_eq!(human_date(i64::MAX), i64::MAX.to_string());
    }
}
