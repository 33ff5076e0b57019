//! The dashboard at `/`: every event's numbers from the audit, and buttons to reset them.
//!
//! Server-rendered with askama and plain HTML forms, so it works in any browser with no build
//! step. The forms post to `/ui/...` routes that answer with a redirect back to `/`, keeping the
//! JSON API free of form encodings.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::config::CAPACITY;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Audit, Event};

use super::admin::Admin;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    instance: String,
    backend: String,
    events: Vec<Row>,
    nodes_up: usize,
    nodes: usize,
    quorum: usize,
}

struct Row {
    event: Event,
    audit: Audit,
}

impl Row {
    /// The CSS class that colours the verdict: red oversold, amber lost updates, green clean.
    fn verdict_class(&self) -> &'static str {
        let a = &self.audit;
        if a.oversold > 0 || a.negative_available {
            "bad"
        } else if a.lost_updates {
            "warn"
        } else {
            "good"
        }
    }

    fn verdict(&self) -> String {
        let a = &self.audit;
        if a.oversold > 0 {
            format!("OVERSOLD by {}", a.oversold)
        } else if a.negative_available {
            "negative availability".to_string()
        } else if a.lost_updates {
            "lost updates".to_string()
        } else {
            "clean".to_string()
        }
    }
}

pub async fn page(state: web::Data<AppState>) -> Result<Dashboard, AppError> {
    let events = state.store.list_events().await?;
    let health = state.redlock.health().await;
    Ok(Dashboard {
        instance: state.instance.clone(),
        backend: state.store.backend().to_string(),
        events: events
            .into_iter()
            .map(|event| Row {
                audit: event.audit(),
                event,
            })
            .collect(),
        nodes_up: health.iter().filter(|n| n.up).count(),
        nodes: health.len(),
        quorum: state.redlock.quorum(),
    })
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../static/style.css"))
}

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
) -> Result<HttpResponse, AppError> {
    // An empty capacity field means "keep the current capacity".
    let capacity = match form.capacity.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|c| CAPACITY.contains(c))
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_input",
                        format!(
                            "capacity must be a whole number from {} to {}",
                            CAPACITY.start(),
                            CAPACITY.end()
                        ),
                    )
                })?,
        ),
    };
    let id = id.into_inner();
    state
        .store
        .reset_event(id, capacity)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("event {id} does not exist")))?;
    Ok(back_to_dashboard())
}

/// The "reset every event" form has no fields; anything else in its body is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

pub async fn reset_all(
    _: Admin,
    state: web::Data<AppState>,
    _form: web::Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    state.store.reset_all().await?;
    Ok(back_to_dashboard())
}

fn back_to_dashboard() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}
