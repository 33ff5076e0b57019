//! The timeline picture: one row per request, drawn by the server as plain SVG.
//!
//! Every row sits on the experiment's clock (see [`Answer::started_ms`]) and shows the time
//! spent waiting for the lock, holding it (red past the moment its lease expired), writing, or
//! working between read and write with no lock at all. Where two or more requests are inside
//! their critical section at once, a red band runs down the whole picture: that is an oversell
//! waiting to happen, and with a lease that ran out it is two holders of one lock. A strategy
//! whose write checks what it read (`StrategyName::checks_its_write`) has no critical section
//! without a lock, so its unlocked reads are drawn but never banded.

use std::fmt::Write;

use super::Answer;

const WIDTH: f64 = 1200.0;
const LABEL: f64 = 190.0;
const OUTCOME: f64 = 260.0;
const TOP: f64 = 92.0;

/// Colours, each also told apart by height or position so colour is never the only signal.
const WAITING: &str = "#c9a227";
const HOLDING: &str = "#1f5fa8";
const EXPIRED: &str = "#c4161c";
const WRITING: &str = "#2b2b2b";
const UNLOCKED: &str = "#e07b00";
const OVERLAP: &str = "#c4161c";

/// Overlaps shorter than this are not drawn. The marks are taken after each round trip to Redis
/// or the database (and after the task is next polled), so a release and the next holder's
/// acquire can seem to overlap by a round trip without two holders ever having existed. The
/// overlaps the lab is about last a race window: a hundred milliseconds and more.
const MIN_OVERLAP_MS: f64 = 10.0;

/// One row's moments on the experiment's clock, in ms.
struct Row<'a> {
    answer: &'a Answer,
    start: f64,
    end: f64,
    lock: Option<f64>,
    release: Option<f64>,
    lease_end: Option<f64>,
    read: Option<f64>,
    write: Option<(f64, f64)>,
}

impl<'a> Row<'a> {
    fn new(answer: &'a Answer) -> Row<'a> {
        let start = answer.started_ms;
        let at = |mark: Option<f64>| mark.map(|m| start + m);
        let trace = answer.trace.as_ref();
        let end = trace.map_or(answer.sent_ms + answer.latency_ms, |t| start + t.total_ms);
        let write =
            trace.and_then(|t| Some((start + t.write_started_ms?, start + t.write_done_ms?)));
        let lock = at(trace.and_then(|t| t.lock_acquired_ms));
        let release = at(trace.and_then(|t| t.released_ms));
        let lease_end = at(trace.and_then(|t| t.lease_ends_ms));
        Row {
            answer,
            start,
            end,
            lock,
            release: release.or(lock.map(|_| end)),
            lease_end,
            read: at(trace.and_then(|t| t.read_ms)),
            write,
        }
    }

    /// The lease ran out while the request still held the lock.
    fn expired_at(&self) -> Option<f64> {
        let lease_end = self.lease_end?;
        let expired = self.answer.trace.as_ref()?.lease_expired == Some(true);
        (expired || self.release? > lease_end).then_some(lease_end)
    }

    /// When the request was between its read and its write with nothing else to stop a rival:
    /// the hold of a lock, or read to write without one unless the write checks the read.
    /// A retry that read again after its failed write has no such stretch.
    fn critical(&self, checked_write: bool) -> Option<(f64, f64)> {
        let (from, to) = match (self.lock, self.release) {
            (Some(from), Some(to)) => (from, to),
            _ if checked_write => return None,
            _ => (self.read?, self.write?.1),
        };
        (to > from).then_some((from, to))
    }

    /// The moment the row is sorted by: when it got the lock, or read without one.
    fn key(&self) -> f64 {
        self.lock.or(self.read).unwrap_or(self.end)
    }
}

/// Where the x axis puts a time, and how tall a row is.
struct Scale {
    ms_per_px: f64,
    row: f64,
}

impl Scale {
    fn x(&self, ms: f64) -> f64 {
        LABEL + ms.max(0.0) / self.ms_per_px
    }
}

/// The SVG for these answers, ready to be embedded in HTML. `checked_write`: the strategy's
/// write refuses a stale read by itself, so only lock holders can overlap dangerously.
pub fn svg(answers: &[Answer], checked_write: bool) -> String {
    let mut rows: Vec<Row> = answers.iter().map(Row::new).collect();
    rows.sort_by(|a, b| a.key().total_cmp(&b.key()));
    let span = rows.iter().map(|r| r.end).fold(1.0, f64::max) * 1.02;
    let step = tick_step(span);
    let scale = Scale {
        ms_per_px: span / (WIDTH - LABEL - OUTCOME),
        row: (720.0 / rows.len().max(1) as f64).clamp(7.0, 30.0),
    };
    let height = TOP + scale.row * rows.len() as f64 + 12.0;
    let overlaps = overlaps(&rows, checked_write);
    let most = overlaps.iter().map(|o| o.2).max().unwrap_or(0);

    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-labelledby="timeline-title timeline-desc" font-family="system-ui, sans-serif" font-size="15">"#
    );
    let _ = write!(
        out,
        "<title id=\"timeline-title\">Timeline of {} requests</title><desc id=\"timeline-desc\">{}</desc>",
        rows.len(),
        describe(&rows, most)
    );
    legend(&mut out);
    axis(&mut out, &scale, span, step, height);
    for &(from, to, _) in &overlaps {
        let _ = write!(
            out,
            r#"<rect class="overlap" x="{:.1}" y="{}" width="{:.1}" height="{:.1}" fill="{OVERLAP}" fill-opacity="0.16"/>"#,
            scale.x(from),
            TOP - 4.0,
            (scale.x(to) - scale.x(from)).max(1.0),
            height - TOP - 8.0
        );
    }
    if most >= 2 {
        let from = overlaps.first().map_or(0.0, |o| o.0);
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" fill="{OVERLAP}" font-weight="700">{most} in the critical section at once</text>"#,
            scale.x(from) + 4.0,
            TOP - 8.0
        );
    }
    // Fencing tokens are large (microseconds); what the room needs is their order.
    let mut tokens: Vec<i64> = answers
        .iter()
        .filter_map(|a| a.trace.as_ref()?.fence_token)
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    for (i, row) in rows.iter().enumerate() {
        draw_row(&mut out, &scale, TOP + scale.row * i as f64, row, &tokens);
    }
    out.push_str("</svg>");
    out
}

