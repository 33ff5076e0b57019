//! Request extractors whose failures are [`ApiError`]s, so bad input always gets the JSON error
//! body and a 4xx, never actix's plain-text defaults.

use actix_web::dev::Payload;
use actix_web::error::UrlencodedError;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::BytesMut;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::config::MAX_BODY_BYTES;
use crate::web::ApiError;

/// An optional JSON body: empty means `None`, anything else must be a JSON object that parses
/// as `T`. Bodies over
/// [`MAX_BODY_BYTES`] are refused with 413 before they are buffered.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let too_large = ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            };
            if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
                return Err(too_large);
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request("invalid_body", format!("could not read the body: {e}"))
                })?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            let invalid = |e: serde_json::Error| {
                ApiError::bad_request(
                    "invalid_json",
                    format!("the body is not the JSON this route takes: {e}"),
                )
            };
            // Only an object: serde would also read a struct from `[]` or a field list.
            let value: serde_json::Value = serde_json::from_slice(&body).map_err(invalid)?;
            if !value.is_object() {
                return Err(ApiError::bad_request(
                    "invalid_json",
                    "the body must be a JSON object, e.g. {\"customer\": \"Ada\"}",
                ));
            }
            serde_json::from_value(value)
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
            "invalid_path",
            format!(
                "{} has a malformed part: {err}; ids are whole numbers",
                req.path()
            ),
        )
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::bad_request("invalid_query", format!("bad query string: {err}")).into()
    }))
    .app_data(
        web::FormConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|err, _req| match err {
                UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
                .into(),
                err => ApiError::bad_request("invalid_form", format!("bad form: {err}")).into(),
            }),
    );
}
