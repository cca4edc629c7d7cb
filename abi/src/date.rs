//! Calendar days: `Date` as a count of days since 1970-01-01 (proleptic
//! Gregorian), with conversion to and from year, month and day.
//!
//! Invariant: only years 1..=9999 exist, so every `Date` converts both ways
//! and prints as `YYYY-MM-DD`.

use std::fmt;

/// Smallest and largest year a `Date` can hold.
pub const YEAR_MIN: i32 = 1;
pub const YEAR_MAX: i32 = 9999;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The date of a calendar day, if it exists (`2024-02-30` does not).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i32 {
        self.0
    }

    /// The date `days` after 1970-01-01, if within the year range.
    pub fn from_days(days: i32) -> Option<Date> {
        // Far outside years 1..=9999 the calendar arithmetic would
        // overflow; such counts are never dates.
        if days.unsigned_abs() > 4_000_000 {
            return None;
        }
        let (year, _, _) = civil_from_days(days);
        (YEAR_MIN..=YEAR_MAX).contains(&year).then_some(Date(days))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The date `n` days later (earlier if negative), if it exists.
    pub fn add_days(self, n: i64) -> Option<Date> {
        let days = i64::from(self.0).checked_add(n)?;
        Date::from_days(i32::try_from(days).ok()?)
    }

    /// The calendar day of a moment given in seconds since 1970 (UTC).
    pub fn from_timestamp(seconds: u64) -> Option<Date> {
        Date::from_days(i32::try_from(seconds / 86_400).ok()?)
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to a civil date, counting 400-year eras of
/// 146 097 days with March as the first month (so leap days fall last).
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let m = month as i32;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of `days_from_civil`.
fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl std::str::FromStr for Date {
    type Err = String;

    fn from_str(text: &str) -> Result<Date, String> {
        let bad =
            || format!("`{text}` is not a date of the form YYYY-MM-DD between 0001-01-01 and 9999-12-31");
        let mut parts = text.splitn(3, '-');
        let mut next = || parts.next().filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let (Some(y), Some(m), Some(d)) = (next(), next(), next()) else { return Err(bad()) };
        let (y, m, d) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        Date::from_ymd(y, m, d).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_far_outside_the_calendar_are_not_dates() {
        // Found by the encoding property test: these overflowed the
        // calendar arithmetic instead of being refused.
        for days in [i32::MAX, i32::MAX - 719_000, i32::MIN, 4_000_001, -4_000_001] {
            assert_eq!(Date::from_days(days), None, "{days}");
        }
        assert_eq!(
            Date::from_ymd(9999, 12, 31).map(|d| Date::from_days(d.days())),
            Some(Date::from_ymd(9999, 12, 31))
        );
        assert_eq!(Date::from_ymd(1, 1, 1).and_then(|d| Date::from_days(d.days())), Date::from_ymd(1, 1, 1));
    }

    // Known days: the epoch, a leap day, the last representable day.
    #[test]
    fn known_dates() {
        assert_eq!(Date::from_ymd(1970, 1, 1).map(Date::days), Some(0));
        assert_eq!(Date::from_ymd(2000, 3, 1).map(Date::days), Some(11_017));
        assert_eq!(Date::from_ymd(2024, 2, 29).map(|d| d.to_string()), Some("2024-02-29".into()));
        assert_eq!(Date::from_ymd(2023, 2, 29), None);
        assert_eq!(Date::from_ymd(1900, 2, 29), None);
        assert_eq!(
            Date::from_ymd(2024, 12, 31).and_then(|d| d.add_days(1)).map(|d| d.to_string()),
            Some("2025-01-01".into())
        );
        assert_eq!(Date::from_ymd(9999, 12, 31).and_then(|d| d.add_days(1)), None);
        assert_eq!("2024-13-01".parse::<Date>().ok(), None);
    }

    // Every day of the supported range converts to y/m/d and back.
    #[test]
    fn every_day_round_trips() {
        let first = Date::from_ymd(YEAR_MIN, 1, 1).map_or(0, Date::days);
        let last = Date::from_ymd(YEAR_MAX, 12, 31).map_or(0, Date::days);
        let mut previous = (0, 12, 31);
        for days in first..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((y, m, d) > previous);
            previous = (y, m, d);
        }
    }
}
