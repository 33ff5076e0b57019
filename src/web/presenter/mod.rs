//! The presenter at `/present`: one screen per workshop step, big type, moved with the arrow keys,
//! each step running its own experiment with one key and showing the banner and the timeline on
//! the same screen.
//!
//! The steps come from `templates/workshop/steps.toml`, read at build time. WORKSHOP.md is
//! generated from the same file ([`markdown`], checked by `tests/workshop.rs`), so the guide and
//! the presenter cannot drift apart. Every word a person reads on these screens is in that file
//! or in `templates/present.html`, ready for a second language beside them.

use std::sync::LazyLock;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use crate::experiment::{storage, Tone};
use crate::web::dashboard::view::ExperimentView;
use crate::web::ApiError;
use crate::web::AppState;

/// The workshop as written in `templates/workshop/steps.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub title: String,
    pub intro: String,
    pub outro: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    pub time: String,
    /// What the instructor does or says.
    #[serde(rename = "do")]
    pub act: String,
    /// What the room sees once the step is done.
    pub sees: Option<String>,
    pub ask: String,
    pub run: Option<Run>,
    pub expect: Option<Expect>,
    pub lab: Option<Lab>,
}

/// The experiment a step runs: the body of `POST /experiments`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub strategy: String,
    #[serde(default = "ten")]
    pub requests: u64,
    #[serde(default = "one")]
    pub capacity: i64,
    pub race_window_ms: u64,
    #[serde(default = "ten_seconds")]
    pub ttl_ms: u64,
    /// `this` or `all`.
    pub target: String,
}

fn ten() -> u64 {
    10
}

fn one() -> i64 {
    1
}

fn ten_seconds() -> u64 {
    10_000
}

/// What the step's banner must say: its tone, and how its headline starts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub tone: Tone,
    pub headline: String,
}

/// The state of the lab a step needs before it runs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// How many of the five Redis nodes the instructor has stopped (the last ones first).
    pub redis_nodes_stopped: usize,
}

impl Run {
    /// The settings in words, for the guide and the screen.
    pub fn settings(&self) -> String {
        let seats = if self.capacity == 1 {
            "1 seat".to_string()
        } else {
            format!("{} seats", self.capacity)
        };
        let target = if self.target == "all" {
            "spread over both instances"
        } else {
            "to one instance"
        };
        format!(
            "`{}`, {} requests at {seats}, race window {} ms, lock TTL {} ms, {target}",
            self.strategy, self.requests, self.race_window_ms, self.ttl_ms
        )
    }
}

static GUIDE: LazyLock<Guide> = LazyLock::new(|| {
    toml::from_str(include_str!("../../../templates/workshop/steps.toml"))
        .expect("templates/workshop/steps.toml is a valid workshop (tests/workshop.rs checks it)")
});

/// The workshop's steps, parsed once.
pub fn guide() -> &'static Guide {
    &GUIDE
}

#[derive(Template)]
#[template(path = "workshop.md")]
struct GuideMarkdown<'a> {
    guide: &'a Guide,
}

/// WORKSHOP.md as generated from the steps.
pub fn markdown() -> String {
    GuideMarkdown { guide: guide() }
        .render()
        .expect("the workshop template renders")
}

/// Markdown to HTML, for text from the steps file (ours, so trusted).
fn html(markdown: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(markdown.trim()));
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "present.html")]
pub struct Present {
    number: usize,
    count: usize,
    title: String,
    time: String,
    act: String,
    sees: Option<String>,
    ask: String,
    settings: Option<String>,
    /// The JSON the run key posts to `/experiments`.
    run_json: Option<String>,
    /// The step asks for two instances and this one knows none: it runs on this one, and says so.
    single_instance: bool,
    nodes: Option<String>,
    experiment: Option<ExperimentView>,
}

impl Present {
    fn previous(&self) -> Option<usize> {
        (self.number > 1).then(|| self.number - 1)
    }

    fn next(&self) -> Option<usize> {
        (self.number < self.count).then(|| self.number + 1)
    }
}

#[derive(Deserialize)]
pub struct PresentQuery {
    step: Option<usize>,
    /// The run of this step to show, after its key was pressed.
    experiment: Option<i64>,
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<PresentQuery>,
) -> Result<Present, ApiError> {
    let steps = &guide().steps;
    let number = query.step.unwrap_or(1).clamp(1, steps.len());
    let step = &steps[number - 1];
    let peers = !state.experiments.peers().is_empty();
    let run = step.run.clone().map(|mut run| {
        if !peers {
            run.target = "this".into();
        }
        run
    });
    let experiment = match query.experiment {
        Some(id) => Some(
            storage::find(state.store(), id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("experiment {id} does not exist")))?,
        ),
        None => None,
    };
    let nodes = match step.lab {
        Some(_) => {
            let health = state.booking.redlock.health().await;
            let up = health.iter().filter(|n| n.up).count();
            let quorum = state.booking.redlock.quorum();
            Some(format!(
                "{up} of {} Redis nodes up; Redlock needs {quorum}: {}",
                health.len(),
                if up >= quorum {
                    "quorum is up"
                } else {
                    "NO QUORUM"
                }
            ))
        }
        None => None,
    };
    Ok(Present {
        number,
        count: steps.len(),
        title: step.title.clone(),
        time: step.time.clone(),
        act: html(&step.act),
        sees: step.sees.as_deref().map(html),
        ask: html(&step.ask),
        settings: step.run.as_ref().map(|r| html(&r.settings())),
        run_json: run
            .as_ref()
            .map(|r| serde_json::to_string(r).expect("a run serializes")),
        single_instance: !peers && step.run.as_ref().is_some_and(|r| r.target == "all"),
        nodes,
        experiment: experiment.map(ExperimentView::new),
    })
}
