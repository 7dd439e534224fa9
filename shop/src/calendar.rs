//! Month calendars, as the programme and the visit pass lay them out: weeks of seven days,
//! Monday first, each day of the month in its place and `None` outside the month; the weekday
//! names and the labels of days and months in the buyer's language. What a day holds is the
//! caller's (performances for the programme, an availability for a visit pass).

use chrono::{Datelike, Duration, NaiveDate};

use crate::lang::Lang;

/// `2026-12` -> 1 December 2026.
pub fn parse_month(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()
}

/// `2026-12-24` -> 24 December 2026.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The first day of `d`'s month.
pub fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("every month has a first day")
}

/// The first day of the month after `d`'s.
pub fn next_month(d: NaiveDate) -> NaiveDate {
    first_of_month(first_of_month(d) + Duration::days(32))
}

/// The weeks of `month` (any day of it), Monday first: `cell` fills each day of the month,
/// the days of the neighbouring months are `None`. Always whole weeks of seven.
pub fn weeks<T>(month: NaiveDate, mut cell: impl FnMut(NaiveDate) -> T) -> Vec<Vec<Option<T>>> {
    let first = first_of_month(month);
    let end = next_month(first);
    // Monday of the week holding the 1st, to the Sunday of the week holding the last day
    let mut day = first - Duration::days(first.weekday().num_days_from_monday() as i64);
    let mut weeks = Vec::new();
    while day < end {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            week.push((day >= first && day < end).then(|| cell(day)));
            day += Duration::days(1);
        }
        weeks.push(week);
    }
    weeks
}

/// Short and full weekday names, Monday first ("Mon", "Monday").
pub fn weekdays(locale: &str) -> Vec<(String, String)> {
    let lang = Lang::parse(locale).unwrap_or_default();
    // 1 January 2024 was a Monday
    let monday = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    (0..7)
        .map(|i| {
            let d = monday + Duration::days(i);
            (
                d.format_localized("%a", lang.chrono_locale()).to_string(),
                d.format_localized("%A", lang.chrono_locale()).to_string(),
            )
        })
        .collect()
}

/// "Friday 12 December 2026", "vendredi 12 décembre 2026", "Freitag, 12. Dezember 2026" (a
/// day's accessible name).
pub fn day_label(d: NaiveDate, locale: &str) -> String {
    let lang = Lang::parse(locale).unwrap_or_default();
    let fmt = match lang {
        Lang::De => "%A, %-d. %B %Y",
        _ => "%A %-d %B %Y",
    };
    d.format_localized(fmt, lang.chrono_locale()).to_string()
}

/// "December 2026", "décembre 2026" (as it reads in a sentence or a link).
pub fn month_name(d: NaiveDate, locale: &str) -> String {
    let lang = Lang::parse(locale).unwrap_or_default();
    d.format_localized("%B %Y", lang.chrono_locale())
        .to_string()
}

/// "Décembre 2026": the month's name as a heading (capitalised in every language).
pub fn month_title(d: NaiveDate, locale: &str) -> String {
    let s = month_name(d, locale);
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_are_whole_monday_first_with_every_day_once() {
        // February 2027 starts on a Monday and has exactly four weeks
        let feb = weeks(date(2027, 2, 14), |d| d.day());
        assert_eq!(feb.len(), 4);
        assert_eq!(feb[0][0], Some(1));
        assert_eq!(feb[3][6], Some(28));
        // a leap February starting on a Thursday, and a 31-day month over six weeks
        let leap = weeks(date(2024, 2, 1), |d| d.day());
        assert_eq!(leap[0][..3], [None, None, None]);
        assert_eq!(leap[0][3], Some(1));
        let days: Vec<u32> = leap.iter().flatten().flatten().copied().collect();
        assert_eq!(days, (1..=29).collect::<Vec<_>>());
        let aug = weeks(date(2026, 8, 31), |d| d);
        assert_eq!(aug.len(), 6);
        assert!(aug.iter().all(|w| w.len() == 7));
        assert_eq!(aug[5][0], Some(date(2026, 8, 31)));
        assert_eq!(aug[5][1], None);
        // December to January
        assert_eq!(next_month(date(2026, 12, 31)), date(2027, 1, 1));
    }

    #[test]
    fn names_in_each_language() {
        assert_eq!(weekdays("en")[0].1, "Monday");
        assert_eq!(weekdays("de")[6].1, "Sonntag");
        assert_eq!(
            day_label(date(2026, 12, 12), "de"),
            "Samstag, 12. Dezember 2026"
        );
        assert_eq!(
            day_label(date(2026, 12, 12), "fr"),
            "samedi 12 décembre 2026"
        );
        assert_eq!(month_name(date(2026, 12, 1), "fr"), "décembre 2026");
        assert_eq!(month_title(date(2026, 12, 1), "fr"), "Décembre 2026");
        assert_eq!(parse_month(" 2026-12 "), Some(date(2026, 12, 1)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_day("2026-02-30"), None);
    }
}
