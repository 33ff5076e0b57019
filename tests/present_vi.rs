//! The presenter in Vietnamese on a projector (853×480 CSS px): every step fits the width, and a
//! screenshot of each (`target/screenshots/present-vi-step-NN.png`) is kept for a person to look
//! at, since Vietnamese runs longer than English.

use std::path::PathBuf;

use oversold::i18n::Lang;
use oversold::web::presenter::guide_in;
use serde_json::Value;
use testkit::fantoccini::Locator;
use testkit::{spawn_app, Backend, Browser};

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vietnamese_step_fits_a_projector_and_is_photographed() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(853, 480).await;
    let client = &browser.client;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let steps = &guide_in(Lang::Vi).steps;
    let mut too_tall = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        client
            .goto(&format!("{}/present?step={n}&lang=vi", app.address))
            .await
            .unwrap();
        let size: Value = client
            .execute(
                "const d = document.documentElement; \
                 return [d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight];",
                vec![],
            )
            .await
            .unwrap();
        let size: Vec<f64> = size
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            size[0] <= size[1],
            "step {n} ({}) is wider than the projector: {size:?}",
            step.title
        );
        if size[2] > size[3] {
            too_tall.push((n, size[2], size[3]));
        }
        let png = client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("present-vi-step-{n:02}.png")), png).unwrap();
    }
    // Taller than the window is allowed (the room scrolls once), but it is printed for the report.
    eprintln!("steps taller than the window in Vietnamese (step, height, window): {too_tall:?}");
    browser.close().await;
}

/// The presenter's script speaks the page's language: its "running" line and its words for a
/// refusal come from the page. The browser's `fetch` is held (never answering, then answering
/// 503 with no body) so the moment the line is on screen can be read, not raced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_script_says_running_and_refused_in_vietnamese() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(853, 480).await;
    let client = &browser.client;
    let steps = &guide_in(Lang::Vi).steps;
    let (index, step) = steps
        .iter()
        .enumerate()
        .find(|(_, step)| step.run.is_some())
        .expect("the guide has a step that runs an experiment");
    let run = step.run.as_ref().unwrap();
    let page = format!("{}/present?step={}&lang=vi", app.address, index + 1);

    client.goto(&page).await.unwrap();
    let running = format!("Đang chạy {} yêu cầu với {}…", run.requests, run.strategy);
    let shown = run_with_fetch(
        client,
        "window.fetch = () => new Promise(() => {});",
        &running,
    )
    .await;
    assert_eq!(shown, running);

    client.goto(&page).await.unwrap();
    let refused = "máy chủ trả lời 503";
    let answer = "window.fetch = () => Promise.resolve(new Response('', { status: 503 }));";
    assert_eq!(run_with_fetch(client, answer, refused).await, refused);
    browser.close().await;
}

/// Puts `fetch` in place of the browser's, presses R, and returns the status line once it reads
/// `want` (or what it read last, after a second).
async fn run_with_fetch(client: &testkit::fantoccini::Client, fetch: &str, want: &str) -> String {
    client.execute(fetch, vec![]).await.unwrap();
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("r").await.unwrap();
    let mut text = String::new();
    for _ in 0..50 {
        let status = client.find(Locator::Css("#run-status")).await.unwrap();
        text = status.text().await.unwrap();
        if text == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    text
}
