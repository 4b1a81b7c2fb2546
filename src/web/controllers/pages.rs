//! Static information pages linked from the footer.

use askama::Template;
use axum::response::Html;

use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "pages/accessibility.html")]
pub struct AccessibilityPage {
    pub chrome: Chrome,
}

#[derive(Template)]
#[template(path = "pages/personal_data.html")]
pub struct PersonalDataPage {
    pub chrome: Chrome,
}

#[derive(Template)]
#[template(path = "pages/legal_notice.html")]
pub struct LegalNoticePage {
    pub chrome: Chrome,
}

pub async fn accessibility(chrome: Chrome) -> Result<Html<String>, AppError> {
    render(&AccessibilityPage { chrome })
}

pub async fn personal_data(chrome: Chrome) -> Result<Html<String>, AppError> {
    render(&PersonalDataPage { chrome })
}

pub async fn legal_notice(chrome: Chrome) -> Result<Html<String>, AppError> {
    render(&LegalNoticePage { chrome })
}
