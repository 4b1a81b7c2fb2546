//! Reviewing only what changed (issue 13): the dossier list for a large
//! school (filters, search, sort, pages, bulk actions), the decisions on
//! each change, the timeline.

mod decisions;
mod demo;
mod list;
mod timeline;

use dossiersco::db::now_ms;
use dossiersco::domain::Role;
use dossiersco::domain::dossier_state::DossierState;

use crate::builders::{AGENT_PASSWORD, BuiltSchool, GuardianBuilder, SchoolBuilder};
use crate::harness::TestApp;

pub const UAI: &str = "0750680G";
pub const AGENT: &str = "secretariat@voisin.fr";

/// A dossier of the review school.
pub struct Pupil {
    pub dossier_id: i64,
    pub guardian_id: i64,
}

/// A school with, in 4A: three dossiers sent without a change (MARTIN Léa,
/// LEFÈVRE Chloé with an INE, BERNARD Jules), one sent with a change of the
/// pupil's first name (DURAND Inès), one started (PETIT Tom), one validated
/// (ROBERT Léo); in 5C, `others` dossiers not started (ELEVE001…).
pub struct ReviewSchool {
    pub unchanged: Vec<Pupil>,
    pub changed: Pupil,
    pub started: Pupil,
    pub validated: Pupil,
}

async fn pupil(
    app: &TestApp,
    school: &BuiltSchool,
    last: &str,
    first: &str,
    division: &str,
    state: DossierState,
) -> Pupil {
    let built = school
        .pupil(last, first)
        .division(division)
        .guardian(GuardianBuilder::new(last, "Parent"))
        .state(state)
        .build(app)
        .await;
    let guardian_id = built.guardian_ids[0];
    if matches!(state, DossierState::Submitted | DossierState::Validated) {
        sqlx::query("UPDATE dossiers SET submitted_by = $2, submitted_at = $3 WHERE id = $1")
            .bind(built.dossier_id)
            .bind(guardian_id)
            .bind(now_ms())
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    Pupil {
        dossier_id: built.dossier_id,
        guardian_id,
    }
}

/// A change of the pupil's `field` by its guardian.
pub async fn change(app: &TestApp, p: &Pupil, field: &str, old: &str, new: &str) {
    sqlx::query(
        "INSERT INTO pupil_changes (dossier_id, guardian_id, field, siecle_value, new_value, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(p.dossier_id)
    .bind(p.guardian_id)
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(now_ms())
    .execute(app.db().pool())
    .await
    .unwrap();
}

pub async fn review_school(app: &TestApp, others: usize) -> ReviewSchool {
    let school = SchoolBuilder::new(UAI).build(app).await;
    school.agent(app, AGENT, Role::Secretariat).await;
    let submitted = DossierState::Submitted;
    let mut unchanged = Vec::new();
    for (last, first) in [
        ("MARTIN", "Léa"),
        ("LEFÈVRE", "Chloé"),
        ("BERNARD", "Jules"),
    ] {
        unchanged.push(pupil(app, &school, last, first, "4A", submitted).await);
    }
    sqlx::query("UPDATE pupils SET ine = '123456789AB' WHERE last_name = 'LEFÈVRE'")
        .execute(app.db().pool())
        .await
        .unwrap();
    let changed = pupil(app, &school, "DURAND", "Inès", "4A", submitted).await;
    change(app, &changed, "first_name", "Inès", "Ines").await;
    let started = pupil(app, &school, "PETIT", "Tom", "4A", DossierState::Started).await;
    let validated = pupil(app, &school, "ROBERT", "Léo", "4A", DossierState::Validated).await;
    for n in 1..=others {
        pupil(
            app,
            &school,
            &format!("ELEVE{n:03}"),
            "Prénom",
            "5C",
            DossierState::NotStarted,
        )
        .await;
    }
    ReviewSchool {
        unchanged,
        changed,
        started,
        validated,
    }
}

pub async fn state_of(app: &TestApp, dossier_id: i64) -> String {
    sqlx::query_scalar("SELECT state FROM dossiers WHERE id = $1")
        .bind(dossier_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

pub async fn sign_in(app: &TestApp) {
    let signed_in = app.sign_in_agent(AGENT, AGENT_PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
}

/// A second change of `p`'s dossier: its guardian's e-mail.
pub async fn change_email(app: &TestApp, p: &Pupil) {
    sqlx::query(
        "INSERT INTO guardian_changes (guardian_id, field, siecle_value, new_value, changed_at)
         VALUES ($1, 'email', 'parent.durand@exemple.fr', 'nouvelle@exemple.fr', $2)",
    )
    .bind(p.guardian_id)
    .bind(now_ms())
    .execute(app.db().pool())
    .await
    .unwrap();
}