fn legend(out: &mut String) {
    let items = [
        (WAITING, 6.0, "waiting for the lock"),
        (HOLDING, 16.0, "holding the lock"),
        (EXPIRED, 16.0, "held after the lease expired"),
        (WRITING, 8.0, "writing"),
        (UNLOCKED, 16.0, "read → write, no lock"),
    ];
    let swatch = |out: &mut String, x: f64, colour: &str, opacity: f64, h: f64, label: &str| {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{:.1}" width="22" height="{h}" fill="{colour}" fill-opacity="{opacity}"/><text x="{}" y="22">{label}</text>"#,
            17.0 - h / 2.0,
            x + 28.0
        );
        x + 36.0 + label.chars().count() as f64 * 8.0
    };
    let mut x = 10.0;
    for (colour, h, label) in items {
        x = swatch(out, x, colour, 1.0, h, label);
    }
    swatch(out, x, OVERLAP, 0.16, 22.0, "two or more at once");
}

fn axis(out: &mut String, scale: &Scale, span: f64, step: f64, height: f64) {
    let mut t = 0.0;
    while t <= span {
        let x = scale.x(t);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{:.1}" stroke="#d0d0d0"/><text x="{x:.1}" y="{}" text-anchor="middle" fill="#333">{} ms</text>"##,
            TOP - 4.0,
            height - 4.0,
            TOP - 30.0,
            t.round()
        );
        t += step;
    }
}

