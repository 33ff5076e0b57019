//! Who may change the lab: the admin token on state-changing routes, once the server has one.
//!
//! A server started with `ADMIN_TOKEN` asks for it on every route that takes an [`Admin`]
//! argument, wherever it listens: loopback is no proof of a friendly caller once a reverse proxy
//! on the same host forwards to it. Without a token a loopback server is open, as a workshop on
//! one laptop expects; a server bound to any other address refuses to start without one.
//!
//! The token arrives as `Authorization: Bearer <token>` from scripts, or as a session from the
//! sign-in form at `/ui/login`: the browser's `oversold_admin` cookie holds a random session id
//! ([`super::session`]) that expires and is revoked at `/ui/logout`, never the token itself. The
//! cookie is `HttpOnly` and `SameSite=Strict`, and state-changing requests from other sites are
//! refused before any handler runs ([`super::hardening`]). Tokens are compared through their
//! SHA-256 digests in constant time, which leaks neither the position of the first wrong byte nor
//! the token's length.

use oversold_api::ErrorCode;
use std::net::SocketAddr;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::{self, AUTHORIZATION};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::future::{ready, Ready};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ADMIN_SESSION;
use crate::web::lang::PageLang;
use crate::web::ApiError;
use crate::web::AppState;

use super::extract::NoFields;
use super::session::Sessions;

/// The cookie the sign-in form sets: a session id.
pub const COOKIE: &str = "oversold_admin";

/// Whether admin routes need the token, the token, and the sessions signed in with it.
#[derive(Clone, Debug)]
pub struct AdminPolicy {
    token: Option<String>,
    sessions: Sessions,
}

impl AdminPolicy {
    /// The policy for a server listening on `bound`: a token, once set, is required on every
    /// address, and a server off loopback without one is refused (the same rule
    /// `Config::validate` applies to `--bind`, here applied to the address actually bound).
    pub fn for_address(bound: SocketAddr, token: Option<String>) -> Result<AdminPolicy, String> {
        let token = token.filter(|t| !t.is_empty());
        if !bound.ip().is_loopback() && token.is_none() {
            return Err(format!(
                "the server listens on {bound}, reachable from other machines: set \
                 --admin-token (ADMIN_TOKEN) so that nobody else can reset the lab, or bind 127.0.0.1"
            ));
        }
        Ok(AdminPolicy {
            token,
            sessions: Sessions::new(ADMIN_SESSION),
        })
    }

    /// Whether admin routes need the token: whenever the server has one.
    pub fn required(&self) -> bool {
        self.token.is_some()
    }

    /// Whether the request carries the admin's credentials (a right token or a live session);
    /// always true on a server without a token, where everyone may do everything.
    pub fn is_admin(&self, req: &HttpRequest) -> bool {
        self.check(req).is_ok()
    }

    /// Lets the request through, or says what is missing.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(expected) = self.token.as_deref() else {
            return Ok(());
        };
        if let Some(token) = bearer(req) {
            return if same_token(&token, expected) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "that is not the admin token: ask whoever started the server for ADMIN_TOKEN"
                        .to_string(),
                ))
            };
        }
        match req.cookie(COOKIE) {
            Some(cookie) if self.sessions.is_valid(cookie.value()) => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "that sign-in is not (or no longer) valid: it expired, was signed out, or the \
                 server restarted; sign in again at /ui/login"
                    .to_string(),
            )),
            None => Err(ApiError::Unauthorized(format!(
                "{} {} changes the lab and this server has an admin token: send \
                 Authorization: Bearer <ADMIN_TOKEN>, or sign in at /ui/login",
                req.method(),
                req.path()
            ))),
        }
    }

    /// Whether the request's cookie is a live session (for the sign-in page's wording).
    fn signed_in(&self, req: &HttpRequest) -> bool {
        req.cookie(COOKIE)
            .is_some_and(|c| self.sessions.is_valid(c.value()))
    }
}

/// The token of an `Authorization: Bearer ...` header, if the request has one.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Constant time over the digests, so neither the content nor the length of the expected token
/// shows in how long a wrong guess takes to refuse.
fn same_token(presented: &str, expected: &str) -> bool {
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    presented.ct_eq(&expected).into()
}

/// Put `_: Admin` first among a handler's arguments and the route needs the admin token whenever
/// the server has one (401 without it, 403 with a wrong token or a dead session).
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Admin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.admin.check(req).map(|()| Admin),
            // Every app this crate builds has the state; without it, refuse rather than allow.
            None => Err(ApiError::Forbidden(
                "the server has no admin policy configured".into(),
            )),
        };
        ready(checked)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    lang: PageLang,
    required: bool,
    signed_in: bool,
    session_hours: u64,
}

