//! `POST /etablissements/{uai}/courriels-de-test`: sends a test e-mail to the
//! agent through the job queue, to check the mail settings.

use axum::extract::State;
use axum::response::Response;

use crate::app::AppState;
use crate::db::agents;
use crate::domain::role::ManageSchool;
use crate::jobs;
use crate::mail::{Email, SendEmailJob};
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};

pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
) -> Result<Response, AppError> {
    let me = agents::find(state.db.pool(), agent.agent_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let email = Email {
        to: me.email.clone(),
        subject: "DossierSCO : courriel de test".into(),
        body_text: format!(
            "Bonjour {},\n\nCe courriel de test confirme que DossierSCO peut vous écrire.\n\n{} ({})\n",
            me.display_name, agent.school_name, agent.school_uai
        ),
    };
    let mut tx = state.db.begin().await?;
    let job_id = jobs::enqueue(
        &mut *tx,
        &SendEmailJob::new(email),
        None,
        Some(agent.school_id),
    )
    .await?;
    agent
        .audit(&mut *tx, "test_email_requested", &format!("job:{job_id}"))
        .await?;
    tx.commit().await?;
    state.job_signal.notify();
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/taches/{job_id}", agent.school_uai),
        Flash::success("Le courriel de test part dans la file d'envoi."),
    ))
}
