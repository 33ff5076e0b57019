//! What the dashboard template shows, shaped and worded in Rust so the template stays markup.

use askama::Template;
use serde::Deserialize;

use crate::experiment::{timeline, Answer, Experiment, RunState, Summary, Tone};
use crate::i18n::Lang;
use crate::store::{Audit, Event};
use crate::strategy::{Defaults, Expected, Outcome, Registry, StrategyName};

/// The experiment form's values. The URL carries them (`/?strategy=redis&race_window_ms=500...`),
/// so a link reproduces a run and the form never forgets what was just run.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FormQuery {
    /// The experiment to show; the latest when absent.
    pub experiment: Option<i64>,
    pub strategy: Option<String>,
    pub requests: Option<u64>,
    pub capacity: Option<i64>,
    pub race_window_ms: Option<u64>,
    pub ttl_ms: Option<u64>,
    pub target: Option<String>,
}

/// What the form shows: the URL's values, else the shown run's, else the server's defaults.
pub struct FormValues {
    pub strategy: String,
    pub requests: i64,
    pub capacity: i64,
    pub race_window_ms: i64,
    pub ttl_ms: i64,
    /// `this` or `all`.
    pub target: String,
}

impl FormValues {
    pub fn new(
        query: &FormQuery,
        shown: Option<&Summary>,
        defaults: &Defaults,
        peers: bool,
    ) -> FormValues {
        let target = query
            .target
            .clone()
            .or_else(|| shown.map(|s| if s.targets.len() > 1 { "all" } else { "this" }.into()))
            .unwrap_or_else(|| if peers { "all" } else { "this" }.into());
        FormValues {
            strategy: query
                .strategy
                .clone()
                .or_else(|| shown.map(|s| s.strategy.clone()))
                .unwrap_or_else(|| "no-lock".into()),
            requests: query
                .requests
                .map(|r| r as i64)
                .or(shown.map(|s| s.requests))
                .unwrap_or(10),
            capacity: query.capacity.or(shown.map(|s| s.capacity)).unwrap_or(1),
            race_window_ms: query
                .race_window_ms
                .map(|r| r as i64)
                .or(shown.map(|s| s.race_window_ms))
                .unwrap_or(defaults.race_window.as_millis() as i64),
            ttl_ms: query
                .ttl_ms
                .map(|t| t as i64)
                .or(shown.map(|s| s.ttl_ms))
                .unwrap_or(defaults.ttl.as_millis() as i64),
            target: if target == "all" && peers {
                "all"
            } else {
                "this"
            }
            .into(),
        }
    }
}

/// The knobs of a stored run as the form's query string, for links that reproduce it.
pub fn knobs_query(summary: &Summary) -> String {
    let target = if summary.targets.len() > 1 {
        "all"
    } else {
        "this"
    };
    format!(
        "strategy={}&requests={}&capacity={}&race_window_ms={}&ttl_ms={}&target={target}",
        summary.strategy,
        summary.requests,
        summary.capacity,
        summary.race_window_ms,
        summary.ttl_ms
    )
}

/// One event in the live table.
pub struct EventRow {
    pub event: Event,
    pub audit: Audit,
    /// The room round that made the event, if one did.
    pub round: Option<i64>,
}

impl EventRow {
    pub fn new(event: Event) -> EventRow {
        EventRow {
            audit: event.audit(),
            event,
            round: None,
        }
    }

    /// The CSS class that colours the verdict: red oversold, amber lost updates, green clean.
    pub fn verdict_class(&self) -> &'static str {
        let a = &self.audit;
        if a.oversold > 0 || a.negative_available {
            "bad"
        } else if a.lost_updates {
            "warn"
        } else {
            "good"
        }
    }

    /// The verdict in the page's language (`static/dashboard.js` words it the same way, from
    /// the strings the page hands it).
    pub fn verdict(&self, lang: &Lang) -> String {
        let a = &self.audit;
        if a.oversold > 0 {
            lang.t1("event-oversold-by", "n", lang.number(a.oversold))
        } else if a.negative_available {
            lang.t("event-negative-availability")
        } else if a.lost_updates {
            lang.t("event-lost-updates")
        } else {
            lang.t("event-clean")
        }
    }
}

/// What a strategy does, in `lang`: in English the registry's description (the one `GET
/// /strategies` gives), in Vietnamese its handout's "what it is" (`locales/vi/handout.ftl`).
fn explained(strategy: StrategyName, lang: Lang) -> String {
    match lang {
        Lang::En => strategy.description().to_string(),
        Lang::Vi => lang.t(&format!("handout-{}-what", strategy.as_str())),
    }
}

/// One strategy in the explain panel, with its last result from the history.
pub struct StrategyRow {
    pub name: &'static str,
    pub description: String,
    pub expected: Expected,
    pub supported: bool,
    pub latest: Option<Summary>,
}

