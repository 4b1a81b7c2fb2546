//! The completion curve of a campaign: per day, from its opening to today
//! (or its closing), how many dossiers families had sent and the school had
//! validated by the end of that day. Days come from recorded instants
//! (transitions), read as Paris calendar days by the caller.

use chrono::NaiveDate;

/// The longest curve drawn: a campaign lasts weeks, never years.
pub const MAX_DAYS: usize = 366;

/// One day of the curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    /// Dossiers sent for the first time that day.
    pub sent: i64,
    /// Sent at least once by the end of the day (before the opening included).
    pub sent_total: i64,
    /// Validated by the end of the day.
    pub validated_total: i64,
}

/// The days the curve covers: from the opening (or the first event, without
/// an opening date) to the closing if it is past, else to `today`; a day
/// with an event after the closing extends it, never past `today`. `None`
/// when the campaign has not opened yet and nothing happened.
pub fn span(
    opens_on: Option<NaiveDate>,
    closes_on: Option<NaiveDate>,
    today: NaiveDate,
    events: impl IntoIterator<Item = NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    let events: Vec<NaiveDate> = events.into_iter().filter(|d| *d <= today).collect();
    let first_event = events.iter().min().copied();
    let last_event = events.iter().max().copied();
    let from = opens_on.or(first_event)?;
    let mut to = match closes_on {
        Some(closing) if closing < today => closing,
        _ => today,
    };
    if let Some(last) = last_event {
        to = to.max(last);
    }
    if from > to {
        return None;
    }
    let from = from.max(to - chrono::Days::new(MAX_DAYS as u64 - 1));
    Some((from, to))
}

/// The curve over `from..=to`: `sent` and `validated` are the days each
/// dossier was first sent or validated (one entry per dossier); earlier days
/// count on the first day, later ones are left out.
pub fn curve(
    from: NaiveDate,
    to: NaiveDate,
    sent: &[NaiveDate],
    validated: &[NaiveDate],
) -> Vec<Day> {
    let by = |days: &[NaiveDate], day: NaiveDate| days.iter().filter(|d| **d <= day).count() as i64;
    let mut days = Vec::new();
    let mut day = from;
    while day <= to && days.len() < MAX_DAYS {
        days.push(Day {
            date: day,
            sent: sent.iter().filter(|d| **d == day).count() as i64,
            sent_total: by(sent, day),
            validated_total: by(validated, day),
        });
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn the_curve_counts_what_was_sent_and_validated_by_the_end_of_each_day() {
        let sent = [day(2), day(3), day(3), day(5), day(1)];
        let validated = [day(4)];
        let days = curve(day(2), day(5), &sent, &validated);
        let totals: Vec<(i64, i64, i64)> = days
            .iter()
            .map(|d| (d.sent, d.sent_total, d.validated_total))
            .collect();
        // The day before the opening counts in the first day's total only.
        assert_eq!(totals, [(1, 2, 0), (2, 4, 0), (0, 4, 1), (1, 5, 1)]);
        assert_eq!(days[0].date, day(2));
    }

    #[test]
    fn the_span_runs_from_the_opening_to_today_or_the_past_closing() {
        assert_eq!(
            span(Some(day(2)), Some(day(20)), day(10), []),
            Some((day(2), day(10)))
        );
        assert_eq!(
            span(Some(day(2)), Some(day(5)), day(10), []),
            Some((day(2), day(5)))
        );
        // A validation after the closing extends it.
        assert_eq!(
            span(Some(day(2)), Some(day(5)), day(10), [day(7)]),
            Some((day(2), day(7)))
        );
        assert_eq!(
            span(None, None, day(10), [day(4), day(6)]),
            Some((day(4), day(10)))
        );
        assert_eq!(span(Some(day(12)), None, day(10), []), None);
        assert_eq!(span(None, None, day(10), []), None);
    }
}
