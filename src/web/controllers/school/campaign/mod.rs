//! The campaign's set-up screens, `/etablissements/{uai}/campagne/…`, one
//! file per screen; each takes the permission of the role that owns it
//! (secretariat and direction: dates and texts, MEF succession, pieces, the
//! ready page, next year; intendance: demi-pension; vie scolaire: exit
//! rules; options, questions: see their files). The SQL is in `db::setup`
//! and `db::offer`, the rules in `domain`.

pub mod canteen;
pub mod dates;
pub mod documents;
pub mod exit_rules;
pub mod mefs;
pub mod next_year;
pub mod options;
pub mod questions;
pub mod ready;

use crate::web::auth::CurrentAgent;

/// A submitted form: its fields in order (checkboxes may repeat a name).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The field `name`, trimmed and cut at `max` characters ("" if absent).
    pub fn text(&self, name: &str, max: usize) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().chars().take(max).collect())
            .unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }

    /// Every value of `name` that is a number.
    pub fn ids(&self, name: &str) -> Vec<i64> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    }
}

/// The base of the set-up screens' URLs for this agent's school.
pub fn base<P>(agent: &CurrentAgent<P>) -> String {
    format!("/etablissements/{}/campagne", agent.school_uai)
}
