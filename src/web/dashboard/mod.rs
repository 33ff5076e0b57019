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
    /// Room mode (`--public-url` set): the join link and its QR code, for the room to scan.
    join: Option<(String, String)>,
}

impl Dashboard {
    fn targets(&self, summary: &Summary) -> String {
        targets(summary, self.lang.lang)
    }

    fn cost_of(&self, summary: &Summary) -> String {
        view::cost(summary, self.lang.lang)
    }

    fn knobs_of(&self, summary: &Summary) -> String {
        view::knobs_query(summary)
    }

    /// A word of a strategy's expected row ("one instance", "safe", ...) in the page's language:
    /// the message `expect-<the English words, dashed>`.
    fn expect_word(&self, english: &str) -> String {
        let slug: String = english
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let slug: Vec<&str> = slug.split('-').filter(|s| !s.is_empty()).collect();
        self.lang.t(&format!("expect-{}", slug.join("-")))
    }

    /// The audit's figures under a run's banner.
    fn audit_line(&self, audit: &crate::store::Audit) -> String {
        let lang = &self.lang;
        let lost = lang.t(if audit.lost_updates {
            "board-yes"
        } else {
            "board-no"
        });
        lang.t_args(
            "experiment-audit",
            &[
                ("booked", &lang.number(audit.booked)),
                ("available", &lang.number(audit.available)),
                ("oversold", &lang.number(audit.oversold)),
                ("lost", &lost),
            ],
        )
    }

    /// What a running run is, while its banner waits for the audit.
    fn running_detail(&self, summary: &Summary) -> String {
        let lang = &self.lang;
        lang.t_args(
            "experiment-running-detail",
            &[
                ("requests", &lang.number(summary.requests)),
                (
                    "seats",
                    &lang.t1("verdict-seats", "n", lang.number(summary.capacity)),
                ),
                ("window", &lang.number(summary.race_window_ms)),
            ],
        )
    }

    /// A finished run's knobs and timings in one sentence.
    fn knobs_line(&self, summary: &Summary) -> String {
        let lang = &self.lang;
        lang.t_args(
            "experiment-knobs",
            &[
                ("requests", &lang.number(summary.requests)),
                (
                    "seats",
                    &lang.t1("verdict-seats", "n", lang.number(summary.capacity)),
                ),
                ("event", &summary.event_id),
                ("window", &lang.number(summary.race_window_ms)),
                ("ttl", &lang.number(summary.ttl_ms)),
                ("targets", &targets(summary, self.lang.lang)),
                ("duration", &lang.decimal(summary.duration_ms, 0)),
                ("throughput", &lang.decimal(summary.throughput(), 0)),
            ],
        )
    }

    /// The words `static/dashboard.js` shows, in the page's language, as the JSON of a data
    /// block (never executed, so the CSP allows it). `{name}` marks where the script puts a value.
    fn js_strings(&self) -> String {
        let lang = &self.lang;
        let mut strings = serde_json::Map::new();
        for key in [
            "event-negative-availability",
            "event-lost-updates",
            "event-clean",
            "board-yes",
            "board-no",
            "js-live-paused",
            "node-up",
            "node-down",
            "etcd-up-no-leader",
            "etcd-is-leader",
            "etcd-no-leader",
            "redis-quorum-up",
            "redis-no-quorum",
            "js-every-instance",
            "form-this-instance",
        ] {
            strings.insert(key.into(), lang.t(key).into());
        }
        let placeheld = [
            ("event-oversold-by", vec!["n"]),
            ("js-live-updated", vec!["time"]),
            ("js-up-of", vec!["up", "total"]),
            ("js-running", vec!["requests", "strategy", "where"]),
            ("js-loading", vec!["id", "headline"]),
        ];
        for (key, names) in placeheld {
            let marks: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
            let args: Vec<(&str, &dyn std::fmt::Display)> = names
                .iter()
                .zip(&marks)
                .map(|(n, m)| (*n, m as &dyn std::fmt::Display))
                .collect();
            strings.insert(key.into(), lang.t_args(key, &args).into());
        }
        // "</script>" inside the data would end the block: JSON may write "<" as \u003c.
        serde_json::Value::Object(strings)
            .to_string()
            .replace('<', "\\u003c")
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
    req: actix_web::HttpRequest,
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
    let rounds = crate::room::storage::round_events(state.store()).await?;
    let peers = state.experiments.peers().to_vec();
    let form = FormValues::new(
        &query,
        shown.as_ref().map(|e| &e.summary),
        &state.defaults,
        !peers.is_empty(),
    );
    let language = lang.lang;
    Ok(Dashboard {
        lang,
        instance: state.instance().to_string(),
        backend: state.store().backend().to_string(),
        events: events
            .into_iter()
            .map(|event| {
                let round = rounds.iter().find(|(e, _)| *e == event.id).map(|(_, r)| *r);
                EventRow {
                    round,
                    ..EventRow::new(event)
                }
            })
            .collect(),
        join: room_join(&state, &req),
        nodes_up: nodes.iter().filter(|n| n.up).count(),
        nodes,
        quorum: state.booking.redlock.quorum(),
        etcd,
        strategies: StrategyRow::all(state.store().backend(), &history, language),
        peers,
        form,
        experiment: match shown {
            Some(experiment) => {
                let map = state.store().seat_map(experiment.summary.event_id).await?;
                let mut view = ExperimentView::new(experiment, language);
                view.seat_map = map
                    .filter(|m| !m.seats.is_empty())
                    .map(|m| seats::svg(&m, language));
                Some(view)
            }
            None => None,
        },
        cost: CostChart::from_history(&history, language).map(|chart| {
            askama::Template::render(&chart).expect("the cost chart template renders")
        }),
        history,
    })
}

/// The join link and QR code, when the server runs in room mode (a public URL is set).
fn room_join(state: &AppState, req: &actix_web::HttpRequest) -> Option<(String, String)> {
    state
        .config
        .public_url
        .as_deref()
        .filter(|url| !url.trim().is_empty())?;
    let url = crate::web::room::qr::join_url(state, req);
    let svg = crate::web::room::qr::svg_of(&url);
    Some((url, svg))
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