impl StrategyRow {
    pub fn all(
        running: crate::store::Backend,
        history: &[Summary],
        lang: Lang,
    ) -> Vec<StrategyRow> {
        StrategyName::ALL
            .iter()
            .map(|s| StrategyRow {
                name: s.as_str(),
                description: explained(*s, lang),
                expected: s.expected(),
                supported: s.databases().contains(&running),
                latest: history.iter().find(|h| h.strategy == s.as_str()).cloned(),
            })
            .collect()
    }
}

/// The experiment on show: its banner, the strategy's explanation, the timeline and the table.
pub struct ExperimentView {
    pub summary: Summary,
    pub description: String,
    pub tally: Vec<(String, usize)>,
    pub timeline: String,
    pub rows: Vec<AnswerRow>,
    /// The form's query string for this run's knobs.
    pub knobs: String,
    /// The run's seat map as an SVG, when it ran on one.
    pub seat_map: Option<String>,
}

impl ExperimentView {
    /// The view of a run, every word of it (timeline, answers, tally) in `lang`.
    pub fn new(experiment: Experiment, lang: Lang) -> ExperimentView {
        let strategy = &experiment.summary.strategy.parse::<StrategyName>().ok();
        ExperimentView {
            description: strategy.map_or_else(String::new, |s| explained(s, lang)),
            tally: experiment.tally_in(lang),
            timeline: timeline::svg_in(
                &experiment.answers,
                strategy.is_some_and(Registry::checks_its_write),
                &lang.t(match strategy {
                    // The lock key's revision is etcd's fencing token.
                    Some(StrategyName::Etcd) => "timeline-token-etcd",
                    _ => "timeline-token",
                }),
                lang,
            ),
            rows: {
                let mut tokens: Vec<i64> = experiment
                    .answers
                    .iter()
                    .filter_map(|a| a.trace.as_ref()?.fence_token)
                    .collect();
                tokens.sort_unstable();
                tokens.dedup();
                experiment
                    .answers
                    .iter()
                    .map(|a| AnswerRow::new(a, &tokens, lang))
                    .collect()
            },
            knobs: knobs_query(&experiment.summary),
            seat_map: None,
            summary: experiment.summary,
        }
    }

    pub fn running(&self) -> bool {
        self.summary.state == RunState::Running
    }
}

/// One request in the experiment's table, every number already formatted.
pub struct AnswerRow {
    pub number: usize,
    pub instance: String,
    pub outcome: String,
    pub booked: bool,
    pub latency: String,
    pub lock_wait: String,
    /// "#2", the token's age among this run's tokens (#1 the oldest), and its value for a tooltip.
    pub token: Option<(usize, i64)>,
    pub held: String,
    pub write: String,
    /// How the lock ended: "released at 212 ms", or "lease ended at 100 ms" when it expired
    /// under its holder.
    pub lock_end: String,
    pub lease_expired: bool,
}

impl AnswerRow {
    fn new(answer: &Answer, tokens: &[i64], lang: Lang) -> AnswerRow {
        let trace = answer.trace.as_ref();
        let lease_expired = trace.and_then(|t| t.lease_expired) == Some(true);
        let released = trace.and_then(|t| t.released_ms);
        let lease_ends = trace.and_then(|t| t.lease_ends_ms);
        AnswerRow {
            number: answer.index + 1,
            instance: answer.instance().to_string(),
            outcome: answer.outcome_in(lang),
            booked: answer.status == 201,
            latency: ms(Some(answer.latency_ms), lang),
            lock_wait: ms(trace.and_then(|t| t.lock_acquired_ms), lang),
            token: trace
                .and_then(|t| t.fence_token)
                .and_then(|value| Some((tokens.iter().position(|&t| t == value)? + 1, value))),
            held: ms(trace.and_then(|t| t.hold_ms()), lang),
            write: ms(
                trace.and_then(|t| Some(t.write_done_ms? - t.write_started_ms?)),
                lang,
            ),
            lock_end: match (lease_expired, lease_ends, released) {
                (true, Some(end), _) => lang.t1("lock-ended-lease", "ms", lang.decimal(end, 0)),
                (_, _, Some(at)) => lang.t1("lock-ended-released", "ms", lang.decimal(at, 0)),
                _ => "–".to_string(),
            },
            lease_expired,
        }
    }
}

/// "12 ms" ("2.5 ms", in Vietnamese "2,5 ms"), or a dash when the moment did not happen.
fn ms(value: Option<f64>, lang: Lang) -> String {
    match value {
        Some(v) if v < 10.0 => format!("{} ms", lang.decimal(v, 1)),
        Some(v) => format!("{} ms", lang.decimal(v, 0)),
        None => "–".to_string(),
    }
}

