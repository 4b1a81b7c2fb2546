//! The one error type at the HTTP edge. Every handler returns
//! `Result<_, AppError>` and uses `?`; the error renders a DSFR error page with
//! the right status (see `error_page`, which also holds the page). Internal
//! causes are logged once, with their chain, and never shown.

use axum::http::StatusCode;

use crate::documents::DocumentError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("form expired or forged")]
    CsrfRejected,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("dossier locked")]
    DossierLocked,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<DocumentError> for AppError {
    fn from(err: DocumentError) -> Self {
        match err {
            DocumentError::NotFound => AppError::NotFound,
            DocumentError::TooLarge { .. } => AppError::PayloadTooLarge,
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    pub(super) fn parts(&self) -> (StatusCode, &'static str, &'static str, &'static str) {
        match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page non trouvée",
                "La page que vous cherchez est introuvable. Excusez-nous pour la gêne occasionnée.",
                "Si vous avez tapé l'adresse web dans le navigateur, vérifiez qu'elle est correcte. La page n'est peut-être plus disponible.",
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Accès refusé",
                "Vous n'avez pas accès à cette page.",
                "Elle concerne un autre établissement ou demande un autre rôle que le vôtre. Si vous pensez que c'est une erreur, adressez-vous à la direction de votre établissement.",
            ),
            AppError::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Ce formulaire a expiré ou ne vient pas de DossierSCO : rien n'a été enregistré.",
                "Revenez à la page précédente, rechargez-la, puis envoyez à nouveau le formulaire.",
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Envoi trop volumineux",
                "Les données envoyées dépassent la taille autorisée : rien n'a été enregistré.",
                "Réduisez la taille du fichier (par exemple en photographiant le document en qualité moyenne) puis réessayez.",
            ),
            AppError::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de tentatives",
                "Trop de tentatives de connexion depuis votre adresse.",
                "Patientez une minute avant de réessayer.",
            ),
            AppError::DossierLocked => (
                StatusCode::CONFLICT,
                "Dossier déjà envoyé",
                "Ce dossier a été envoyé à l'établissement : il ne peut plus être modifié, rien n'a été enregistré.",
                "Si vous devez corriger quelque chose, contactez le secrétariat : il peut vous renvoyer le dossier.",
            ),
            AppError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Demande invalide",
                "Cette demande n'a pas pu être comprise : rien n'a été enregistré.",
                "Revenez à la page précédente et réessayez.",
            ),
            AppError::SignInRequired { .. } | AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur inattendue",
                "Désolé, le service rencontre un problème. Nous y travaillons pour le résoudre le plus rapidement possible.",
                "Essayez de rafraîchir la page ou réessayez plus tard.",
            ),
        }
    }
}
