//! The timeline picture: one row per request, drawn by the server as SVG from an askama template
//! (`templates/timeline.svg`), which escapes every label.
//!
//! Every row sits on the experiment's clock (see [`Answer::started_ms`]) and shows the time
//! spent waiting for the lock, holding it (hatched red past the moment its lease ended), writing,
//! or working between read and write with no lock at all. Where two or more requests are inside
//! their critical section at once, a hatched red band runs down the whole picture: that is an
//! oversell waiting to happen, and with a lease that ran out it is two holders of one lock. A
//! strategy whose write checks what it read (`StrategyName::checks_its_write`) has no critical
//! section without a lock, so its unlocked reads are drawn but never banded.
//!
//! Made for a projector: labels are at least 16 px when the picture is shown at the width of a
//! 1280-px screen zoomed to 150 %, every mark differs by shape or pattern as well as colour, and
//! the legend lists exactly the marks the picture uses. Fencing tokens are shown by age (#1 is
//! the oldest), their value on hover.

use crate::i18n::Lang;
use askama::Template;

use super::Answer;

/// The picture's width in SVG units: about the CSS width of a projector zoomed to 150 % (853 px)
/// less the page's margins, so one unit is about one pixel there and the font size is the pixel size.
const WIDTH: f64 = 860.0;
const LABEL: f64 = 132.0;
const OUTCOME: f64 = 250.0;
const FONT: f64 = 17.0;
const LEGEND_ROW: f64 = 24.0;
/// Space for the axis labels between the legend and the first row.
const AXIS: f64 = 30.0;

/// Overlaps shorter than this are not drawn. The marks are taken after each round trip to Redis
/// or the database (and after the task is next polled), so a release and the next holder's
/// acquire can seem to overlap by a round trip without two holders ever having existed. The
/// overlaps the lab is about last a race window: a hundred milliseconds and more.
const MIN_OVERLAP_MS: f64 = 10.0;

/// The marks a picture can use, in legend order. Each has its own shape or pattern
/// (`templates/timeline.svg` draws them), its colour only confirming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    InFlight,
    Waiting,
    Holding,
    Expired,
    LeaseEnd,
    Unlocked,
    Writing,
    Overlap,
}

impl Mark {
    const ALL: [Mark; 8] = [
        Mark::InFlight,
        Mark::Waiting,
        Mark::Holding,
        Mark::Expired,
        Mark::LeaseEnd,
        Mark::Unlocked,
        Mark::Writing,
        Mark::Overlap,
    ];

    /// The legend's words for the mark in `lang` (`timeline-<key>` of `experiment.ftl`).
    pub fn label_in(self, lang: Lang) -> String {
        lang.t(&format!("timeline-{}", self.key()))
    }

    /// The legend's words for the mark, in English.
    pub fn label(self) -> &'static str {
        match self {
            Mark::InFlight => "request sent → answered",
            Mark::Waiting => "waiting for the lock",
            Mark::Holding => "holding the lock",
            Mark::Expired => "holding after the lease ended",
            Mark::LeaseEnd => "lease ended",
            Mark::Unlocked => "read → write, no lock",
            Mark::Writing => "writing",
            Mark::Overlap => "2+ in the critical section",
        }
    }

    /// The class the template draws the legend's sample with.
    pub fn key(self) -> &'static str {
        match self {
            Mark::InFlight => "key-flight",
            Mark::Waiting => "key-waiting",
            Mark::Holding => "key-holding",
            Mark::Expired => "key-expired",
            Mark::LeaseEnd => "key-lease",
            Mark::Unlocked => "key-unlocked",
            Mark::Writing => "key-writing",
            Mark::Overlap => "key-overlap",
        }
    }
}

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

