//! Sessions, cookies, flash messages and the per-request context.
//!
//! Three cookies, all `HttpOnly`, `SameSite=Lax`, `Secure` (with the `__Host-`
//! prefix) when the service runs on HTTPS:
//! - the visitor cookie: a random token every browser gets; CSRF tokens are
//!   derived from it, so anonymous forms (sign-in) are protected without any
//!   database write;
//! - the session cookie: a random token whose hash names a row of `sessions`,
//!   set at sign-in (with a fresh visitor token) and removed at sign-out;
//! - the flash cookie: a signed one-shot message shown by the next page.
//!
//! [`session_layer`] resolves them once per request into a [`RequestContext`]
//! and enforces CSRF on every unsafe method.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::csrf;
use super::error::AppError;
use crate::app::AppState;
use crate::auth::keys::random_token;
use crate::auth::{sessions, throttle};
use crate::db::audit;
use crate::db::sessions::{Owner, SessionView};

/// Cookie names, with the `__Host-` prefix on HTTPS.
#[derive(Clone, Copy)]
pub struct CookieNames {
    pub visitor: &'static str,
    pub session: &'static str,
    pub flash: &'static str,
}

impl CookieNames {
    pub fn for_secure(secure: bool) -> Self {
        if secure {
            Self {
                visitor: "__Host-dsco_visitor",
                session: "__Host-dsco_session",
                flash: "__Host-dsco_flash",
            }
        } else {
            Self {
                visitor: "dsco_visitor",
                session: "dsco_session",
                flash: "dsco_flash",
            }
        }
    }
}

/// The kind of a flash message (DSFR alert type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

impl FlashKind {
    fn code(self) -> char {
        match self {
            FlashKind::Success => 's',
            FlashKind::Info => 'i',
            FlashKind::Error => 'e',
        }
    }

    /// The DSFR alert class suffix.
    pub fn css(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Info => "info",
            FlashKind::Error => "error",
        }
    }
}

/// A one-shot message for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Success,
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Error,
            message: message.into(),
        }
    }
}

/// What the middleware learnt about the request; read by extractors.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub csrf_token: String,
    pub session: Option<SessionView>,
    pub flash: Option<Flash>,
    pub client_ip: IpAddr,
}

impl RequestContext {
    pub fn ip_string(&self) -> String {
        self.client_ip.to_string()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("session layer missing")))
    }
}

fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_secs: Option<i64>,
) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(secs) = max_age_secs {
        cookie = cookie.max_age(cookie::time::Duration::seconds(secs));
    }
    cookie.build()
}

fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    cookie(name, String::new(), secure, Some(0))
}

fn client_ip(request: &Request<Body>, behind_proxy: bool) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if behind_proxy {
        // The last address is the one our own proxy saw.
        if let Some(ip) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
    }
    peer
}

fn decode_flash(state: &AppState, value: &str) -> Option<Flash> {
    let (payload, signature) = value.split_once('.')?;
    if !state.keys.verify("flash", payload.as_bytes(), signature) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut chars = text.chars();
    let kind = match chars.next()? {
        's' => FlashKind::Success,
        'i' => FlashKind::Info,
        'e' => FlashKind::Error,
        _ => return None,
    };
    Some(Flash {
        kind,
        message: chars.collect(),
    })
}

/// The middleware: resolves cookies, enforces CSRF, sets the visitor cookie.
pub async fn session_layer(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let secure = state.settings.secure_cookies();
    let names = CookieNames::for_secure(secure);
    let jar = CookieJar::from_headers(request.headers());
    let ip = client_ip(&request, state.settings.behind_proxy);

    let existing_visitor = jar
        .get(names.visitor)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43 && v.is_ascii());
    let new_visitor = existing_visitor.is_none().then(random_token);
    let visitor = existing_visitor
        .clone()
        .or_else(|| new_visitor.clone())
        .unwrap_or_default();
    let csrf_token = state.keys.sign("csrf", visitor.as_bytes());

    let mut session = None;
    if let Some(token) = jar.get(names.session).map(|c| c.value().to_owned()) {
        match sessions::resolve(state.db.pool(), &token).await {
            Ok(found) => session = found,
            Err(err) => return AppError::from(err).into_response(),
        }
    }
    let flash = jar
        .get(names.flash)
        .and_then(|c| decode_flash(&state, c.value()));

    let mut request = request;
    if csrf::is_unsafe(request.method()) {
        let refusal = match csrf::check_origin(request.headers(), &state.settings.base_url) {
            Err(refusal) => Some(refusal),
            Ok(()) => match csrf::extract_token(request).await {
                Ok((token, rebuilt)) => {
                    request = rebuilt;
                    let valid = existing_visitor.is_some()
                        && token.is_some_and(|t| state.keys.verify("csrf", visitor.as_bytes(), &t));
                    (!valid).then_some(csrf::CsrfRefusal::MissingOrWrongToken)
                }
                Err(refusal) => return refused(&state, refusal, session.as_ref(), ip).await,
            },
        };
        if let Some(refusal) = refusal {
            return refused(&state, refusal, session.as_ref(), ip).await;
        }
    }

    request.extensions_mut().insert(RequestContext {
        csrf_token,
        session,
        flash: flash.clone(),
        client_ip: ip,
    });
    let mut response = next.run(request).await;

    let headers = response.headers_mut();
    if let Some(visitor) = new_visitor {
        append_cookie(headers, cookie(names.visitor, visitor, secure, None));
    }
    let sets_flash = headers.get_all(header::SET_COOKIE).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with(&format!("{}=", names.flash)))
    });
    if flash.is_some() && !sets_flash && !response.status().is_redirection() {
        append_cookie(response.headers_mut(), removal(names.flash, secure));
    }
    response
}