pub async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> LoginPage {
    LoginPage {
        lang: PageLang::of(&req),
        required: state.admin.required(),
        signed_in: state.admin.signed_in(&req),
        session_hours: state.admin.sessions.ttl().as_secs() / 3600,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    token: String,
}

/// Checks the token like a bearer header would, then gives the browser a new session. On a
/// server without a token there is nothing to sign in to: back to the dashboard, no cookie.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(expected) = state.admin.token.as_deref() else {
        return Ok(back_to_dashboard());
    };
    if !same_token(form.token.trim(), expected) {
        return Err(ApiError::Forbidden(
            "that is not the admin token: ask whoever started the server for ADMIN_TOKEN"
                .to_string(),
        ));
    }
    tracing::info!(peer = ?req.peer_addr(), "admin signed in on the dashboard");
    let session = state.admin.sessions.create();
    let max_age = time::Duration::seconds(state.admin.sessions.ttl().as_secs() as i64);
    let cookie = session_cookie(&req, session).max_age(max_age).finish();
    let mut response = back_to_dashboard();
    response.add_cookie(&cookie).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidInput,
            format!("could not set the cookie: {e}"),
        )
    })?;
    Ok(response)
}

/// Revokes the browser's session, if it has one, and tells the browser to drop the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: web::Form<NoFields>,
) -> HttpResponse {
    if let Some(cookie) = req.cookie(COOKIE) {
        state.admin.sessions.revoke(cookie.value());
        tracing::info!(peer = ?req.peer_addr(), "admin signed out");
    }
    let mut response = back_to_dashboard();
    let mut gone = session_cookie(&req, String::new()).finish();
    gone.make_removal();
    // Only fails for a malformed cookie, and this one is built here.
    let _ = response.add_cookie(&gone);
    response
}

/// The session cookie's attributes, the same when it is set and when it is removed (a browser
/// only drops a cookie whose path matches). `Secure` when the request came over HTTPS.
fn session_cookie(req: &HttpRequest, value: String) -> actix_web::cookie::CookieBuilder<'static> {
    let secure = req.connection_info().scheme() == "https";
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
}

fn back_to_dashboard() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn policy(bind: &str) -> AdminPolicy {
        AdminPolicy::for_address(bind.parse().unwrap(), Some("s3cret".into())).unwrap()
    }

    #[test]
    fn off_loopback_without_a_token_is_refused() {
        let err = AdminPolicy::for_address("0.0.0.0:8080".parse().unwrap(), None).unwrap_err();
        assert!(err.contains("--admin-token"), "{err}");
        assert!(
            AdminPolicy::for_address("0.0.0.0:8080".parse().unwrap(), Some(String::new())).is_err()
        );
        assert!(
            !AdminPolicy::for_address("127.0.0.1:8080".parse().unwrap(), None)
                .unwrap()
                .required()
        );
        // Once set, the token is required on loopback too.
        assert!(policy("[::1]:8080").required());
        assert!(policy("127.0.0.1:8080").required());
    }

    #[test]
    fn a_bearer_or_a_live_session_is_needed_and_must_match() {
        let policy = policy("0.0.0.0:8080");
        let none = TestRequest::post().uri("/reset").to_http_request();
        assert!(matches!(
            policy.check(&none),
            Err(ApiError::Unauthorized(_))
        ));
        let bearer = |value: &str| {
            TestRequest::post()
                .insert_header((AUTHORIZATION, value))
                .to_http_request()
        };
        assert!(policy.check(&bearer("Bearer s3cret")).is_ok());
        assert!(policy.check(&bearer("bearer  s3cret ")).is_ok());
        assert!(matches!(
            policy.check(&bearer("Bearer s3cre")),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            policy.check(&bearer("Basic czNjcmV0")),
            Err(ApiError::Unauthorized(_))
        ));
        let cookie = |value: &str| {
            TestRequest::post()
                .cookie(Cookie::new(COOKIE, value.to_string()))
                .to_http_request()
        };
        // The token is not a session: the cookie must hold one the server issued.
        assert!(matches!(
            policy.check(&cookie("s3cret")),
            Err(ApiError::Forbidden(_))
        ));
        let session = policy.sessions.create();
        assert!(policy.check(&cookie(&session)).is_ok());
        policy.sessions.revoke(&session);
        assert!(policy.check(&cookie(&session)).is_err());
    }

    #[test]
    fn on_loopback_without_a_token_everything_is_open() {
        let policy = AdminPolicy::for_address("127.0.0.1:8080".parse().unwrap(), None).unwrap();
        assert!(policy.check(&TestRequest::post().to_http_request()).is_ok());
    }

    #[test]
    fn on_loopback_a_set_token_is_required() {
        let policy = policy("127.0.0.1:8080");
        assert!(matches!(
            policy.check(&TestRequest::post().to_http_request()),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cret", "s3cret "));
        assert!(!same_token("", "s3cret"));
    }
}
