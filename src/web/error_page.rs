//! The DSFR error page: how an [`AppError`] becomes a response, and the 404
//! fallback. Apart from `error` so that the error type does not depend on the
//! layout (whose extractor returns an `AppError`).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::error::AppError;
use super::templates::Chrome;

/// The error page (404, 403, 413, 429, 500…).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub title: &'static str,
    pub message: &'static str,
    pub hint: &'static str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::SignInRequired { next } = &self {
            let target = format!("/agent/connexion?suite={}", urlencode(next));
            return Redirect::to(&target).into_response();
        }
        if let AppError::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let (status, title, message, hint) = self.parts();
        render_error(status, title, message, hint)
    }
}

/// Renders an error page with a given status (also used by the 404 fallback).
pub fn render_error(
    status: StatusCode,
    title: &'static str,
    message: &'static str,
    hint: &'static str,
) -> Response {
    render_error_with(Chrome::bare(), status, title, message, hint)
}

fn render_error_with(
    chrome: Chrome,
    status: StatusCode,
    title: &'static str,
    message: &'static str,
    hint: &'static str,
) -> Response {
    let page = ErrorPage {
        chrome,
        status: status.as_u16(),
        title,
        message,
        hint,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, title).into_response(),
    }
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The fallback for unknown URLs: the 404 page, with the visitor's header
/// (signed in or not) so that they can go on from there.
pub async fn not_found(chrome: Chrome) -> Response {
    let (status, title, message, hint) = AppError::NotFound.parts();
    render_error_with(chrome, status, title, message, hint)
}
