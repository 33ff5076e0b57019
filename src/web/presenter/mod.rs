//! The presenter at `/present`: one screen per workshop step, big type, moved with the arrow keys,
//! each step running its own experiment with one key and showing the banner and the timeline on
//! the same screen.
//!
//! The steps come from `templates/workshop/steps.toml` and, in Vietnamese, from
//! `templates/workshop/steps.vi.toml`, both read at build time. WORKSHOP.md and WORKSHOP.vi.md are
//! generated from the same files ([`markdown_in`], checked by `tests/workshop.rs`, which also
//! holds the two guides to the same steps and experiments), so the guides and the presenter
//! cannot drift apart. The steps' words are in those files; the screen's own words (keys, links,
//! status lines) are in `locales/{en,vi}/present.ftl`.

use std::sync::LazyLock;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use crate::experiment::{storage, Tone};
use crate::i18n::Lang;
use crate::web::dashboard::view::ExperimentView;
use crate::web::lang::PageLang;
use crate::web::room::qr;
use crate::web::ApiError;
use crate::web::AppState;

/// The workshop as written in `templates/workshop/steps.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub title: String,
    pub intro: String,
    pub outro: String,
    pub words: Words,
    pub steps: Vec<Step>,
}

/// The few words the generated guide and the settings line put around the steps, in the
/// guide's language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub presenter: String,
    /// "step {step}, **R** runs": what the presenter does at this step.
    pub runs: String,
    pub room_sees: String,
    pub ask: String,
    /// The settings line, with `{strategy}`, `{requests}`, `{seats}`, `{race}`, `{ttl}` and
    /// `{target}` filled in by [`Run::settings`].
    pub settings: String,
    pub one_seat: String,
    /// `{n}` seats.
    pub seats: String,
    pub target_all: String,
    pub target_this: String,
    /// The comment the generated file opens with, saying where it comes from.
    pub generated: String,
}

impl Words {
    /// "step 3, **R** runs".
    pub fn runs_at(&self, step: &usize) -> String {
        self.runs.replace("{step}", &step.to_string())
    }
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
    /// The settings in the guide's words, for the guide and the screen.
    pub fn settings(&self, words: &Words) -> String {
        let seats = if self.capacity == 1 {
            words.one_seat.clone()
        } else {
            words.seats.replace("{n}", &self.capacity.to_string())
        };
        let target = if self.target == "all" {
            &words.target_all
        } else {
            &words.target_this
        };
        words
            .settings
            .replace("{strategy}", &self.strategy)
            .replace("{requests}", &self.requests.to_string())
            .replace("{seats}", &seats)
            .replace("{race}", &self.race_window_ms.to_string())
            .replace("{ttl}", &self.ttl_ms.to_string())
            .replace("{target}", target)
    }
}

fn parse(source: &str, file: &str) -> Guide {
    toml::from_str(source).unwrap_or_else(|error| {
        panic!("{file} is a valid workshop (tests/workshop.rs checks it): {error}")
    })
}

static GUIDE_EN: LazyLock<Guide> = LazyLock::new(|| {
    parse(
        include_str!("../../../templates/workshop/steps.toml"),
        "templates/workshop/steps.toml",
    )
});

static GUIDE_VI: LazyLock<Guide> = LazyLock::new(|| {
    parse(
        include_str!("../../../templates/workshop/steps.vi.toml"),
        "templates/workshop/steps.vi.toml",
    )
});

/// The workshop's steps in `lang`, parsed once.
pub fn guide_in(lang: Lang) -> &'static Guide {
    match lang {
        Lang::En => &GUIDE_EN,
        Lang::Vi => &GUIDE_VI,
    }
}

/// The workshop's steps in English, the guide the tests of experiments walk through.
pub fn guide() -> &'static Guide {
    guide_in(Lang::En)
}

/// The generated guide's file name for `lang`, beside Cargo.toml.
pub fn markdown_file(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "WORKSHOP.md",
        Lang::Vi => "WORKSHOP.vi.md",
    }
}

#[derive(Template)]
#[template(path = "workshop.md")]
struct GuideMarkdown<'a> {
    guide: &'a Guide,
}

/// WORKSHOP.md (or WORKSHOP.vi.md) as generated from the steps in `lang`.
pub fn markdown_in(lang: Lang) -> String {
    GuideMarkdown {
        guide: guide_in(lang),
    }
    .render()
    .expect("the workshop template renders")
}

/// WORKSHOP.md as generated from the English steps.
pub fn markdown() -> String {
    markdown_in(Lang::En)
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
    lang: PageLang,
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
    /// The room's join link and its QR code, on the first step when room mode is on.
    join: Option<Join>,
}

/// The room's join link, as a QR code in a corner of the first step, so the room can join
/// while the instructor introduces the lab.
pub struct Join {
    url: String,
    svg: String,
}

impl Present {
    fn previous(&self) -> Option<usize> {
        (self.number > 1).then(|| self.number - 1)
    }

    fn next(&self) -> Option<usize> {
        (self.number < self.count).then(|| self.number + 1)
    }

    /// The status line the script shows while a run is going, `{requests}` and `{strategy}`
    /// left for it to fill.
    fn js_running(&self) -> String {
        self.lang.t2(
            "present-js-running",
            "requests",
            "{requests}",
            "strategy",
            "{strategy}",
        )
    }

    /// The script's words for a refusal without a message, `{status}` left for it.
    fn js_server_answered(&self) -> String {
        self.lang
            .t1("present-js-server-answered", "status", "{status}")
    }

    /// "812 ms for 10 requests", after the strategy in the banner's detail.
    fn run_summary(&self, run: &ExperimentView) -> String {
        self.lang.t2(
            "present-run-summary",
            "duration",
            format!("{:.0}", run.summary.duration_ms),
            "requests",
            run.summary.requests,
        )
    }
}

#[derive(Deserialize)]
pub struct PresentQuery {
    step: Option<usize>,
    /// The run of this step to show, after its key was pressed.
    experiment: Option<i64>,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PresentQuery>,
    lang: PageLang,
) -> Result<Present, ApiError> {
    let guide = guide_in(lang.lang);
    let steps = &guide.steps;
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
            let key = if up >= quorum {
                "present-nodes-quorum"
            } else {
                "present-nodes-no-quorum"
            };
            Some(lang.t_args(
                key,
                &[("up", &up), ("total", &health.len()), ("quorum", &quorum)],
            ))
        }
        None => None,
    };
    // Room mode is on when the lab knows the address phones reach it at.
    let room_mode = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|url| !url.trim().is_empty());
    let join = (room_mode && number == 1).then(|| {
        let url = qr::join_url(&state, &req);
        Join {
            svg: qr::svg_of(&url),
            url,
        }
    });
    Ok(Present {
        join,
        number,
        count: steps.len(),
        title: step.title.clone(),
        time: step.time.clone(),
        act: html(&step.act),
        sees: step.sees.as_deref().map(html),
        ask: html(&step.ask),
        settings: step.run.as_ref().map(|r| html(&r.settings(&guide.words))),
        run_json: run
            .as_ref()
            .map(|r| serde_json::to_string(r).expect("a run serializes")),
        single_instance: !peers && step.run.as_ref().is_some_and(|r| r.target == "all"),
        nodes,
        experiment: experiment.map(|e| ExperimentView::new(e, lang.lang)),
        lang,
    })
}

/// The presenter's own styles (the join code's corner); the rest is in style.css.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/present.css"))
}