/// A number for an SVG attribute: one decimal is finer than a pixel.
fn px(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The template's view of the picture: every position already worked out.
#[derive(Template)]
#[template(path = "timeline.svg")]
struct Picture {
    width: f64,
    height: f64,
    font: f64,
    title: String,
    desc: String,
    legend: Vec<Key>,
    ticks: Vec<Tick>,
    grid_top: f64,
    grid_bottom: f64,
    bands: Vec<Band>,
    band_label: Option<Label>,
    rows: Vec<RowView>,
}

struct Key {
    mark: Mark,
    /// The mark's words in the picture's language.
    label: String,
    x: f64,
    y: f64,
}

impl Key {
    fn text_x(&self) -> f64 {
        self.x + 30.0
    }

    fn mid(&self) -> f64 {
        self.y - 6.0
    }
}

struct Tick {
    x: f64,
    label: String,
}

struct Band {
    x: f64,
    width: f64,
}

struct Label {
    x: f64,
    y: f64,
    text: String,
}

/// A bar of one row: `class` names what it is (the tests and the browser count them).
struct Bar {
    class: &'static str,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

impl Bar {
    /// The bar's paint: a solid colour, or a pattern of `templates/timeline.svg`.
    fn fill(&self) -> &'static str {
        match self.class {
            "waiting" => "#8a6700",
            "holding" => "#1f5fa8",
            "expired" => "url(#tl-hatch-expired)",
            "unlocked" => "url(#tl-stripes-unlocked)",
            _ => "#111",
        }
    }
}

struct Token {
    age: usize,
    value: i64,
    /// What the token is: "fencing token", or for etcd "etcd revision (fencing token)".
    name: String,
}

struct RowView {
    mid: f64,
    text_y: f64,
    line_from: f64,
    line_to: f64,
    bars: Vec<Bar>,
    /// Where the lease ended under its holder, with the row's top and bottom.
    lease_end: Option<(f64, f64, f64)>,
    number: usize,
    instance: String,
    outcome: String,
    booked: bool,
    token: Option<Token>,
    /// Rows too thin to carry text (a crowd of requests) show only their bars.
    labelled: bool,
}

/// The SVG for these answers, ready to be embedded in HTML, its words in `lang`.
/// `checked_write`: the strategy's write refuses a stale read by itself, so only lock holders
/// can overlap dangerously. `token_name` is what the fencing token is ("fencing token", or for
/// etcd the lock key's revision), which its hover says.
pub fn svg_in(answers: &[Answer], checked_write: bool, token_name: &str, lang: Lang) -> String {
    let mut rows: Vec<Row> = answers.iter().map(Row::new).collect();
    rows.sort_by(|a, b| a.key().total_cmp(&b.key()));
    let span = rows.iter().map(|r| r.end).fold(1.0, f64::max) * 1.02;
    let step = tick_step(span);
    let scale = Scale {
        ms_per_px: span / (WIDTH - LABEL - OUTCOME),
        row: (520.0 / rows.len().max(1) as f64).clamp(7.0, 22.0),
    };
    let overlaps = overlaps(&rows, checked_write);
    let most = overlaps.iter().map(|o| o.2).max().unwrap_or(0);
    // Fencing tokens are large (microseconds); what the room needs is their order.
    let mut tokens: Vec<i64> = answers
        .iter()
        .filter_map(|a| a.trace.as_ref()?.fence_token)
        .collect();
    tokens.sort_unstable();
    tokens.dedup();

    let mut used: Vec<Mark> = Vec::new();
    let mut views = Vec::with_capacity(rows.len());
    // The rows are laid out after the legend, whose height depends on the marks used: draw them
    // from 0 and move them down once the legend is known.
    for (i, row) in rows.iter().enumerate() {
        views.push(row_view(
            &scale,
            scale.row * i as f64,
            row,
            (&tokens, token_name, lang),
            &mut used,
        ));
    }
    if !overlaps.is_empty() {
        used.push(Mark::Overlap);
    }
    let legend = legend(&used, lang);
    let legend_bottom = legend.last().map_or(0.0, |k| k.y + 8.0);
    // The band's label gets a line of its own between the legend and the axis labels.
    let label_line = if most >= 2 { LEGEND_ROW } else { 0.0 };
    let top = legend_bottom + label_line + AXIS;
    for view in &mut views {
        view.shift(top);
    }
    let height = top + scale.row * rows.len() as f64 + 8.0;
    let grid_top = top - 4.0;
    let grid_bottom = height - 4.0;
    let bands = overlaps
        .iter()
        .map(|&(from, to, _)| Band {
            x: px(scale.x(from)),
            width: px((scale.x(to) - scale.x(from)).max(1.0)),
        })
        .collect();
    let band_label = (most >= 2).then(|| Label {
        x: px(scale.x(overlaps.first().map_or(0.0, |o| o.0)) + 4.0),
        y: px(legend_bottom + FONT),
        text: lang.t1("timeline-band", "most", most),
    });
    let mut ticks = Vec::new();
    let mut t = 0.0;
    while t <= span {
        ticks.push(Tick {
            x: px(scale.x(t)),
            label: format!("{} ms", t.round()),
        });
        t += step;
    }
    Picture {
        width: WIDTH,
        height: px(height),
        font: FONT,
        title: lang.t1("timeline-title", "requests", rows.len()),
        desc: describe(&rows, most, lang),
        legend,
        ticks,
        grid_top: px(grid_top),
        grid_bottom: px(grid_bottom),
        bands,
        band_label,
        rows: views,
    }
    .render()
    .expect("the timeline template renders")
}

impl Picture {
    /// Where the axis labels sit: just above the first row, under the band's label.
    fn tick_y(&self) -> f64 {
        px(self.grid_top - 6.0)
    }
}

impl RowView {
    fn shift(&mut self, by: f64) {
        self.mid = px(self.mid + by);
        self.text_y = px(self.text_y + by);
        for bar in &mut self.bars {
            bar.y = px(bar.y + by);
        }
        if let Some((_, from, to)) = &mut self.lease_end {
            *from = px(*from + by);
            *to = px(*to + by);
        }
    }

    fn outcome_x(&self) -> f64 {
        WIDTH - OUTCOME + 10.0
    }
}

/// The legend, in rows that wrap at the picture's width; only the marks in `used`.
fn legend(used: &[Mark], lang: Lang) -> Vec<Key> {
    let mut keys = Vec::new();
    let (mut x, mut y) = (8.0, LEGEND_ROW - 6.0);
    for mark in Mark::ALL.into_iter().filter(|m| used.contains(m)) {
        // About half the font size per character, and room for the sample.
        let label = mark.label_in(lang);
        let width = 46.0 + label.chars().count() as f64 * FONT * 0.56;
        if x + width > WIDTH && x > 8.0 {
            x = 8.0;
            y += LEGEND_ROW;
        }
        keys.push(Key { mark, label, x, y });
        x += width;
    }
    keys
}

fn row_view(
    scale: &Scale,
    y: f64,
    row: &Row,
    (tokens, name, lang): (&[i64], &str, Lang),
    used: &mut Vec<Mark>,
) -> RowView {
    let h = scale.row;
    let mid = y + h / 2.0;
    let mut bars = Vec::new();
    let mut note = |mark: Mark| {
        if !used.contains(&mark) {
            used.push(mark);
        }
    };
    note(Mark::InFlight);
    let mut bar = |class: &'static str, from: f64, to: f64, fraction: f64| {
        let height = (h * fraction).max(2.0);
        bars.push(Bar {
            class,
            x: px(scale.x(from)),
            y: px(mid - height / 2.0),
            width: px((scale.x(to) - scale.x(from)).max(1.5)),
            height: px(height),
        });
    };
    let mut lease_end = None;
    match (row.lock, row.release) {
        (Some(lock), Some(release)) => {
            bar("waiting", row.start, lock, 0.25);
            note(Mark::Waiting);
            let expired = row.expired_at().filter(|at| *at < release);
            bar("holding", lock, expired.unwrap_or(release), 0.7);
            note(Mark::Holding);
            if let Some(at) = expired {
                bar("expired", at, release, 0.7);
                note(Mark::Expired);
                note(Mark::LeaseEnd);
                lease_end = Some((px(scale.x(at)), px(y), px(y + h)));
            }
        }
        _ => {
            if let (Some(read), Some((_, done))) = (row.read, row.write) {
                bar("unlocked", read, done, 0.7);
                note(Mark::Unlocked);
            }
        }
    }
    if let Some((from, to)) = row.write {
        bar("writing", from, to, 0.3);
        note(Mark::Writing);
    }
    let a = row.answer;
    let token = a
        .trace
        .as_ref()
        .and_then(|t| t.fence_token)
        .and_then(|value| {
            let age = tokens.iter().position(|&known| known == value)? + 1;
            Some(Token {
                age,
                value,
                name: name.to_string(),
            })
        });
    RowView {
        mid: px(mid),
        text_y: px(mid + FONT * 0.35),
        line_from: px(scale.x(row.start)),
        line_to: px(scale.x(row.end)),
        bars,
        lease_end,
        number: a.index + 1,
        instance: a.instance().to_string(),
        outcome: a.outcome_in(lang),
        booked: a.status == 201,
        token,
        labelled: h >= 14.0,
    }
}