fn draw_row(out: &mut String, scale: &Scale, y: f64, row: &Row, tokens: &[i64]) {
    let h = scale.row;
    let mid = y + h / 2.0;
    let bar = |out: &mut String, from: f64, to: f64, fraction: f64, colour: &str, class: &str| {
        let bar_h = (h * fraction).max(2.0);
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="{:.1}" height="{bar_h:.1}" fill="{colour}"/>"#,
            scale.x(from),
            mid - bar_h / 2.0,
            (scale.x(to) - scale.x(from)).max(1.5)
        );
    };
    // The request's whole life as a thin line, so a request that never got a lock still shows.
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{mid:.1}" x2="{:.1}" y2="{mid:.1}" stroke="#888" stroke-width="1"/>"##,
        scale.x(row.start),
        scale.x(row.end)
    );
    match (row.lock, row.release) {
        (Some(lock), Some(release)) => {
            bar(out, row.start, lock, 0.25, WAITING, "waiting");
            let expired = row.expired_at().filter(|at| *at < release);
            bar(
                out,
                lock,
                expired.unwrap_or(release),
                0.7,
                HOLDING,
                "holding",
            );
            if let Some(at) = expired {
                bar(out, at, release, 0.7, EXPIRED, "expired");
                let x = scale.x(at);
                let _ = write!(
                    out,
                    r#"<line class="lease-end" x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="{EXPIRED}" stroke-width="3"/>"#,
                    y + h
                );
            }
        }
        _ => {
            if let (Some(read), Some((_, done))) = (row.read, row.write) {
                bar(out, read, done, 0.7, UNLOCKED, "unlocked");
            }
        }
    }
    if let Some((from, to)) = row.write {
        bar(out, from, to, 0.3, WRITING, "writing");
    }
    if h >= 14.0 {
        let a = row.answer;
        let token = a
            .trace
            .as_ref()
            .and_then(|t| t.fence_token)
            .and_then(|t| tokens.iter().position(|&known| known == t))
            .map(|age| format!(" · token #{}", age + 1))
            .unwrap_or_default();
        let booked = a.status == 201;
        let _ = write!(
            out,
            r##"<text x="8" y="{:.1}">#{} {}</text><text x="{:.1}" y="{:.1}" fill="{}" font-weight="{}">{}{}</text>"##,
            mid + 5.0,
            a.index + 1,
            escape(a.instance()),
            WIDTH - OUTCOME + 10.0,
            mid + 5.0,
            if booked { "#0a5c1f" } else { "#333" },
            if booked { 700 } else { 400 },
            escape(&a.outcome()),
            token
        );
    }
}

/// Stretches of time with at least two requests in their critical section: (from, to, how many
/// at most).
fn overlaps(rows: &[Row], checked_write: bool) -> Vec<(f64, f64, usize)> {
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for (from, to) in rows.iter().filter_map(|r| r.critical(checked_write)) {
        edges.push((from, 1));
        edges.push((to, -1));
    }
    // Ends before starts at the same instant: a release and the next acquire do not overlap.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut result: Vec<(f64, f64, usize)> = Vec::new();
    let (mut inside, mut since, mut most) = (0i32, 0.0, 0usize);
    for (at, delta) in edges {
        let before = inside;
        inside += delta;
        if before < 2 && inside >= 2 {
            since = at;
            most = inside as usize;
        } else if before >= 2 && inside >= 2 {
            most = most.max(inside as usize);
        } else if before >= 2 && inside < 2 && at - since >= MIN_OVERLAP_MS {
            result.push((since, at, most));
        }
    }
    result
}

fn describe(rows: &[Row], most: usize) -> String {
    let holders = rows.iter().filter(|r| r.lock.is_some()).count();
    let expired = rows.iter().filter(|r| r.expired_at().is_some()).count();
    let mut text = format!("{} requests; {holders} took a lock", rows.len());
    if expired > 0 {
        let _ = write!(text, "; {expired} held it past its lease");
    }
    if most >= 2 {
        let _ = write!(
            text,
            "; at worst {most} were in the critical section at once"
        );
    } else {
        text.push_str("; never two in the critical section at once");
    }
    text
}

