//! The dashboard's completion curve, drawn by the server as an inline SVG
//! (no script), with the same numbers in a table for screen readers.

use chrono::NaiveDate;

use crate::domain::completion::{self, Day};
use crate::domain::words;

/// The drawing's size, in SVG units (it scales to the page's width).
pub const WIDTH: i64 = 640;
pub const HEIGHT: i64 = 300;
const LEFT: i64 = 56;
const RIGHT: i64 = 16;
const TOP: i64 = 16;
const BOTTOM: i64 = 72;

/// A label on an axis, at `at` (x for days, y for counts).
pub struct Tick {
    pub at: i64,
    pub label: String,
}

/// One line of the table: a day in words and its numbers.
pub struct DayRow {
    pub id: String,
    pub label: String,
    pub sent: i64,
    pub sent_total: i64,
    pub validated_total: i64,
}

pub struct CompletionChart {
    pub width: i64,
    pub height: i64,
    /// Where the plot's axes are: left, right, top and bottom edges.
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub bottom: i64,
    /// `x,y x,y …` of each curve.
    pub sent_points: String,
    pub validated_points: String,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// What the chart shows, in one sentence (its description).
    pub summary: String,
    pub days: Vec<DayRow>,
}

/// The chart of the campaign over `from..=to`, or `None` when there is no
/// day to draw. `sent_at` and `validated_at` are recorded instants (Unix
/// ms) of the dossiers of pupils who stay, `staying` their number.
pub fn chart(
    opens_on: Option<&str>,
    closes_on: Option<&str>,
    today: NaiveDate,
    sent_at: &[i64],
    validated_at: &[i64],
    staying: i64,
) -> Option<CompletionChart> {
    let day = |iso: Option<&str>| iso.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let sent: Vec<NaiveDate> = sent_at
        .iter()
        .filter_map(|t| words::paris_day(*t))
        .collect();
    let validated: Vec<NaiveDate> = validated_at
        .iter()
        .filter_map(|t| words::paris_day(*t))
        .collect();
    let (from, to) = completion::span(
        day(opens_on),
        day(closes_on),
        today,
        sent.iter().chain(validated.iter()).copied(),
    )?;
    let days = completion::curve(from, to, &sent, &validated);
    Some(draw(&days, staying))
}

fn draw(days: &[Day], staying: i64) -> CompletionChart {
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let highest = days
        .iter()
        .map(|d| d.sent_total.max(d.validated_total))
        .max()
        .unwrap_or(0)
        .max(staying)
        .max(1);
    // Four steps of a round size up to the highest count.
    let step = round_step((highest + 3) / 4);
    let top_value = step * 4;
    let n = days.len() as i64;
    let x = |i: i64| {
        if n <= 1 {
            LEFT + plot_width / 2
        } else {
            LEFT + i * plot_width / (n - 1)
        }
    };
    let y = |value: i64| TOP + plot_height - value * plot_height / top_value;
    let points = |value: fn(&Day) -> i64| {
        days.iter()
            .enumerate()
            .map(|(i, d)| format!("{},{}", x(i as i64), y(value(d))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut y_ticks: Vec<Tick> = Vec::new();
    for quarter in 0..=4 {
        let value = step * quarter;
        y_ticks.push(Tick {
            at: y(value),
            label: value.to_string(),
        });
    }
    // At most 6 day labels: the first, the last and evenly between.
    let labels = n.min(6);
    let mut x_ticks: Vec<Tick> = Vec::new();
    for k in 0..labels {
        let i = if labels <= 1 {
            0
        } else {
            k * (n - 1) / (labels - 1)
        };
        if x_ticks.last().is_some_and(|t| t.at == x(i)) {
            continue;
        }
        x_ticks.push(Tick {
            at: x(i),
            label: days[i as usize].date.format("%d/%m").to_string(),
        });
    }
    let last = days.last();
    let (first_day, last_day) = (
        days.first().map(|d| french(d.date)).unwrap_or_default(),
        last.map(|d| french(d.date)).unwrap_or_default(),
    );
    let summary = format!(
        "Du {first_day} au {last_day} : {} dossier(s) envoyé(s) et {} validé(s), sur {staying} élève(s) qui restent.",
        last.map_or(0, |d| d.sent_total),
        last.map_or(0, |d| d.validated_total),
    );
    CompletionChart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: TOP + plot_height,
        sent_points: points(|d| d.sent_total),
        validated_points: points(|d| d.validated_total),
        y_ticks,
        x_ticks,
        summary,
        days: days
            .iter()
            .map(|d| DayRow {
                id: format!("jour-{}", d.date.format("%Y-%m-%d")),
                label: french(d.date),
                sent: d.sent,
                sent_total: d.sent_total,
                validated_total: d.validated_total,
            })
            .collect(),
    }
}

/// The smallest of 1, 2, 5, 10, 20, 25, 50, 100, 200, 250… that is at least
/// `at_least`.
fn round_step(at_least: i64) -> i64 {
    let mut unit = 1;
    loop {
        for step in [unit, 2 * unit, 5 * unit / 2, 5 * unit] {
            if step >= at_least {
                return step;
            }
        }
        unit *= 10;
    }
}

fn french(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::round_step;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(round_step(0), 1);
        assert_eq!(round_step(1), 1);
        assert_eq!(round_step(3), 5);
        assert_eq!(round_step(24), 25);
        assert_eq!(round_step(26), 50);
        assert_eq!(round_step(20), 20);
        assert_eq!(round_step(430), 500);
    }
}
