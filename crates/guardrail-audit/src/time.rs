//! Times as recorded (nanoseconds since the Unix epoch) and as people write them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339 in UTC, to the millisecond: `2026-11-24T09:30:00.123Z`.
pub fn rfc3339(nanos: i64) -> String {
    let millis = nanos.div_euclid(1_000_000) as i128 * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(millis)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| nanos.to_string())
}

/// Reads a point in time: RFC 3339 (`2026-11-24T09:30:00Z`), a date
/// (`2026-11-24`, midnight UTC), or a duration before `now` (`90s`, `15m`,
/// `2h`, `7d`).
pub fn parse(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(time.unix_timestamp_nanos() as i64);
    }
    if let Ok(date) = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")) {
        return Ok(date.midnight().assume_utc().unix_timestamp_nanos() as i64);
    }
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(number) if seconds > 0 => Ok(now - number.saturating_mul(seconds).saturating_mul(1_000_000_000)),
        _ => Err(format!(
            "cannot read {text:?} as a time: expected RFC 3339 (2026-11-24T09:30:00Z), a date (2026-11-24) \
             or a duration ago (90s, 15m, 2h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_documented_form() {
        let now = 1_795_000_000_000_000_000;
        let cases: &[(&str, i64)] = &[
            ("2026-11-24T09:30:00Z", 1_795_512_600_000_000_000),
            ("2026-11-24", 1_795_478_400_000_000_000),
            ("90s", now - 90_000_000_000),
            ("2h", now - 7_200_000_000_000),
            ("7d", now - 604_800_000_000_000),
        ];
        for &(text, expected) in cases {
            assert_eq!(parse(text, now), Ok(expected), "{text}");
        }
        for bad in ["yesterday", "5w", "", "-3h"] {
            assert!(parse(bad, now).is_err(), "{bad}");
        }
        assert_eq!(rfc3339(1_795_512_600_123_456_789), "2026-11-24T09:30:00.123Z");
    }
}
