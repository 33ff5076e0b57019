//! The dashboard's forms without script: plain form posts that act, then redirect back to `/`.
//!
//! With script, the same forms go to the JSON API instead (`static/dashboard.js`); these routes
//! keep the page usable in a browser without it and keep form encodings out of the JSON API.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use oversold_api::ErrorCode;
use serde::Deserialize;

use crate::config::CAPACITY;
use crate::experiment::ExperimentInput;
use crate::store::UnknownEvent;
use crate::web::admin::Admin;
use crate::web::api::check_capacity;
use crate::web::experiments::run_to_end;
use crate::web::extract::NoFields;
use crate::web::ApiError;
use crate::web::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetForm {
    capacity: Option<String>,
}

pub async fn reset_one(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, ApiError> {
    // An empty capacity field means "keep the current capacity".
    let capacity = match form.capacity.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(check_capacity(text.parse::<i64>().map_err(|_| {
            ApiError::bad_request(
                ErrorCode::InvalidInput,
                format!(
                    "capacity must be a whole number from {} to {}",
                    CAPACITY.start(),
                    CAPACITY.end()
                ),
            )
        })?)?),
    };
    let id = id.into_inner();
    state
        .store()
        .reset_event(id, capacity)
        .await?
        .ok_or(UnknownEvent(id))?;
    Ok(back_to("/"))
}

/// The "reset every event" form has no fields; anything else in its body is refused.
pub async fn reset_all(
    _: Admin,
    state: web::Data<AppState>,
    _form: web::Form<NoFields>,
) -> Result<HttpResponse, ApiError> {
    state.store().reset_all().await?;
    Ok(back_to("/"))
}

/// Runs an experiment from the form and shows it on the dashboard.
pub async fn run_experiment(
    _: Admin,
    state: web::Data<AppState>,
    form: web::Form<ExperimentInput>,
) -> Result<HttpResponse, ApiError> {
    let spec = form.into_inner().check(&state.defaults)?;
    let experiment = run_to_end(state, spec).await?;
    Ok(back_to(&format!(
        "/?experiment={}#result",
        experiment.summary.id
    )))
}

fn back_to(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
