//! The experiment API: `POST /experiments` runs one, `GET /experiments` lists the history and
//! `GET /experiments/{id}` returns one with every request's answer and trace, all as JSON.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::experiment::{storage, ExperimentInput};
use crate::state::AppState;

use super::extract::OptionalJson;

/// How many experiments `GET /experiments` lists, newest first.
const LISTED: i64 = 100;

pub async fn run(
    state: web::Data<AppState>,
    body: OptionalJson<ExperimentInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.0.ok_or_else(|| {
        AppError::bad_request(
            "invalid_input",
            r#"send a JSON body like {"strategy": "no-lock", "requests": 10, "capacity": 1}"#,
        )
    })?;
    let spec = input.check(&state.defaults)?;
    let experiment = state.experiments.run(&state, spec).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/experiments/{}", experiment.summary.id),
        ))
        .json(experiment))
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(storage::list(&state.store, LISTED).await?))
}

pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let experiment = storage::find(&state.store, id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "experiment {id} does not exist; GET /experiments lists them"
        ))
    })?;
    Ok(HttpResponse::Ok().json(experiment))
}
