//! The dashboard at `/`: experiments with their verdict and timeline, the history and the cost
//! of each strategy to compare them, live event numbers, each strategy explained, and the Redis
//! nodes. The form keeps the values of the run on show (the URL carries them), and a page loaded
//! while a run is going shows it running, then its result.
//!
//! Server-rendered with askama, so the page is complete without script. `static/dashboard.js`
//! then keeps the numbers live by polling `GET /events` and `GET /health`, and sends the forms to
//! the JSON API with `fetch`; without it, the forms post to the `/ui/...` routes in [`forms`],
//! which answer with a redirect back here.

pub mod forms;
mod seats;
pub(crate) mod view;

use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;

use crate::etcd::ClusterHealth;
use crate::experiment::{storage, Summary};
use crate::lock::NodeHealth;
use crate::web::lang::PageLang;
use crate::web::ApiError;
use crate::web::AppState;

use view::{targets, CostChart, EventRow, ExperimentView, FormQuery, FormValues, StrategyRow};

/// How many past experiments the history shows.
const HISTORY: i64 = 30;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct Dashboard {
    lang: PageLang,
    instance: String,
    backend: String,
    events: Vec<EventRow>,
    nodes: Vec<NodeHealth>,
    nodes_up: usize,
    quorum: usize,
    /// The etcd members, leader and quorum of the `etcd` strategy's cluster.
    etcd: ClusterHealth,
    strategies: Vec<StrategyRow>,
    peers: Vec<String>,
    form: FormValues,
    experiment: Option<ExperimentView>,
    history: Vec<Summary>,
    /// The cost chart's SVG, once two strategies ran the same fight.
    cost: Option<String>,
}

impl Dashboard {
    fn targets(&self, summary: &Summary) -> String {
        targets(summary)
    }

    fn cost_of(&self, summary: &Summary) -> String {
        view::cost(summary)
    }

    fn knobs_of(&self, summary: &Summary) -> String {
        view::knobs_query(summary)
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

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<FormQuery>,
    lang: PageLang,
) -> Result<Dashboard, ApiError> {
    // The events the runs made for themselves are the history's, not the table's; and the
    // first page only, as `GET /events` (which the page polls) answers it: a lab with 100,000
    // events must not render them all.
    let own = storage::own_events(state.store()).await?;
    let events: Vec<_> = state
        .store()
        .events_page(None, crate::web::api::DEFAULT_PAGE)
        .await?
        .events
        .into_iter()
        .filter(|e| !own.contains(&e.id))
        .collect();
    let (nodes, etcd) = tokio::join!(state.booking.redlock.health(), state.booking.etcd.health());
    let history = storage::list(state.store(), HISTORY).await?;
    let shown = match query.experiment.or(history.first().map(|h| h.id)) {
        Some(id) => Some(
            storage::find(state.store(), id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("experiment {id} does not exist")))?,
        ),
        None => None,
    };
    let peers = state.experiments.peers().to_vec();
    let form = FormValues::new(
        &query,
        shown.as_ref().map(|e| &e.summary),
        &state.defaults,
        !peers.is_empty(),
    );
    Ok(Dashboard {
        lang,
        instance: state.instance().to_string(),
        backend: state.store().backend().to_string(),
        events: events.into_iter().map(EventRow::new).collect(),
        nodes_up: nodes.iter().filter(|n| n.up).count(),
        nodes,
        quorum: state.booking.redlock.quorum(),
        etcd,
        strategies: StrategyRow::all(state.store().backend(), &history),
        peers,
        form,
        experiment: match shown {
            Some(experiment) => {
                let map = state.store().seat_map(experiment.summary.event_id).await?;
                let mut view = ExperimentView::new(experiment);
                view.seat_map = map.filter(|m| !m.seats.is_empty()).map(|m| seats::svg(&m));
                Some(view)
            }
            None => None,
        },
        cost: CostChart::from_history(&history).map(|chart| {
            askama::Template::render(&chart).expect("the cost chart template renders")
        }),
        history,
    })
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/style.css"))
}

pub async fn presenter_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/present.js"))
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/dashboard.js"))
}
