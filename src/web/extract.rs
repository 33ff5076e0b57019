//! Request extractors whose failures are [`ApiError`]s, so bad input always gets the JSON error
//! body and a 4xx, never actix's plain-text defaults.
//!
//! They are also where a body's media type is enforced (JSON routes take `application/json`, form
//! routes a urlencoded form, anything else is a 415), which is what keeps a hostile page's
//! `enctype=text/plain` form out of the JSON API, and where the booking knobs are capped for
//! callers without the admin token.

use oversold_api::{ErrorCode, Granularity};
use std::ops::RangeInclusive;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::UrlencodedError;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::BytesMut;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::config::{
    check_range, MAX_BODY_BYTES, PUBLIC_RACE_WINDOW_MS, PUBLIC_TTL_MS, RACE_WINDOW_MS, TTL_MS,
};
use crate::web::ApiError;
use crate::web::AppState;

/// An optional JSON body: empty means `None`, anything else must be a JSON object that parses
/// as `T`, sent as `application/json`. Bodies over [`MAX_BODY_BYTES`] are refused with 413
/// before they are buffered. A duplicate key is refused, not resolved: a lenient "last one wins"
/// is what lets `{"strategy":"=","strategy":"atomic"}` pass as a text/plain form's body.
pub struct OptionalJson<T>(pub Option<T>);

/// What a request's `Content-Type` says, as far as a JSON route cares.
enum Declared {
    None,
    Json,
    Other(String),
}

fn declared_type(req: &HttpRequest) -> Declared {
    let Some(value) = req.headers().get(CONTENT_TYPE) else {
        return Declared::None;
    };
    match req.mime_type() {
        Ok(Some(m)) if m.essence_str() == "application/json" => Declared::Json,
        _ => Declared::Other(String::from_utf8_lossy(value.as_bytes()).trim().to_string()),
    }
}

fn needs_json(got: &str) -> ApiError {
    ApiError::UnsupportedMediaType(format!(
        "this route takes a JSON body sent as Content-Type: application/json, not {got}"
    ))
}

impl<T> OptionalJson<T> {
    /// The body, for a route that needs one: its absence is a 400 showing `example`.
    pub fn required(self, example: &str) -> Result<T, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidInput,
                format!("send a JSON body like {example}"),
            )
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let declared = (declared, declared_type(req));
        let mut payload = payload.take();
        Box::pin(async move {
            let (declared, media) = declared;
            // A form or text/plain type is refused even without a body: no browser form may
            // post to a JSON route, not even an empty one.
            if let Declared::Other(got) = &media {
                return Err(needs_json(got));
            }
            let too_large = ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            };
            if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
                return Err(too_large);
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(
                        ErrorCode::InvalidBody,
                        format!("could not read the body: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            if let Declared::None = media {
                return Err(needs_json("a body without a Content-Type"));
            }
            let invalid = |e: serde_json::Error| {
                ApiError::bad_request(
                    ErrorCode::InvalidJson,
                    format!("the body is not the JSON this route takes: {e}"),
                )
            };
            // Only an object: serde would also read a struct from `[]` or a field list.
            if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidJson,
                    "the body must be a JSON object, e.g. {\"customer\": \"Ada\"}",
                ));
            }
            // Straight into `T` (not through a map), so a repeated field is an error.
            serde_json::from_slice(&body)
                .map(|value| OptionalJson(Some(value)))
                .map_err(invalid)
        })
    }
}

/// A body (JSON or form) for a route that takes no fields: only an empty one, or `{}`, is
/// accepted, so that a body meant for another route changes nothing.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// Path, query and form errors as JSON 400s, installed once for the whole app.
pub fn configure_errors(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|err, req| {
        ApiError::bad_request(
            ErrorCode::InvalidPath,
            format!(
                "{} has a malformed part: {err}; ids are whole numbers",
                req.path()
            ),
        )
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::bad_request(ErrorCode::InvalidQuery, format!("bad query string: {err}")).into()
    }))
    .app_data(
        web::FormConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, _req| match err {
                UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
                .into(),
                UrlencodedError::ContentType => ApiError::UnsupportedMediaType(
                    "this route takes a form sent as Content-Type: \
                     application/x-www-form-urlencoded"
                        .to_string(),
                )
                .into(),
                err => {
                    ApiError::bad_request(ErrorCode::InvalidForm, format!("bad form: {err}")).into()
                }
            }),
    );
}

/// The per-request booking knobs from the query string, checked: unknown names are refused so
/// a typo is not ignored, values outside the lab's ranges are a 400, and on a server with an
/// admin token a caller without it may only ask for the small public ranges
/// ([`PUBLIC_RACE_WINDOW_MS`], [`PUBLIC_TTL_MS`]), else 403: a stranger must not hold a database
/// lock for half a minute. `None` means "the server's default", which the operator chose.
pub struct Knobs {
    pub race_window: Option<Duration>,
    pub ttl: Option<Duration>,
    /// One lock per event or per seat, for a booking of seats (`event` when absent).
    pub granularity: Option<Granularity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKnobs {
    race_window_ms: Option<u64>,
    ttl_ms: Option<u64>,
    granularity: Option<Granularity>,
}

impl FromRequest for Knobs {
    type Error = ApiError;
    type Future = Ready<Result<Knobs, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(knobs(req))
    }
}

fn knobs(req: &HttpRequest) -> Result<Knobs, ApiError> {
    let raw = web::Query::<RawKnobs>::from_query(req.query_string())
        .map_err(|e| {
            ApiError::bad_request(ErrorCode::InvalidQuery, format!("bad query string: {e}"))
        })?
        .into_inner();
    let race_window = raw
        .race_window_ms
        .map(|ms| knob("race_window_ms", ms, &RACE_WINDOW_MS))
        .transpose()?;
    let ttl = raw
        .ttl_ms
        .map(|ms| knob("ttl_ms", ms, &TTL_MS))
        .transpose()?;
    let capped = req
        .app_data::<web::Data<AppState>>()
        .is_none_or(|state| state.admin.required() && !state.admin.is_admin(req));
    if capped {
        let beyond = |value: Option<u64>, range: &RangeInclusive<u64>| {
            value.is_some_and(|v| !range.contains(&v))
        };
        if beyond(race_window, &PUBLIC_RACE_WINDOW_MS) || beyond(ttl, &PUBLIC_TTL_MS) {
            return Err(ApiError::Forbidden(format!(
                "without the admin token this server takes race_window_ms from {} to {} and \
                 ttl_ms from {} to {}; for more, send Authorization: Bearer <ADMIN_TOKEN> or \
                 sign in at /ui/login",
                PUBLIC_RACE_WINDOW_MS.start(),
                PUBLIC_RACE_WINDOW_MS.end(),
                PUBLIC_TTL_MS.start(),
                PUBLIC_TTL_MS.end()
            )));
        }
    }
    Ok(Knobs {
        race_window: race_window.map(Duration::from_millis),
        ttl: ttl.map(Duration::from_millis),
        granularity: raw.granularity,
    })
}

fn knob(name: &str, value: u64, range: &RangeInclusive<u64>) -> Result<u64, ApiError> {
    check_range(name, value, range).map_err(|m| ApiError::bad_request(ErrorCode::InvalidKnob, m))
}