/// "2 instances" or the one instance's URL, for the history, in `lang`.
pub fn targets(summary: &Summary, lang: Lang) -> String {
    match summary.targets.as_slice() {
        [one] => one.trim_start_matches("http://").to_string(),
        many => instances(many.len(), lang),
    }
}

/// "one instance", "2 instances" in `lang`.
fn instances(count: usize, lang: Lang) -> String {
    match count {
        1 => lang.t("targets-one-instance"),
        n => lang.t1("targets-instances", "count", n),
    }
}

impl StrategyRow {
    /// The strategy's row of the design table, in words: one instance, two, paused past its TTL,
    /// and the two faults of the Redlock debate where the row expects something of them.
    pub fn expectations(&self) -> Vec<(&'static str, &'static str)> {
        let e = &self.expected;
        let mut row = vec![
            ("one instance", expectation(e.one_instance)),
            ("two instances", expectation(e.two_instances)),
            ("paused past TTL", expectation(e.paused_past_ttl)),
        ];
        if let Some(outcome) = e.restart_empty {
            row.push(("node restarts empty", expectation(outcome)));
        }
        if let Some(outcome) = e.clock_jump {
            row.push(("clock jump (early expiry)", expectation(outcome)));
        }
        row
    }
}

fn expectation(expected: Outcome) -> &'static str {
    match expected {
        Outcome::Safe => "safe",
        Outcome::Oversells => "oversells",
        Outcome::StaleRejected => "late holder refused",
    }
}

/// "312 ms · 32/s" (bookings answered per second): what a run cost, for the history.
pub fn cost(summary: &Summary, lang: Lang) -> String {
    if summary.state != RunState::Done {
        return "–".to_string();
    }
    format!(
        "{} · {}/s",
        ms(Some(summary.duration_ms), lang),
        lang.decimal(summary.throughput(), 0)
    )
}

/// The cost chart: the same fight (N requests, one race window, as many instances) under each
/// strategy, its time beside its verdict. Drawn by `templates/cost.svg`.
#[derive(Template)]
#[template(path = "cost.svg")]
pub struct CostChart {
    pub caption: String,
    pub bars: Vec<CostBar>,
    pub height: f64,
}

pub struct CostBar {
    pub strategy: String,
    pub id: i64,
    pub y: f64,
    pub width: f64,
    pub time: String,
    pub headline: String,
    pub tone: Tone,
}

/// Where the chart's bars start and how wide the longest is, in SVG units.
const COST_LABEL: f64 = 130.0;
const COST_BAR: f64 = 330.0;
const COST_ROW: f64 = 30.0;

impl CostBar {
    pub fn label_x(&self) -> f64 {
        COST_LABEL + self.width + 8.0
    }

    pub fn text_y(&self) -> f64 {
        self.y + 19.0
    }

    pub fn fill(&self) -> &'static str {
        match self.tone {
            Tone::Bad => "url(#cost-hatch-bad)",
            Tone::Warn => "url(#cost-dots-warn)",
            Tone::Good => "#0a5c1f",
        }
    }
}

impl CostChart {
    /// The latest finished run of each strategy with the same request count, race window and
    /// number of instances as the newest finished run; `None` until two strategies have one.
    pub fn from_history(history: &[Summary], lang: Lang) -> Option<CostChart> {
        let done: Vec<&Summary> = history
            .iter()
            .filter(|h| h.state == RunState::Done && h.duration_ms > 0.0)
            .collect();
        let newest = done.first()?;
        let same = |h: &&Summary| {
            h.requests == newest.requests
                && h.race_window_ms == newest.race_window_ms
                && h.targets.len() == newest.targets.len()
        };
        let mut picked: Vec<&Summary> = Vec::new();
        for strategy in StrategyName::ALL {
            if let Some(run) = done
                .iter()
                .filter(|h| same(h))
                .find(|h| h.strategy == strategy.as_str())
            {
                picked.push(run);
            }
        }
        if picked.len() < 2 {
            return None;
        }
        let longest = picked.iter().map(|p| p.duration_ms).fold(1.0, f64::max);
        let bars = picked
            .iter()
            .enumerate()
            .map(|(i, run)| CostBar {
                strategy: run.strategy.clone(),
                id: run.id,
                y: 6.0 + COST_ROW * i as f64,
                width: (run.duration_ms / longest * COST_BAR).max(2.0).round(),
                time: cost(run, lang),
                headline: run.verdict_in(&lang).headline,
                tone: run.verdict.tone,
            })
            .collect::<Vec<_>>();
        Some(CostChart {
            caption: lang.t_args(
                "cost-title",
                &[
                    ("requests", &lang.number(newest.requests)),
                    ("window", &lang.number(newest.race_window_ms)),
                    ("instances", &instances(newest.targets.len(), lang)),
                ],
            ),
            height: 12.0 + COST_ROW * bars.len() as f64,
            bars,
        })
    }

    pub fn label_width(&self) -> f64 {
        COST_LABEL
    }
}
