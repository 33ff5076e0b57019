//! Handouts: one printable page per strategy (`GET /handout/{strategy}`, and `GET /handout`
//! linking them all), in English or Vietnamese like every page: what the strategy is, a picture
//! of a typical fight of ten requests for one ticket, where it breaks (its row of the design
//! table, read from the strategy registry so the handout cannot disagree with the lab) and what
//! it costs. The words are in `locales/{en,vi}/handout.ftl`; `static/handout.css` makes each
//! handout exactly one A4 page when printed (`tests/handout.rs` prints every one).

use actix_web::{web, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use oversold_api::{Outcome, StrategyName};

use crate::strategy::Registry;
use crate::web::lang::PageLang;
use crate::web::ApiError;

mod picture;

pub use picture::Shape;

/// One cell of the strategy's row: the situation, and what ten requests at one ticket end in.
pub struct Cell {
    pub situation: String,
    pub outcome: String,
    /// `good`, `bad` or `fenced`, the class the cell is coloured with.
    pub class: &'static str,
}

fn cell(lang: &PageLang, situation: &str, outcome: Outcome) -> Cell {
    let (key, class) = match outcome {
        Outcome::Safe => ("handout-outcome-safe", "good"),
        Outcome::Oversells => ("handout-outcome-oversells", "bad"),
        Outcome::StaleRejected => ("handout-outcome-stale-rejected", "fenced"),
    };
    Cell {
        situation: lang.t(situation),
        outcome: lang.t(key),
        class,
    }
}

/// The strategy's row of the design table, in the reader's language.
pub fn row(lang: &PageLang, strategy: StrategyName) -> Vec<Cell> {
    let expected = strategy.expected();
    let mut cells = vec![
        cell(lang, "handout-one-instance", expected.one_instance),
        cell(lang, "handout-two-instances", expected.two_instances),
        cell(lang, "handout-paused-past-ttl", expected.paused_past_ttl),
    ];
    if let Some(outcome) = expected.restart_empty {
        cells.push(cell(lang, "handout-restart-empty", outcome));
    }
    if let Some(outcome) = expected.clock_jump {
        cells.push(cell(lang, "handout-clock-jump", outcome));
    }
    cells
}

#[derive(Template, WebTemplate)]
#[template(path = "handout/strategy.html")]
pub struct Handout {
    lang: PageLang,
    name: &'static str,
    what: String,
    cost: String,
    row: Vec<Cell>,
    picture: String,
    caption: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "handout/index.html")]
pub struct HandoutIndex {
    lang: PageLang,
    /// Each strategy's name and its one-line cost.
    strategies: Vec<(&'static str, String)>,
}

/// The message id of `part` for `strategy`: `handout-no-lock-what`.
fn key(strategy: StrategyName, part: &str) -> String {
    format!("handout-{}-{part}", strategy.as_str())
}

pub async fn index(lang: PageLang) -> HandoutIndex {
    let strategies = StrategyName::ALL
        .iter()
        .map(|&s| (s.as_str(), lang.t(&key(s, "cost"))))
        .collect();
    HandoutIndex { lang, strategies }
}

pub async fn page(name: web::Path<String>, lang: PageLang) -> Result<Handout, ApiError> {
    let strategy: StrategyName = name
        .parse()
        .map_err(|unknown| ApiError::NotFound(format!("{unknown}; GET /handout lists them")))?;
    let shape = Shape::of(strategy);
    Ok(Handout {
        name: strategy.as_str(),
        what: lang.t(&key(strategy, "what")),
        cost: lang.t(&key(strategy, "cost")),
        row: row(&lang, strategy),
        picture: picture::svg(shape, &lang),
        caption: lang.t(shape.caption_key()),
        lang,
    })
}

/// The handouts' styles, on screen and on paper.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/handout.css"))
}
