//! The phone's identity: a random id in the `oversold_room` cookie, stored only as a digest.
//!
//! A participant cookie is no admin session: [`crate::web::Admin`] reads only `oversold_admin`
//! and the bearer header, so whatever a phone sends with it, it can tap and nothing else.

use std::fmt::Write;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use rand::Rng;

use crate::room::{storage, Participant};
use crate::store::Store;

/// The participant's cookie.
pub const COOKIE: &str = "oversold_room";

/// How long a phone stays in the room: a workshop day.
const MAX_AGE_HOURS: i64 = 12;

/// The session id the request's cookie holds, if it has one.
pub fn session(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// The participant the request's cookie names, if it names one.
pub async fn current(store: &Store, req: &HttpRequest) -> Result<Option<Participant>, sqlx::Error> {
    match session(req) {
        Some(session) => storage::participant(store, &session).await,
        None => Ok(None),
    }
}

/// A new session id: 256 bits from the thread's CSPRNG, in hex.
pub fn new_session() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The cookie that keeps `session`: `HttpOnly` (no script reads it), `SameSite=Lax` (a phone
/// that opens the join link from a QR scanner app still sends it), `Secure` over HTTPS.
pub fn cookie(req: &HttpRequest, session: String) -> Cookie<'static> {
    let secure = req.connection_info().scheme() == "https";
    Cookie::build(COOKIE, session)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::hours(MAX_AGE_HOURS))
        .finish()
}
