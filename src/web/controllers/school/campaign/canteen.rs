//! The demi-pension, for the intendance (`ManageCanteen`):
//! `GET|POST /etablissements/{uai}/campagne/demi-pension`: its days and the
//! tariff grid by quotient familial, refused with a message when it has a
//! gap or an overlap (`domain::tariff_grid`); nothing is saved then.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Fields, base};
use crate::app::AppState;
use crate::db::setup;
use crate::domain::role::ManageCanteen;
use crate::domain::schooling::euros;
use crate::domain::tariff_grid::{self, Bracket};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// The days a demi-pension may run: (code, label).
pub const DAYS: [(&str, &str); 5] = [
    ("lun", "Lundi"),
    ("mar", "Mardi"),
    ("mer", "Mercredi"),
    ("jeu", "Jeudi"),
    ("ven", "Vendredi"),
];

/// Blank rows offered under the grid, to add brackets.
const BLANK_ROWS: usize = 2;

pub struct DayBox {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// A row of the grid as typed.
#[derive(Clone, Default)]
pub struct Row {
    pub n: usize,
    pub label: String,
    pub min: String,
    pub max: String,
    pub price: String,
}

#[derive(Template)]
#[template(path = "school/campaign/canteen.html")]
pub struct CanteenPage {
    pub chrome: Chrome,
    pub uai: String,
    pub days: Vec<DayBox>,
    pub rows: Vec<Row>,
    pub error: Option<String>,
}

fn day_boxes(days: &str) -> Vec<DayBox> {
    DAYS.iter()
        .map(|(code, label)| DayBox {
            code,
            label,
            checked: days.split(',').any(|d| d == *code),
        })
        .collect()
}

fn with_blank_rows(mut rows: Vec<Row>) -> Vec<Row> {
    rows.retain(|r| {
        !(r.label.is_empty() && r.min.is_empty() && r.max.is_empty() && r.price.is_empty())
    });
    for _ in 0..BLANK_ROWS {
        rows.push(Row::default());
    }
    for (n, row) in rows.iter_mut().enumerate() {
        row.n = n;
    }
    rows
}

pub async fn show(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageCanteen>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let campaign = setup::current_or_new_campaign(
        &mut tx,
        agent.school_id,
        crate::campaign::school_year_starting(),
    )
    .await?;
    let grid = setup::tariff_grid(&mut *tx, agent.school_id).await?;
    tx.commit().await?;
    let rows = grid
        .into_iter()
        .map(|b| Row {
            n: 0,
            label: b.label,
            min: b.min.to_string(),
            max: b.max.map(|m| m.to_string()).unwrap_or_default(),
            price: euros(b.price_cents).trim_end_matches(" €").to_owned(),
        })
        .collect();
    Ok(render(&CanteenPage {
        chrome,
        uai: agent.school_uai.clone(),
        days: day_boxes(&campaign.canteen_days),
        rows: with_blank_rows(rows),
        error: None,
    })?
    .into_response())
}

/// A price typed in euros (`3,45`, `3.45`, `3`) in cents.
fn cents(price: &str) -> Option<i64> {
    let price = price.trim().trim_end_matches('€').trim().replace(',', ".");
    let (units, fraction) = price.split_once('.').unwrap_or((&price, ""));
    if units.is_empty()
        || fraction.len() > 2
        || !units.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(fraction)
}

/// The rows typed, read as brackets, or the first one that cannot be read.
fn brackets(rows: &[Row]) -> Result<Vec<Bracket>, String> {
    rows.iter()
        .filter(|r| !(r.label.is_empty() && r.min.is_empty() && r.max.is_empty() && r.price.is_empty()))
        .enumerate()
        .map(|(i, r)| {
            let name = if r.label.is_empty() { format!("n° {}", i + 1) } else { format!("« {} »", r.label) };
            let min = r.min.parse::<i64>().ok().filter(|m| *m >= 0).ok_or_else(|| {
                format!("Tranche {name} : le quotient minimum doit être un nombre entier (0 pour la première).")
            })?;
            let max = if r.max.is_empty() {
                None
            } else {
                Some(r.max.parse::<i64>().ok().filter(|m| *m >= 0).ok_or_else(|| {
                    format!("Tranche {name} : le quotient maximum doit être un nombre entier, ou rester vide pour la dernière tranche.")
                })?)
            };
            let price_cents = cents(&r.price).ok_or_else(|| {
                format!("Tranche {name} : le prix d'un repas doit être un montant en euros, par exemple 3,45.")
            })?;
            Ok(Bracket {
                label: r.label.clone(),
                min,
                max,
                price_cents,
            })
        })
        .collect()
}

pub async fn update(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageCanteen>,
    chrome: Chrome,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(form);
    let days: Vec<&str> = DAYS
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| fields.0.iter().any(|(k, v)| k == "day" && v == code))
        .collect();
    let days = days.join(",");
    let rows: Vec<Row> = (0..50)
        .map(|n| Row {
            n,
            label: fields.text(&format!("label_{n}"), 100),
            min: fields.text(&format!("min_{n}"), 12),
            max: fields.text(&format!("max_{n}"), 12),
            price: fields.text(&format!("price_{n}"), 12),
        })
        .collect();
    let checked = brackets(&rows).and_then(|b| tariff_grid::check(b).map_err(|e| e.to_string()));
    let grid = match checked {
        Ok(grid) => grid,
        Err(error) => {
            let page = CanteenPage {
                chrome,
                uai: agent.school_uai.clone(),
                days: day_boxes(&days),
                rows: with_blank_rows(rows),
                error: Some(error),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    let campaign = setup::current_or_new_campaign(
        &mut tx,
        agent.school_id,
        crate::campaign::school_year_starting(),
    )
    .await?;
    setup::set_canteen_days(&mut *tx, agent.school_id, campaign.id, &days).await?;
    setup::replace_tariff_grid(&mut tx, agent.school_id, &grid).await?;
    agent
        .audit(
            &mut *tx,
            "canteen_updated",
            &format!("campaign:{}", campaign.id),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("{}/demi-pension", base(&agent)),
        Flash::success("Demi-pension enregistrée."),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_in_euros() {
        assert_eq!(cents("3,45"), Some(345));
        assert_eq!(cents("3.5"), Some(350));
        assert_eq!(cents("4"), Some(400));
        assert_eq!(cents("4 €"), Some(400));
        assert_eq!(cents("trois"), None);
        assert_eq!(cents("3,456"), None);
        assert_eq!(cents("-1"), None);
    }
}
