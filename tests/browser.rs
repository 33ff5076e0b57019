//! The dashboard in a real headless Chromium: a person's clicks, a person's view.
//!
//! Two instances over one database; the browser opens the second one's dashboard, runs a no-lock
//! and a with-lock experiment over both by filling in the form and clicking, and reads the
//! verdicts and the timeline off the page, checked against the audit. A screenshot of each result
//! is saved under `target/screenshots/` for a person to look at.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use testkit::fantoccini::{Client, Locator};
use testkit::{spawn_app, Backend, Browser, TestApp};

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
    let audit = first.audit(1).await;
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
    let audit = first.audit(1).await;
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
