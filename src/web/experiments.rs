//! The experiment API: `POST /experiments` runs one, `GET /experiments` lists the history and
//! `GET /experiments/{id}` returns one with every request's answer and trace (a run still going
//! has `"state": "running"`), all as JSON; `POST /new-session` starts the workshop afresh.
//! Something to keep: `GET /experiments/{id}/timeline.svg` downloads a run's timeline for slides,
//! and `/static/print.css` turns a result on the dashboard into one printed page.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::experiment::{storage, Experiment, ExperimentInput, Spec};
use crate::web::ApiError;
use crate::web::AppState;

use super::admin::Admin;
use super::extract::{NoFields, OptionalJson};

/// How many experiments `GET /experiments` lists, newest first.
const LISTED: i64 = 100;

pub async fn run(
    _: Admin,
    state: web::Data<AppState>,
    body: OptionalJson<ExperimentInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.required(r#"{"strategy": "no-lock", "requests": 10, "capacity": 1}"#)?;
    let spec = input.check(&state.defaults)?;
    let experiment = run_to_end(state, spec).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/experiments/{}", experiment.summary.id),
        ))
        .json(experiment))
}

/// Runs the experiment in a task of its own, so that a browser that gives up waiting (a closed
/// tab, a page left) does not cancel it halfway: the bookings it fired are audited and stored.
pub async fn run_to_end(state: web::Data<AppState>, spec: Spec) -> Result<Experiment, ApiError> {
    let task = actix_web::rt::spawn(async move {
        state
            .experiments
            .run(&state.booking, spec)
            .await
            .map_err(ApiError::from)
    });
    match task.await {
        Ok(result) => result,
        // The run panicked: let this request fail the same way.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(storage::list(state.store(), LISTED).await?))
}

/// The stored run `id`, or the 404 that says where the runs are listed.
async fn stored(state: &AppState, id: i64) -> Result<Experiment, ApiError> {
    storage::find(state.store(), id).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "experiment {id} does not exist; GET /experiments lists them"
        ))
    })
}

pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let experiment = stored(&state, id).await?;
    Ok(HttpResponse::Ok().json(experiment))
}

/// The run's timeline as a standalone SVG file, the same drawing the result page shows, in
/// the language of the page it was downloaded from.
pub async fn timeline_svg(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    lang: crate::web::lang::PageLang,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let experiment = stored(&state, id).await?;
    let view = crate::web::dashboard::view::ExperimentView::new(experiment, lang.lang);
    let strategy = &view.summary.strategy;
    // Strategy names are lowercase letters and dashes: safe in a quoted file name as they are.
    let file = format!("oversold-experiment-{id}-{strategy}-timeline.svg");
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
            view.timeline
        )))
}

/// The print stylesheet every page links with `media="print"`.
pub async fn print_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../static/print.css"))
}

/// A new session: every event back to its capacity, the history and the runs' own events gone.
pub async fn new_session(
    _: Admin,
    state: web::Data<AppState>,
    _body: OptionalJson<NoFields>,
) -> Result<HttpResponse, ApiError> {
    storage::clear(state.store()).await?;
    Ok(HttpResponse::Ok().json(state.store().list_events().await?))
}
