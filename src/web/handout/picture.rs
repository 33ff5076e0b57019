//! The handout's picture: ten requests for one ticket as a small schematic, drawn here as SVG
//! (classes only, no inline style, so the page's CSP lets it show). It is the shape a typical
//! run of the strategy has on the experiments' timeline, not a recorded run: a handout must look
//! the same every time it is printed.

use std::fmt::Write;

use oversold_api::StrategyName;

use crate::web::lang::PageLang;

/// The shapes a fight takes on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Everyone reads, waits and writes at once, unchecked: all ten book.
    Unchecked,
    /// Everyone at once, but the write checks the seat: one books, nine are refused.
    Checked,
    /// One holds the lock, the others wait for it in turn: one books.
    Staircase,
    /// Holders whose lease ended overlap, but the storage refuses their stale tokens.
    Fenced,
}

impl Shape {
    pub fn of(strategy: StrategyName) -> Shape {
        match strategy {
            StrategyName::NoLock => Shape::Unchecked,
            StrategyName::Atomic | StrategyName::Optimistic | StrategyName::Batched => {
                Shape::Checked
            }
            StrategyName::Fenced => Shape::Fenced,
            StrategyName::LocalMutex
            | StrategyName::Redis
            | StrategyName::Redlock
            | StrategyName::PgAdvisory
            | StrategyName::ForUpdate
            | StrategyName::Queue
            | StrategyName::Etcd => Shape::Staircase,
        }
    }

    pub fn caption_key(self) -> &'static str {
        match self {
            Shape::Unchecked => "handout-picture-unchecked",
            Shape::Checked => "handout-picture-checked",
            Shape::Staircase => "handout-picture-staircase",
            Shape::Fenced => "handout-picture-fenced",
        }
    }
}

const REQUESTS: usize = 10;
const ROW: f64 = 16.0;
const LEFT: f64 = 34.0;
const WIDTH: f64 = 560.0;
/// Time units across the drawing: ten holds of one unit each fit the staircase.
const SPAN: f64 = 11.0;

fn x(t: f64) -> f64 {
    LEFT + t / SPAN * (WIDTH - LEFT - 10.0)
}

fn bar(out: &mut String, row: usize, from: f64, to: f64, class: &str) {
    let y = 6.0 + row as f64 * ROW;
    let _ = write!(
        out,
        r#"<rect class="{class}" x="{:.1}" y="{y:.1}" width="{:.1}" height="10"/>"#,
        x(from),
        (x(to) - x(from)).max(2.0)
    );
}

fn mark(out: &mut String, row: usize, at: f64, class: &str, text: &str) {
    let y = 15.0 + row as f64 * ROW;
    let _ = write!(
        out,
        r#"<text class="{class}" x="{:.1}" y="{y:.1}">{text}</text>"#,
        x(at) + 3.0
    );
}

/// Text for SVG: the messages are ours, but an ampersand in a translation must not break the
/// drawing.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The picture of `shape` with its legend in the reader's language.
pub fn svg(shape: Shape, lang: &PageLang) -> String {
    let booked = escape(&lang.t("handout-mark-booked"));
    let refused = escape(&lang.t("handout-mark-refused"));
    let stale = escape(&lang.t("handout-mark-stale"));
    let mut body = String::new();
    for i in 0..REQUESTS {
        let _ = write!(
            body,
            r#"<text class="row-label" x="2" y="{:.1}">#{}</text>"#,
            15.0 + i as f64 * ROW,
            i + 1
        );
        match shape {
            Shape::Unchecked => {
                bar(&mut body, i, 0.1 * i as f64 / 4.0, 2.0, "unlocked");
                mark(&mut body, i, 2.0, "booked", &booked);
            }
            Shape::Checked => {
                bar(&mut body, i, 0.1 * i as f64 / 4.0, 2.0, "unlocked");
                if i == 0 {
                    mark(&mut body, i, 2.0, "booked", &booked);
                } else {
                    mark(&mut body, i, 2.0, "refused", &refused);
                }
            }
            Shape::Staircase => {
                let turn = i as f64;
                if i > 0 {
                    bar(&mut body, i, 0.0, turn, "waiting");
                }
                bar(
                    &mut body,
                    i,
                    turn,
                    turn + if i == 0 { 1.0 } else { 0.2 },
                    "holding",
                );
                let end = turn + if i == 0 { 1.0 } else { 0.2 };
                if i == 0 {
                    mark(&mut body, i, end, "booked", &booked);
                } else if i < 7 {
                    mark(&mut body, i, end, "refused", &refused);
                }
            }
            Shape::Fenced => {
                // Each early holder's lease ends after one unit while it still works for
                // three; the next takes the lock then, so four overlap.
                let start = i as f64;
                if i > 0 {
                    bar(&mut body, i, 0.0, start, "waiting");
                }
                if i < 4 {
                    bar(&mut body, i, start, start + 1.0, "holding");
                    bar(&mut body, i, start + 1.0, start + 3.0, "expired");
                    if i == 3 {
                        mark(&mut body, i, start + 3.0, "booked", &booked);
                    } else {
                        mark(&mut body, i, start + 3.0, "refused", &stale);
                    }
                } else {
                    bar(&mut body, i, start, start + 0.2, "holding");
                }
            }
        }
    }
    let legend: &[(&str, &str)] = match shape {
        Shape::Unchecked | Shape::Checked => &[("unlocked", "handout-legend-unlocked")],
        Shape::Staircase => &[
            ("waiting", "handout-legend-waiting"),
            ("holding", "handout-legend-holding"),
        ],
        Shape::Fenced => &[
            ("waiting", "handout-legend-waiting"),
            ("holding", "handout-legend-holding"),
            ("expired", "handout-legend-expired"),
        ],
    };
    let legend_y = 10.0 + REQUESTS as f64 * ROW;
    let mut at = LEFT;
    for (class, key) in legend {
        let words = escape(&lang.t(key));
        let _ = write!(
            body,
            r#"<rect class="{class}" x="{at:.1}" y="{legend_y:.1}" width="14" height="10"/><text class="legend" x="{:.1}" y="{:.1}">{words}</text>"#,
            at + 18.0,
            legend_y + 9.0
        );
        // Wide enough for the longer, Vietnamese words.
        at += 24.0 + words.chars().count() as f64 * 6.2;
    }
    let height = legend_y + 16.0;
    format!(
        r#"<svg class="handout-picture" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-label="{}">{body}</svg>"#,
        escape(&lang.t(shape.caption_key()))
    )
}
