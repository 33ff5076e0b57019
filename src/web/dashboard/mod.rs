//! The dashboard at `/`: live event numbers, experiments with their verdict and timeline, the
//! history to compare strategies, each strategy explained, and the Redis nodes.
//!
//! Server-rendered with askama, so the page is complete without script. `static/dashboard.js`
//! then keeps the numbers live by polling `GET /events` and `GET /health`, and sends the forms to
//! the JSON API with `fetch`; without it, the forms post to the `/ui/...` routes in [`forms`],
//! which answer with a redirect back here.

pub mod forms;
mod view;

use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::experiment::{storage, Summary};
use crate::lock::NodeHealth;
use crate::web::ApiError;
use crate::web::AppState;

use view::{targets, EventRow, ExperimentView, StrategyRow};

/// How many past experiments the history shows.
const HISTORY: i64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    instance: String,
    backend: String,
    events: Vec<EventRow>,
    nodes: Vec<NodeHealth>,
    nodes_up: usize,
    quorum: usize,
    strategies: Vec<StrategyRow>,
    peers: Vec<String>,
    race_window_ms: u128,
    ttl_ms: u128,
    experiment: Option<ExperimentView>,
    history: Vec<Summary>,
}

impl Dashboard {
    fn targets(&self, summary: &Summary) -> String {
        targets(summary)
    }

    /// Where the quick buttons send: every instance when there are several, the two-instance
    /// lesson being the one a single process cannot fake.
    fn default_target(&self) -> &'static str {
        if self.peers.is_empty() {
            "this"
        } else {
            "all"
        }
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// The experiment to show; the latest when absent.
    experiment: Option<i64>,
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<Dashboard, ApiError> {
    // The first page only, as `GET /events` (which the page polls) answers it: a lab with
    // 100,000 events must not render them all.
    let events = state
        .store()
        .events_page(None, crate::web::api::DEFAULT_PAGE)
        .await?
        .events;
    let nodes = state.booking.redlock.health().await;
    let history = storage::list(state.store(), HISTORY).await?;
    let shown = match query.experiment.or(history.first().map(|h| h.id)) {
        Some(id) => Some(
            storage::find(state.store(), id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("experiment {id} does not exist")))?,
        ),
        None => None,
    };
    Ok(Dashboard {
        instance: state.instance().to_string(),
        backend: state.store().backend().to_string(),
        events: events.into_iter().map(EventRow::new).collect(),
        nodes_up: nodes.iter().filter(|n| n.up).count(),
        nodes,
        quorum: state.booking.redlock.quorum(),
        strategies: StrategyRow::all(state.store().backend(), &history),
        peers: state.experiments.peers().to_vec(),
        race_window_ms: state.defaults.race_window.as_millis(),
        ttl_ms: state.defaults.ttl.as_millis(),
        experiment: shown.map(ExperimentView::new),
        history,
    })
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/style.css"))
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/dashboard.js"))
}
