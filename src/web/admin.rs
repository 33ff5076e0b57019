//! Who may change the lab: the admin token on state-changing routes, when strangers can reach us.
//!
//! On loopback only this machine can talk to the server, so every route is open, as a workshop
//! expects. Bound to any other address, anyone on the network could reset the events in the
//! middle of a lesson, so the server refuses to start without `ADMIN_TOKEN` and every route that
//! takes an [`Admin`] argument asks for it: `Authorization: Bearer <token>` from scripts, or the
//! `oversold_admin` cookie a browser gets from the sign-in form at `/ui/login`. The cookie is
//! `HttpOnly` and `SameSite=Strict`, so another site cannot post the dashboard's forms with it.
//! Tokens are compared through their SHA-256 digests in constant time, which leaks neither the
//! position of the first wrong byte nor the token's length.

use std::net::SocketAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header::{self, AUTHORIZATION};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use futures_util::future::{ready, Ready};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::web::ApiError;
use crate::web::AppState;

/// The cookie the sign-in form sets.
pub const COOKIE: &str = "oversold_admin";

/// Whether admin routes need the token, and the token.
#[derive(Clone, Debug)]
pub struct AdminPolicy {
    required: bool,
    token: Option<String>,
}

impl AdminPolicy {
    /// The policy for a server listening on `bound`: the token is required off loopback, and a
    /// server off loopback without one is refused (the same rule `Config::validate` applies to
    /// `--bind`, here applied to the address actually bound).
    pub fn for_address(bound: SocketAddr, token: Option<String>) -> Result<AdminPolicy, String> {
        let token = token.filter(|t| !t.is_empty());
        let required = !bound.ip().is_loopback();
        if required && token.is_none() {
            return Err(format!(
                "the server listens on {bound}, reachable from other machines: set \
                 --admin-token (ADMIN_TOKEN) so that nobody else can reset the lab, or bind 127.0.0.1"
            ));
        }
        Ok(AdminPolicy { required, token })
    }

    pub fn required(&self) -> bool {
        self.required
    }

    /// Lets the request through, or says what is missing.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(expected) = self.token.as_deref().filter(|_| self.required) else {
            return Ok(());
        };
        let presented = bearer(req).or_else(|| req.cookie(COOKIE).map(|c| c.value().to_string()));
        match presented {
            None => Err(ApiError::Unauthorized(format!(
                "{} {} changes the lab and this server is reachable from other machines: send \
                 Authorization: Bearer <ADMIN_TOKEN>, or sign in at /ui/login",
                req.method(),
                req.path()
            ))),
            Some(token) if same_token(&token, expected) => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "that is not the admin token: ask whoever started the server for ADMIN_TOKEN"
                    .to_string(),
            )),
        }
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
/// the server is reachable from other machines (401 without one, 403 with a wrong one).
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
    required: bool,
}

pub async fn login_page(state: web::Data<AppState>) -> LoginPage {
    LoginPage {
        required: state.admin.required(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    token: String,
}

/// Checks the token like a bearer header would, then keeps it in the browser's cookie.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    let token = form.into_inner().token.trim().to_string();
    if let Some(expected) = state.admin.token.as_deref() {
        if !same_token(&token, expected) {
            return Err(ApiError::Forbidden(
                "that is not the admin token: ask whoever started the server for ADMIN_TOKEN"
                    .to_string(),
            ));
        }
    }
    tracing::info!(peer = ?req.peer_addr(), "admin signed in on the dashboard");
    let cookie = Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, "/"))
        .finish())
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
        assert!(!policy("[::1]:8080").required());
    }

    #[test]
    fn off_loopback_a_bearer_or_the_cookie_is_needed_and_must_match() {
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
        let cookie = TestRequest::post()
            .cookie(Cookie::new(COOKIE, "s3cret"))
            .to_http_request();
        assert!(policy.check(&cookie).is_ok());
    }

    #[test]
    fn on_loopback_everything_is_open() {
        let policy = policy("127.0.0.1:8080");
        assert!(policy.check(&TestRequest::post().to_http_request()).is_ok());
    }

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cret", "s3cret "));
        assert!(!same_token("", "s3cret"));
    }
}