/// Stretches of time with at least two requests in their critical section: (from, to, how many
/// at most).
fn overlaps(rows: &[Row], checked_write: bool) -> Vec<(f64, f64, usize)> {
    let mut seats: Vec<&str> = rows
        .iter()
        .flat_map(|r| r.answer.seats.iter().map(String::as_str))
        .collect();
    if seats.is_empty() {
        return overlaps_of(rows.iter(), checked_write);
    }
    // On a seat map the critical section is a seat's: two holders of different seats at once is
    // what a lock per seat is for; two in the same seat's is the danger.
    seats.sort_unstable();
    seats.dedup();
    let mut bands: Vec<(f64, f64, usize)> = seats
        .iter()
        .flat_map(|seat| {
            let holders = rows
                .iter()
                .filter(|r| r.answer.seats.iter().any(|s| s == seat));
            overlaps_of(holders, checked_write)
        })
        .collect();
    bands.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64, usize)> = Vec::new();
    for band in bands {
        match merged.last_mut() {
            Some(last) if band.0 <= last.1 => {
                last.1 = last.1.max(band.1);
                last.2 = last.2.max(band.2);
            }
            _ => merged.push(band),
        }
    }
    merged
}

/// The moments when two or more of `rows` were in their critical section at once.
fn overlaps_of<'r, 'a: 'r>(
    rows: impl Iterator<Item = &'r Row<'a>>,
    checked_write: bool,
) -> Vec<(f64, f64, usize)> {
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for (from, to) in rows.filter_map(|r| r.critical(checked_write)) {
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

fn describe(rows: &[Row], most: usize, lang: Lang) -> String {
    let holders = rows.iter().filter(|r| r.lock.is_some()).count();
    let expired = rows.iter().filter(|r| r.expired_at().is_some()).count();
    let mut text = lang.t2("timeline-desc", "requests", rows.len(), "holders", holders);
    if expired > 0 {
        text.push_str(&lang.t1("timeline-desc-expired", "expired", expired));
    }
    if most >= 2 {
        text.push_str(&lang.t1("timeline-desc-worst", "most", most));
    } else {
        text.push_str(&lang.t("timeline-desc-never"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Marks;

    /// The picture in English, the token named as `fenced` names it.
    fn svg(answers: &[Answer], checked_write: bool) -> String {
        svg_named(answers, checked_write, &Lang::En.t("timeline-token"))
    }

    fn svg_named(answers: &[Answer], checked_write: bool, token_name: &str) -> String {
        svg_in(answers, checked_write, token_name, Lang::En)
    }

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
            seats: Vec::new(),
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
    fn an_etcd_token_is_named_as_the_lock_keys_revision() {
        let marks = Marks {
            fence_token: Some(42),
            ..held(1.0, 2.0, 1_000.0, false)
        };
        let answers = [answer(0, 0.0, marks, 201)];
        let etcd = svg_named(&answers, false, "etcd revision (fencing token)");
        assert!(
            etcd.contains("<title>etcd revision (fencing token) #1: 42</title>"),
            "{etcd}"
        );
        assert!(svg(&answers, false).contains("<title>fencing token #1: 42</title>"));
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
        // askama escapes with numeric references.
        assert!(svg.contains("app-&#60;1&#62;"), "labels are escaped: {svg}");
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
    fn on_a_seat_map_holders_of_different_seats_at_once_are_no_overlap_but_of_one_seat_are() {
        let on = |index, seats: &[&str]| {
            let mut a = answer(index, 0.0, held(1.0, 200.0, 10_000.0, false), 201);
            a.seats = seats.iter().map(|s| s.to_string()).collect();
            a
        };
        let apart = [on(0, &["A1", "A2"]), on(1, &["A3"]), on(2, &["B1", "B2"])];
        let svg_apart = svg(&apart, false);
        assert!(!svg_apart.contains(r#"class="overlap""#), "{svg_apart}");
        assert!(svg_apart.contains("never two in the critical section"));
        let shared = [on(0, &["A1", "A2"]), on(1, &["A2", "A3"]), on(2, &["B1"])];
        let svg_shared = svg(&shared, false);
        assert_eq!(svg_shared.matches(r#"class="overlap""#).count(), 1);
        assert!(
            svg_shared.contains("2 in the critical section at once"),
            "{svg_shared}"
        );
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
