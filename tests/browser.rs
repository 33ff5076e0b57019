//! The dashboard and the presenter in a real headless Chromium: a person's clicks, a person's view.
//!
//! Two instances over one database; the browser opens the second one's dashboard, runs a no-lock
//! and a with-lock experiment over both by filling in the form and clicking, and reads the
//! verdicts and the timeline off the page, checked against the audit. Another test walks every
//! presenter step at the size of a 1280×720 projector zoomed to 150 % (853×480 CSS px), running
//! each step's experiment with its key and checking its verdict and that it fits, in English and
//! in Vietnamese. Screenshots are
//! saved under `target/screenshots/` for a person to look at.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use oversold::experiment::Summary;
use oversold::i18n::Lang;
use oversold::web::presenter::guide_in;
use serde_json::Value;
use testkit::fantoccini::{Client, Locator};
use testkit::{spawn_app, spawn_app_with, AppOptions, Backend, Browser, TestApp};

const WAIT: Duration = Duration::from_secs(60);

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

async fn save_screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("write the screenshot");
    path
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until the element's text satisfies `done`, and returns it.
async fn wait_for_text(client: &Client, css: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if done(&text) {
                    return text;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed the expected text; the page was:\n{}",
            client.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The event the newest experiment made for itself, from the history's JSON.
async fn latest_event(app: &TestApp) -> i64 {
    let listed: Value = app.get("/experiments").await.json().await.unwrap();
    listed[0]["event_id"].as_i64().expect("an experiment ran")
}

/// Runs `script` in the page and returns what it returns.
async fn js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .expect("the script runs")
}

/// No sideways scrolling: the page is no wider than the window.
async fn assert_fits_sideways(client: &Client, what: &str) {
    let widths = js(
        client,
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]",
    )
    .await;
    assert!(
        widths[0].as_f64() <= widths[1].as_f64(),
        "{what} scrolls sideways: scrollWidth, clientWidth = {widths}"
    );
}

/// The bottom of the element, in CSS px from the top of the window, and the window's height.
async fn bottom_and_height(client: &Client, css: &str) -> (f64, f64) {
    edge_and_height(client, css, "bottom").await
}

/// The top of the element, in CSS px from the top of the window, and the window's height.
async fn top_and_height(client: &Client, css: &str) -> (f64, f64) {
    edge_and_height(client, css, "top").await
}

async fn edge_and_height(client: &Client, css: &str, edge: &str) -> (f64, f64) {
    let answer = js(
        client,
        &format!(
            "const e = document.querySelector({css:?}); \
             return [e.getBoundingClientRect().{edge}, window.innerHeight]"
        ),
    )
    .await;
    (answer[0].as_f64().unwrap(), answer[1].as_f64().unwrap())
}

