//! `GET /`: the public home page.

use askama::Template;
use axum::response::Html;

use crate::web::error::AppError;
use crate::web::templates::{Chrome, render};

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
}

pub async fn show(chrome: Chrome) -> Result<Html<String>, AppError> {
    render(&HomePage { chrome })
}
