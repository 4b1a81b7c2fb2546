//! The demo collège: synthetic pupils, guardians, MEF, options, expected
//! documents and one agent per role, created idempotently by
//! `dossiersco demo` (and by tests that want a populated school).

use std::fmt::Write;

use crate::app::AppState;
use crate::auth::passwords::hash_password;
use crate::db::{Tx, schools};
use crate::domain::{Role, RoleSet, Uai};
use crate::team;

mod families;
mod names;
mod school;
mod states;

/// The password of every demo agent (printed by the demo; demo data only).
pub const DEMO_PASSWORD: &str = "demo-dossiersco";
pub const DEMO_UAI_PREFIX: &str = "0759999";

/// What the demo created, to print.
#[derive(Debug)]
pub struct Seeded {
    pub uai: String,
    pub school_name: String,
    pub pupils: i64,
    pub agents: Vec<(Role, String)>,
    /// (who, access code, child(ren) and birth date)
    pub families: Vec<(String, String, String)>,
}

pub fn demo_uai() -> String {
    let key = Uai::key_for(DEMO_UAI_PREFIX).expect("7 digits");
    format!("{DEMO_UAI_PREFIX}{key}")
}

/// Creates or refreshes the demo collège with every dossier not started (as
/// families find it on the first day: the tests and the load scenario start
/// from it); safe to run again.
pub async fn seed(state: &AppState) -> anyhow::Result<Seeded> {
    seed_with(state, None, false).await
}

/// The demo collège of `dossiersco demo`: this year's dossiers in every
/// state (`states.rs`), so the back-office has something to show; safe to
/// run again (states are seeded once, with the school).
pub async fn seed_in_every_state(state: &AppState) -> anyhow::Result<Seeded> {
    seed_with(state, None, true).await
}

/// The demo collège with about `pupils` pupils (the demo has about 100) and
/// dossiers in every state, for benchmarks (`examples/review_bench.rs`).
pub async fn seed_sized(state: &AppState, pupils: i64) -> anyhow::Result<Seeded> {
    seed_with(state, Some(pupils), true).await
}

async fn seed_with(
    state: &AppState,
    pupils: Option<i64>,
    in_every_state: bool,
) -> anyhow::Result<Seeded> {
    let uai = demo_uai();
    let school_name = "Collège Lucie Aubrac (démonstration)".to_string();
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let mut tx = state.db.begin().await?;
    let school_id = schools::upsert(&mut *tx, &uai, &school_name, "Paris", "01").await?;
    let mut demo_agents = Vec::new();
    for (role, name, email) in [
        (
            Role::Admin,
            "Claire Fontaine",
            "direction@demo.dossiersco.fr",
        ),
        (
            Role::Secretariat,
            "Karim Belkacem",
            "secretariat@demo.dossiersco.fr",
        ),
        (
            Role::Intendance,
            "Sophie Marchand",
            "intendance@demo.dossiersco.fr",
        ),
        (Role::VieScolaire, "Julien Perrin", "cpe@demo.dossiersco.fr"),
        (
            Role::Infirmerie,
            "Amina Saïdi",
            "infirmerie@demo.dossiersco.fr",
        ),
    ] {
        team::upsert_agent_with_password(
            &mut tx,
            school_id,
            email,
            name,
            RoleSet::of(&[role]),
            &password_hash,
        )
        .await?;
        demo_agents.push((role, email.to_string()));
    }
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut *tx)
        .await?;
    if existing == 0 {
        seed_school(&mut tx, school_id, pupils).await?;
    }
    school::seed_school_settings(&mut tx, school_id).await?;
    let year = crate::campaign::school_year_starting();
    let campaign_id: i64 =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE school_id = $1 AND school_year = $2")
            .bind(school_id)
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
    if existing == 0 {
        families::seed_last_year(&mut tx, school_id, year).await?;
        if in_every_state {
            states::seed_states(state, &mut tx, school_id, campaign_id).await?;
        }
    }
    if in_every_state {
        states::seed_return_file_settings(&mut tx, school_id, campaign_id, year).await?;
    }
    let families = families::issue_demo_codes(state, &mut tx, school_id).await?;
    let pupils: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Seeded {
        uai,
        school_name,
        pupils,
        agents: demo_agents,
        families,
    })
}

async fn seed_school(tx: &mut Tx, school_id: i64, pupils: Option<i64>) -> anyhow::Result<()> {
    let year = crate::campaign::school_year_starting();
    let configured = school::seed_configuration(tx, school_id, year).await?;
    families::seed_families(tx, school_id, year, &configured, pupils).await
}

fn french_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

/// What `dossiersco demo` prints.
pub fn banner(base: &str, seeded: &Seeded) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nDossierSCO — démonstration prête : {} ({}), {} élèves\n",
        seeded.school_name, seeded.uai, seeded.pupils
    );
    let _ = writeln!(out, "  Accueil             {base}/");
    let _ = writeln!(out, "  Espace familles     {base}/famille/connexion");
    let _ = writeln!(out, "  Espace agents       {base}/agent/connexion");
    let _ = writeln!(out, "  Boîte d'envoi       {base}/outbox");
    let _ = writeln!(out, "\nAgents (mot de passe pour tous : {DEMO_PASSWORD})");
    for (role, email) in &seeded.agents {
        let _ = writeln!(out, "  {:<22} {email}", role.label());
    }
    let _ = writeln!(
        out,
        "\nFamilles (code personnel + date de naissance de l'enfant)"
    );
    for (who, code, children) in &seeded.families {
        let _ = writeln!(out, "  {who}\n      code {code} — {children}");
    }
    let _ = writeln!(out, "\nArrêt : Ctrl-C.\n");
    out
}