/// Fills in the experiment form the way a person would and clicks Run.
async fn run_experiment(client: &Client, strategy: &str) {
    let form = client.find(Locator::Css("#experiment-form")).await.unwrap();
    form.find(Locator::Css("#strategy"))
        .await
        .unwrap()
        .select_by_value(strategy)
        .await
        .unwrap();
    let race = form.find(Locator::Css("#race_window_ms")).await.unwrap();
    race.clear().await.unwrap();
    race.send_keys("300").await.unwrap();
    form.find(Locator::Css("input[name=target][value=all]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#run-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn timeline_bars(client: &Client, class: &str) -> usize {
    client
        .find_all(Locator::Css(&format!("svg.timeline rect.{class}")))
        .await
        .unwrap()
        .len()
}

async fn two_instances() -> (TestApp, TestApp) {
    let first = spawn_app(Backend::Sqlite).await;
    let second = first.spawn_twin("app-2").await;
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_runs_no_lock_then_with_lock_from_the_dashboard_and_sees_both_verdicts() {
    let browser = Browser::start(1400, 1300).await;
    let (first, second) = two_instances().await;
    let client = &browser.client;
    client.goto(&format!("{}/", second.address)).await.unwrap();
    wait_for_text(client, "#live-status", |t| t.starts_with("Live: updated")).await;
    save_screenshot(client, "dashboard-start.png").await;

    run_experiment(client, "no-lock").await;
    wait_for_text(client, "#result-heading", |t| t.ends_with("no-lock")).await;
    let audit = first.audit(latest_event(&first).await).await;
    assert!(audit.oversold >= 1, "{audit:?}");
    let headline = text(client, "#verdict .headline").await;
    assert_eq!(headline, format!("OVERSOLD by {}", audit.oversold));
    assert_eq!(
        timeline_bars(client, "unlocked").await,
        10,
        "ten racers, no lock"
    );
    assert!(text(client, "#result .explain")
        .await
        .contains("No protection"));
    let no_lock = save_screenshot(client, "dashboard-no-lock.png").await;

    run_experiment(client, "redis").await;
    wait_for_text(client, "#result-heading", |t| t.ends_with("redis")).await;
    let audit = first.audit(latest_event(&first).await).await;
    assert_eq!((audit.booked, audit.clean), (1, true), "{audit:?}");
    assert_eq!(
        text(client, "#verdict .headline").await,
        "exactly one booking"
    );
    assert_eq!(
        timeline_bars(client, "holding").await,
        10,
        "each took its turn"
    );
    assert_eq!(
        timeline_bars(client, "overlap").await,
        0,
        "never two holders"
    );
    let history = text(client, "table.history").await;
    assert!(
        history.contains("OVERSOLD by") && history.contains("exactly one booking"),
        "{history}"
    );
    let with_lock = save_screenshot(client, "dashboard-with-lock.png").await;

    // The quick button is one click: ten requests over both instances with the defaults.
    client
        .find(Locator::XPath("//button[text()='10 requests, no lock']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(client, "#result-heading", |t| t == "Experiment 3: no-lock").await;
    assert!(text(client, "#verdict .headline")
        .await
        .starts_with("OVERSOLD by"));
    assert!(text(client, "#result .knobs")
        .await
        .contains("sent to 2 instances"));

    // The events table keeps up by itself: a booking made elsewhere shows without a reload.
    first.post("/book-no-lock/3?race_window_ms=0", None).await;
    let booked = "tr[data-event-id=\"3\"] [data-field=booked]";
    wait_for_text(client, booked, |t| t == "1").await;

    browser.close().await;
    eprintln!(
        "screenshots: {} and {}",
        no_lock.display(),
        with_lock.display()
    );
}

/// The value of a form field, as the page has it now.
async fn field(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_keeps_its_settings_after_a_run_and_a_reload_mid_run_shows_the_result() {
    let browser = Browser::start(853, 480).await;
    let (first, second) = two_instances().await;
    let client = &browser.client;
    client.goto(&format!("{}/", second.address)).await.unwrap();
    let form = client.find(Locator::Css("#experiment-form")).await.unwrap();
    form.find(Locator::Css("#strategy"))
        .await
        .unwrap()
        .select_by_value("redis")
        .await
        .unwrap();
    for (id, value) in [("race_window_ms", "2500"), ("ttl_ms", "4000")] {
        let input = form.find(Locator::Css(&format!("#{id}"))).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    client
        .find(Locator::Css("#run-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The run is stored as soon as it starts: reload while its requests sit in the race window.
    let deadline = Instant::now() + WAIT;
    loop {
        let listed: Value = first.get("/experiments").await.json().await.unwrap();
        if listed[0]["state"] == "running" {
            break;
        }
        assert!(Instant::now() < deadline, "the run never showed as running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.refresh().await.unwrap();
    let heading = text(client, "#result-heading").await;
    assert!(heading.ends_with("is running"), "{heading}");
    save_screenshot(client, "dashboard-running.png").await;
    wait_for_text(client, "#result-heading", |t| t.ends_with("redis")).await;
    assert_eq!(
        text(client, "#verdict .headline").await,
        "exactly one booking"
    );
    let audit = first.audit(latest_event(&first).await).await;
    assert_eq!((audit.booked, audit.clean), (1, true), "{audit:?}");

    // The form shows what was just run, and the URL carries it.
    assert_eq!(field(client, "#strategy").await, "redis");
    assert_eq!(field(client, "#race_window_ms").await, "2500");
    assert_eq!(field(client, "#ttl_ms").await, "4000");
    let url = client.current_url().await.unwrap();
    assert!(url.as_str().contains("strategy=redis"), "{url}");
    assert!(
        url.as_str().contains("race_window_ms=2500&ttl_ms=4000"),
        "{url}"
    );

    // On the projector's 853 px, nothing scrolls sideways and the verdict is on the first screen.
    assert_fits_sideways(client, "the dashboard at 853 px").await;
    let (verdict_bottom, height) = bottom_and_height(client, "#verdict").await;
    assert!(
        verdict_bottom <= height,
        "the verdict is below the fold: {verdict_bottom} > {height}"
    );
    // The timeline starts on that same first screen, under the verdict: the room sees both
    // without anyone scrolling.
    let (timeline_top, _) = top_and_height(client, "#result .timeline-figure svg").await;
    assert!(
        timeline_top < height * 0.75,
        "the timeline starts below the first screen's upper three quarters: {timeline_top} of {height}"
    );
    save_screenshot(client, "dashboard-853.png").await;
    browser.close().await;

    // And on a phone: the same result, nothing scrolls sideways there either (wide tables
    // scroll inside their own box).
    let phone = Browser::start(390, 844).await;
    phone.client.goto(url.as_str()).await.unwrap();
    wait_for_text(&phone.client, "#result-heading", |t| t.ends_with("redis")).await;
    assert_fits_sideways(&phone.client, "the dashboard on a 390 px phone").await;
    save_screenshot(&phone.client, "dashboard-phone.png").await;
    phone.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_walks_every_workshop_step_with_its_verdict_on_a_projector_screen() {
    walk_the_presenter(Lang::En).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vietnamese_presenter_walks_every_step_with_its_verdict_in_vietnamese() {
    walk_the_presenter(Lang::Vi).await;
}

/// Every step of the guide in `lang`, on the projector: run with R where the step runs, the
/// banner the guide promises, the verdict the audit gives in that language, and a fit.
async fn walk_the_presenter(lang: Lang) {
    // The projector: 1280×720 zoomed to 150 % is 853×480 CSS px.
    let browser = Browser::start(853, 480).await;
    let first = spawn_app_with(AppOptions {
        redis_nodes: 5,
        ..AppOptions::new(Backend::Sqlite)
    })
    .await;
    let second = first.spawn_twin("app-2").await;
    let client = &browser.client;
    let steps = &guide_in(lang).steps;
    let mut stopped = 0;
    client
        .goto(&format!("{}/present?lang={}", second.address, lang.code()))
        .await
        .unwrap();
    for (i, step) in steps.iter().enumerate() {
        let number = i + 1;
        wait_for_text(client, ".step-number", |t| {
            t == format!("{number}/{}", steps.len())
        })
        .await;
        // The lab as the step needs it: the instructor stopped the last Redis nodes.
        let wanted = step.lab.as_ref().map_or(0, |l| l.redis_nodes_stopped);
        while stopped < wanted {
            first.redis[first.redis.len() - 1 - stopped].stop();
            stopped += 1;
        }
        assert_fits_sideways(client, &format!("step {number}")).await;
        // Saved before the layout is judged, so a failure has its picture.
        let shot = match lang {
            Lang::En => format!("present-step-{number:02}.png"),
            Lang::Vi => format!("present-vi-result-{number:02}.png"),
        };
        if step.run.is_none() {
            save_screenshot(client, &shot).await;
        }
        if step.run.is_some() {
            client
                .find(Locator::Css("body"))
                .await
                .unwrap()
                .send_keys("r")
                .await
                .unwrap();
            let headline = wait_for_text(client, "#verdict .headline", |t| !t.is_empty()).await;
            let tone = client
                .find(Locator::Css("#verdict"))
                .await
                .unwrap()
                .attr("class")
                .await
                .unwrap()
                .unwrap_or_default();
            if let Some(expect) = &step.expect {
                assert!(
                    headline.starts_with(&expect.headline),
                    "step {number} ({}): the guide promises {:?}, the room sees {headline:?}",
                    step.title,
                    expect.headline
                );
                assert!(
                    tone.contains(expect.tone.class()),
                    "step {number}: tone {tone}, expected {:?}",
                    expect.tone
                );
            }
            // The verdict comes from the audit of the run's own event, in the page's language.
            let listed: Value = first.get("/experiments").await.json().await.unwrap();
            let audit = first.audit(listed[0]["event_id"].as_i64().unwrap()).await;
            let run: Summary = serde_json::from_value(listed[0].clone()).unwrap();
            assert_eq!(
                headline,
                run.verdict_in(&lang).headline,
                "step {number}: the page shows the run's verdict in {lang:?}"
            );
            assert_eq!(audit.booked, listed[0]["audit"]["booked"].as_i64().unwrap());
            save_screenshot(client, &shot).await;
            let (bottom, height) = bottom_and_height(client, "#result .timeline-figure").await;
            assert!(
                bottom <= height + 1.0,
                "step {number}: the timeline runs below the first screen ({bottom} > {height})"
            );
            assert_fits_sideways(client, &format!("step {number} with its result")).await;
        }
        if number < steps.len() {
            client
                .find(Locator::Css("body"))
                .await
                .unwrap()
                .send_keys("\u{E014}") // the right arrow key
                .await
                .unwrap();
        }
    }
    browser.close().await;
}

/// The Vietnamese dashboard after a run, on a wide screen, the projector's 853 px and a phone,
/// and the Vietnamese join page on a 390 × 844 phone: the words are Vietnamese (longer than the
/// English), and nothing scrolls sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_join_page_read_in_vietnamese_and_fit_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app
        .post(
            "/experiments",
            Some(serde_json::json!({"strategy": "no-lock", "requests": 10, "capacity": 1, "race_window_ms": 300})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let dashboard = format!("{}/?lang=vi", app.address);

    let wide = Browser::start(1280, 1100).await;
    wide.client.goto(&dashboard).await.unwrap();
    let lang = js(&wide.client, "return document.documentElement.lang").await;
    assert_eq!(lang, "vi");
    let headline = text(&wide.client, "#verdict .headline").await;
    assert!(headline.starts_with("BÁN VƯỢT"), "{headline}");
    assert_eq!(text(&wide.client, "#run-button").await, "Chạy thí nghiệm");
    // The script's live line comes from the page's Vietnamese words too.
    wait_for_text(&wide.client, "#live-status", |t| {
        t.starts_with("Trực tiếp: cập nhật")
    })
    .await;
    assert_fits_sideways(&wide.client, "the Vietnamese dashboard").await;
    save_screenshot(&wide.client, "dashboard-vi.png").await;
    // The timeline for slides: a PNG the page draws from the run's Vietnamese SVG, at twice the
    // drawing's width (a PNG's width is bytes 16..20 of its header).
    assert_eq!(
        text(&wide.client, "#timeline-png").await,
        "PNG, cho trang chiếu"
    );
    let png = js(
        &wide.client,
        "return (async () => { \
           const link = document.getElementById('timeline-png'); \
           const blob = await window.oversoldTimelinePng(link.href); \
           const head = new DataView(await blob.slice(0, 24).arrayBuffer()); \
           const drawing = document.querySelector('.timeline-figure svg.timeline').viewBox.baseVal; \
           return [blob.type, head.getUint32(0), head.getUint32(16), drawing.width, \
                   link.href, link.dataset.file]; })()",
    )
    .await;
    assert_eq!(png[0], "image/png", "{png}");
    assert_eq!(png[1], 0x8950_4E47u32, "the PNG signature: {png}");
    assert_eq!(
        png[2].as_f64().unwrap(),
        2.0 * png[3].as_f64().unwrap(),
        "{png}"
    );
    assert!(
        png[4].as_str().unwrap().ends_with("/timeline.svg?lang=vi"),
        "{png}"
    );
    assert!(
        png[5].as_str().unwrap().ends_with("-no-lock-timeline.png"),
        "{png}"
    );
    wide.close().await;

    for (width, height, name) in [
        (853, 480, "dashboard-vi-853.png"),
        (390, 844, "dashboard-vi-phone.png"),
    ] {
        let browser = Browser::start(width, height).await;
        // The cookie the first visit set is the browser's; this one is new, so ask again.
        browser.client.goto(&dashboard).await.unwrap();
        assert_fits_sideways(
            &browser.client,
            &format!("the Vietnamese dashboard at {width} px"),
        )
        .await;
        save_screenshot(&browser.client, name).await;
        browser.close().await;
    }

    let phone = Browser::start(390, 844).await;
    let client = &phone.client;
    client
        .goto(&format!("{}/join?lang=vi", app.address))
        .await
        .unwrap();
    assert_eq!(text(client, "#join-button").await, "Tham gia");
    assert_eq!(
        text(client, "label[for=name]").await,
        "Tên của bạn, như cả phòng sẽ thấy"
    );
    assert_fits_sideways(client, "the Vietnamese join page").await;
    save_screenshot(client, "join-vi-phone.png").await;
    // Joined, without ?lang: the cookie keeps it Vietnamese.
    let name = client.find(Locator::Css("#name")).await.unwrap();
    name.send_keys("Lan").await.unwrap();
    client
        .find(Locator::Css("#join-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let waiting = wait_for_text(client, "#wait", |t| !t.is_empty()).await;
    assert!(waiting.starts_with("Chờ người hướng dẫn"), "{waiting}");
    assert_fits_sideways(client, "the Vietnamese join page, joined").await;
    save_screenshot(client, "join-vi-phone-joined.png").await;
    phone.close().await;
}