async fn refused(
    state: &AppState,
    refusal: csrf::CsrfRefusal,
    session: Option<&SessionView>,
    ip: IpAddr,
) -> Response {
    let actor = match session {
        Some(SessionView {
            agent_id: Some(id), ..
        }) => audit::Actor::Agent(*id),
        Some(SessionView {
            guardian_id: Some(id),
            ..
        }) => audit::Actor::Guardian(*id),
        _ => audit::Actor::Anonymous,
    };
    let school = session.and_then(|s| s.school_id);
    let subject = format!("{refusal:?}");
    let _ = match actor {
        audit::Actor::Anonymous => {
            state
                .anonymous_audit
                .record(
                    state.db.pool(),
                    school,
                    "csrf_refused",
                    &subject,
                    &ip.to_string(),
                )
                .await
        }
        _ => {
            audit::record(
                state.db.pool(),
                school,
                actor,
                "csrf_refused",
                &subject,
                &ip.to_string(),
            )
            .await
        }
    };
    tracing::warn!(reason = ?refusal, "unsafe request refused");
    match refusal {
        csrf::CsrfRefusal::FormTooLarge => AppError::PayloadTooLarge.into_response(),
        _ => AppError::CsrfRejected.into_response(),
    }
}

fn append_cookie(headers: &mut axum::http::HeaderMap, cookie: Cookie<'static>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// The per-address failure limit of the sign-in forms: the setting's number
/// of failures in a minute, then the address waits for the minute to end.
fn address_limit(state: &AppState) -> throttle::Limit {
    throttle::Limit {
        failures: i64::from(state.settings.sign_in_failures_per_minute.max(1)),
        window_ms: 60_000,
        lock_ms: 60_000,
    }
}

/// Whether the address of this request may try to sign in (`scope`: "agent"
/// or "family"): false while too many failures from it are recent. Answered
/// from memory once this instance knows the lock.
pub async fn sign_in_allowed(
    state: &AppState,
    ctx: &RequestContext,
    scope: &str,
) -> Result<bool, AppError> {
    let key = throttle::address_key(scope, ctx.client_ip);
    Ok(state
        .sign_in_throttle
        .locked_until(state.db.pool(), &key)
        .await?
        .is_none())
}

/// Counts a failed sign-in from this request's address; the lock it may set
/// is audited once.
pub async fn count_sign_in_failure(
    state: &AppState,
    ctx: &RequestContext,
    scope: &str,
) -> Result<(), AppError> {
    let key = throttle::address_key(scope, ctx.client_ip);
    let failure = state
        .sign_in_throttle
        .record_failure(state.db.pool(), &key, address_limit(state))
        .await?;
    if let throttle::Failure::Locked(_) = failure {
        tracing::warn!(scope, "sign-in failures: address locked for a minute");
        state
            .anonymous_audit
            .record(
                state.db.pool(),
                None,
                "sign_in_address_locked",
                scope,
                &ctx.ip_string(),
            )
            .await?;
    }
    Ok(())
}

/// Starts a session for `owner`: stores it and returns the response that sets
/// the cookies (a fresh visitor token too) and redirects to `to`.
pub async fn sign_in_response(
    state: &AppState,
    owner: Owner,
    ip: IpAddr,
    to: &str,
) -> Result<Response, AppError> {
    let secure = state.settings.secure_cookies();
    let names = CookieNames::for_secure(secure);
    let token = sessions::open(state.db.pool(), owner, &ip.to_string()).await?;
    let mut response = Redirect::to(to).into_response();
    append_cookie(
        response.headers_mut(),
        cookie(names.session, token, secure, None),
    );
    append_cookie(
        response.headers_mut(),
        cookie(names.visitor, random_token(), secure, None),
    );
    Ok(response)
}

/// Ends the current session and redirects to `to` with a flash message.
pub async fn sign_out_response(
    state: &AppState,
    ctx: &RequestContext,
    to: &str,
    flash: Flash,
) -> Result<Response, AppError> {
    let names = CookieNames::for_secure(state.settings.secure_cookies());
    if let Some(session) = &ctx.session {
        sessions::close(state.db.pool(), &session.token_hash).await?;
    }
    let mut response = redirect_with_flash(state, to, flash);
    append_cookie(
        response.headers_mut(),
        removal(names.session, state.settings.secure_cookies()),
    );
    Ok(response)
}

/// Post/Redirect/Get with a message for the next page.
pub fn redirect_with_flash(state: &AppState, to: &str, flash: Flash) -> Response {
    let secure = state.settings.secure_cookies();
    let names = CookieNames::for_secure(secure);
    let payload = URL_SAFE_NO_PAD.encode(format!("{}{}", flash.kind.code(), flash.message));
    let signature = state.keys.sign("flash", payload.as_bytes());
    let mut response = Redirect::to(to).into_response();
    append_cookie(
        response.headers_mut(),
        cookie(
            names.flash,
            format!("{payload}.{signature}"),
            secure,
            Some(120),
        ),
    );
    response
}