/// A round step for the axis: 1, 2 or 5 times a power of ten, about six ticks over `span`.
fn tick_step(span: f64) -> f64 {
    let rough = span / 6.0;
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Marks;

    fn answer(index: usize, sent_ms: f64, marks: Marks, status: u16) -> Answer {
        Answer {
            index,
            target: "http://127.0.0.1:1".into(),
            status,
            error: (status != 201).then(|| "sold_out".to_string()),
            sent_ms,
            latency_ms: marks.total_ms,
            started_ms: sent_ms,
            trace: Some(marks),
        }
    }

    fn held(from: f64, to: f64, lease_end: f64, expired: bool) -> Marks {
        Marks {
            instance: "app-<1>".into(),
            lock_acquired_ms: Some(from),
            lease_ends_ms: Some(lease_end),
            read_ms: Some(from + 1.0),
            write_started_ms: Some(to - 5.0),
            write_done_ms: Some(to - 1.0),
            released_ms: Some(to),
            lease_expired: Some(expired),
            total_ms: to + 1.0,
            ..Marks::default()
        }
    }

    #[test]
    fn fencing_tokens_are_numbered_by_age() {
        let token = |t| Marks {
            fence_token: Some(t),
            ..held(1.0, 2.0, 10_000.0, false)
        };
        let svg = svg(
            &[
                answer(0, 0.0, token(1_795_389_399_851_070), 201),
                answer(1, 0.0, token(1_795_389_398_797_342), 409),
            ],
            false,
        );
        assert!(svg.contains("201 booked · token #2"), "{svg}");
        assert!(svg.contains("409 sold_out · token #1"), "{svg}");
    }

    #[test]
    fn holders_one_after_the_other_draw_no_overlap() {
        let answers = [
            answer(0, 0.0, held(1.0, 200.0, 10_000.0, false), 201),
            answer(1, 0.0, held(201.0, 210.0, 10_000.0, false), 409),
        ];
        let svg = svg(&answers, false);
        assert_eq!(svg.matches(r#"class="holding""#).count(), 2);
        assert_eq!(svg.matches(r#"class="waiting""#).count(), 2);
        assert!(!svg.contains(r#"class="overlap""#), "{svg}");
        assert!(!svg.contains("lease-end"));
        assert!(svg.contains("never two in the critical section"));
        assert!(svg.contains("app-&lt;1&gt;"), "labels are escaped");
    }

    #[test]
    fn a_lease_that_ran_out_under_its_holder_shows_where_and_the_second_holder_overlaps() {
        let answers = [
            answer(0, 0.0, held(1.0, 600.0, 100.0, true), 201),
            answer(1, 0.0, held(101.0, 700.0, 200.0, true), 201),
        ];
        let svg = svg(&answers, false);
        assert_eq!(svg.matches("lease-end").count(), 2, "{svg}");
        assert_eq!(svg.matches(r#"class="expired""#).count(), 2);
        assert_eq!(svg.matches(r#"class="overlap""#).count(), 1);
        assert!(svg.contains("2 in the critical section at once"));
        assert!(svg.contains("2 held it past its lease"));
    }

    #[test]
    fn unlocked_racers_overlap_unless_the_write_checks_the_read() {
        let race = |i| {
            let marks = Marks {
                instance: "app-1".into(),
                read_ms: Some(2.0),
                write_started_ms: Some(202.0),
                write_done_ms: Some(205.0),
                total_ms: 206.0,
                ..Marks::default()
            };
            answer(i, i as f64, marks, 201)
        };
        let racers = [race(0), race(1), race(2)];
        let unchecked = svg(&racers, false);
        assert_eq!(unchecked.matches(r#"class="unlocked""#).count(), 3);
        assert_eq!(unchecked.matches(r#"class="writing""#).count(), 3);
        assert!(unchecked.contains("3 in the critical section at once"));
        let checked = svg(&racers, true);
        assert_eq!(checked.matches(r#"class="unlocked""#).count(), 3);
        assert!(!checked.contains(r#"class="overlap""#), "{checked}");
    }

    #[test]
    fn a_release_and_the_next_acquire_a_round_trip_apart_are_not_two_holders() {
        let answers = [
            answer(0, 0.0, held(1.0, 200.0, 10_000.0, false), 201),
            answer(1, 0.0, held(195.0, 210.0, 10_000.0, false), 409),
        ];
        assert!(!svg(&answers, false).contains(r#"class="overlap""#));
    }

    #[test]
    fn axis_steps_are_round_numbers() {
        assert_eq!(tick_step(230.0), 50.0);
        assert_eq!(tick_step(1000.0), 200.0);
        assert_eq!(tick_step(12.0), 2.0);
    }
}
