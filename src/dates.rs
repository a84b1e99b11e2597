//! Dates and times of the daemon side, in one place: the clock, the forms
//! records, exports and notices show, and the forms the commands accept.
//!
//! Everything is unix seconds in UTC inside; a value `time` cannot represent
//! is shown as its number rather than failing, because a record must always
//! be printable. (Dates inside attachments are the extractors' business.)
//!
//! Times *shown to people* (notices, digests, the self-service pages, the
//! text output of `quarantine list|show`) are in the organisation's zone
//! ([`Zone`], `[organisation] timezone`): a teacher told her email was held
//! "at 06:47 UTC" in July has to work out that it was 07:47 her time.
//! Machine forms (RFC 3339 in exports and JSON, `Date:` headers) stay UTC.

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

/// The zone used when the config names none (most users are UK schools);
/// the same as `config::DEFAULT_TIMEZONE`, which this leaf cannot import.
pub const DEFAULT_ZONE: &str = "Europe/London";

/// A time zone times are shown to people in, from the IANA database compiled
/// into the binary (jiff's bundled tzdb), so a host without tzdata still
/// shows BST in summer.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl Default for Zone {
    /// [`DEFAULT_ZONE`]; UTC if the compiled-in database lacks it.
    fn default() -> Self {
        Zone::named(DEFAULT_ZONE).unwrap_or_else(|_| Zone::utc())
    }
}

impl Zone {
    /// The IANA zone `name` (`Europe/London`, `UTC`); the error says why not.
    pub fn named(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        jiff::tz::TimeZone::get(name)
            .map(|tz| Zone {
                name: name.to_string(),
                tz,
            })
            .map_err(|e| {
                format!(
                    "unknown time zone {name:?} ({e}); use an IANA name such as \"Europe/London\""
                )
            })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn format(&self, unix: i64, fmt: &str) -> Option<String> {
        let t = jiff::Timestamp::from_second(unix).ok()?;
        let z = t.to_zoned_datetime(self.tz.clone());
        Some(z.strftime(fmt).to_string())
    }

    /// Date and time as people read it, with the zone's abbreviation and
    /// offset so nobody has to guess: `Wednesday 15 July 2026 at 07:47 BST
    /// (+01:00)`.
    pub fn human_time(&self, unix: i64) -> String {
        self.format(unix, "%A %-d %B %Y at %H:%M %Z (%:z)")
            .unwrap_or_else(|| unix.to_string())
    }

    /// Date only, in the zone: `15 July 2026`.
    pub fn human_date(&self, unix: i64) -> String {
        self.format(unix, "%-d %B %Y")
            .unwrap_or_else(|| unix.to_string())
    }

    /// Compact date and time for tables: `2026-07-15 07:47 BST`.
    pub fn short_time(&self, unix: i64) -> String {
        self.format(unix, "%Y-%m-%d %H:%M %Z")
            .unwrap_or_else(|| unix.to_string())
    }
}

/// Date as people read it, in UTC: `Monday 23 November 2026 at 06:47 UTC`.
/// (What people are shown goes through [`Zone::human_time`].)
pub fn human_time(unix: i64) -> String {
    let fmt = time::macros::format_description!(
        "[weekday] [day padding:none] [month repr:long] [year] at [hour]:[minute] UTC"
    );
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Date only, in UTC: `23 November 2026`.
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
    fn london_shows_bst_in_summer_and_gmt_in_winter() {
        let z = Zone::default();
        assert_eq!(z.name(), "Europe/London");
        // 2026-07-15 06:47:00 UTC: 07:47 in London, British Summer Time.
        let july = 1_784_098_020;
        assert_eq!(rfc3339(july), "2026-07-15T06:47:00Z");
        assert_eq!(
            z.human_time(july),
            "Wednesday 15 July 2026 at 07:47 BST (+01:00)"
        );
        assert_eq!(z.short_time(july), "2026-07-15 07:47 BST");
        // 2026-01-15 06:47:00 UTC: the same wall time as UTC, GMT.
        let january = 1_768_459_620;
        assert_eq!(rfc3339(january), "2026-01-15T06:47:00Z");
        assert_eq!(
            z.human_time(january),
            "Thursday 15 January 2026 at 06:47 GMT (+00:00)"
        );
        // Late on a summer evening UTC is already the next day in London.
        let late = 1_784_156_400; // 2026-07-15 23:00 UTC
        assert_eq!(z.human_date(late), "16 July 2026");
        assert_eq!(Zone::utc().human_date(late), "15 July 2026");
    }

    #[test]
    fn other_zones_and_bad_names() {
        let z = Zone::named("Australia/Sydney").unwrap();
        assert_eq!(
            z.human_time(1_784_098_020),
            "Wednesday 15 July 2026 at 16:47 AEST (+10:00)"
        );
        assert!(Zone::named("Europe/Londres").is_err());
        assert!(Zone::named("").is_err());
        assert_eq!(Zone::default().human_time(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn out_of_range_still_prints() {
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        assert_eq!(rfc2822(i64::MAX), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(compact_date(i64::MAX), "00000000");
        assert_eq!(human_date(i64::MAX), i64::MAX.to_string());
    }
}
