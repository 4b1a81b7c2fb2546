//! `dossier::transition`, the one way a dossier changes state, on both
//! databases: the rule, the guarded write, the record, the school's scope.

use dossiersco::domain::dossier_state::{DossierState, Event};
use dossiersco::dossier::{self, By, Move, MoveError};

use crate::builders::{GuardianBuilder, SchoolBuilder};
use crate::harness::TestApp;
use crate::on_both_databases;

async fn a_dossier_moves_only_by_the_rules_from_the_state_it_was_read_in(app: TestApp) {
    let school = SchoolBuilder::new("0750680G").build(&app).await;
    let other = SchoolBuilder::new("0750681H").build(&app).await;
    let built = school
        .pupil("MARTIN", "Léa")
        .guardian(GuardianBuilder::new("MARTIN", "Julie"))
        .state(DossierState::Started)
        .build(&app)
        .await;
    let mother = built.guardian_ids[0];
    let step = |from, event, by, school_id| Move {
        school_id,
        dossier_id: built.dossier_id,
        from,
        event,
        by,
        ip: "192.0.2.1",
        reason: "Pièce illisible",
    };
    let mut tx = app.db().begin().await.unwrap();
    // The family sends it.
    let to = dossier::transition(
        &mut tx,
        step(
            DossierState::Started,
            Event::Submit,
            By::Guardian(mother),
            school.id,
        ),
    )
    .await
    .unwrap();
    assert_eq!(to, DossierState::Submitted);
    // Read before that send: nothing is written twice.
    let again = dossier::transition(
        &mut tx,
        step(
            DossierState::Started,
            Event::Submit,
            By::Guardian(mother),
            school.id,
        ),
    )
    .await;
    assert!(matches!(again, Err(MoveError::Moved)), "{again:?}");
    // A family cannot validate; another school cannot touch it.
    let validate = dossier::transition(
        &mut tx,
        step(
            DossierState::Submitted,
            Event::Validate,
            By::Guardian(mother),
            school.id,
        ),
    )
    .await;
    assert!(
        matches!(validate, Err(MoveError::NotAllowed(_))),
        "{validate:?}"
    );
    let elsewhere = dossier::transition(
        &mut tx,
        step(
            DossierState::Submitted,
            Event::Return,
            By::Agent(1),
            other.id,
        ),
    )
    .await;
    assert!(matches!(elsewhere, Err(MoveError::Moved)), "{elsewhere:?}");
    // The school sends it back, with its reason.
    let back = dossier::transition(
        &mut tx,
        step(
            DossierState::Submitted,
            Event::Return,
            By::Agent(1),
            school.id,
        ),
    )
    .await
    .unwrap();
    assert_eq!(back, DossierState::Returned);
    tx.commit().await.unwrap();

    let (state, submitted_by, reason): (String, Option<i64>, String) =
        sqlx::query_as("SELECT state, submitted_by, return_reason FROM dossiers WHERE id = $1")
            .bind(built.dossier_id)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), submitted_by, reason.as_str()),
        ("returned", Some(mother), "Pièce illisible")
    );
    let recorded: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT from_state, to_state, actor_kind FROM dossier_transitions WHERE dossier_id = $1 ORDER BY id",
    )
    .bind(built.dossier_id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let recorded: Vec<(&str, &str, &str)> = recorded
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        recorded,
        [
            ("started", "submitted", "guardian"),
            ("submitted", "returned", "agent")
        ]
    );
    app.finish().await;
}

on_both_databases!(a_dossier_moves_only_by_the_rules_from_the_state_it_was_read_in);
