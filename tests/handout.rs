//! Something to keep from a run: its timeline as an SVG file for slides, and the result page
//! printed as one clean page (the banner, the timeline and the explanation).

use serde_json::{json, Value};
use testkit::fantoccini::wd::PrintConfiguration;
use testkit::{spawn_app, Backend, Browser, TestApp};

async fn run_experiment(app: &TestApp) -> i64 {
    let response = app
        .post(
            "/experiments",
            Some(
                json!({"strategy": "no-lock", "requests": 6, "capacity": 1, "race_window_ms": 200}),
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let experiment: Value = response.json().await.unwrap();
    experiment["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_downloads_its_timeline_as_an_svg_file() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = run_experiment(&app).await;
    let response = app.get(&format!("/experiments/{id}/timeline.svg")).await;
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"oversold-experiment-{id}-no-lock-timeline.svg\"").as_str()
    );
    let svg = response.text().await.unwrap();
    assert!(svg.starts_with("<?xml"), "{}", &svg[..60]);
    assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
    assert!(svg.trim_end().ends_with("</svg>"));
    // The same drawing as the page shows.
    let page = app
        .get(&format!("/?experiment={id}"))
        .await
        .text()
        .await
        .unwrap();
    let title = svg
        .split("<title")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(
        page.contains(title),
        "the page's timeline has the file's title {title}"
    );
    assert!(
        page.contains(&format!("/experiments/{id}/timeline.svg")),
        "the page links the download"
    );

    let missing = app.get("/experiments/999999/timeline.svg").await;
    assert_eq!(missing.status().as_u16(), 404);
    let error: Value = missing.json().await.unwrap();
    assert_eq!(error["error"], "not_found");
}

/// Pages in a PDF as Chromium writes it: one `/Type /Page` object per page.
fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(at, m)| !text[at + m.len()..].starts_with('s'))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_result_is_one_page_while_the_whole_dashboard_on_screen_is_several() {
    let app = spawn_app(Backend::Sqlite).await;
    let id = run_experiment(&app).await;
    let browser = Browser::start(1280, 900).await;
    let client = &browser.client;
    client
        .goto(&format!("{}/?experiment={id}#result", app.address))
        .await
        .unwrap();
    let printed = client.print(PrintConfiguration::default()).await.unwrap();
    assert!(printed.starts_with(b"%PDF"), "a PDF");
    assert_eq!(pages(&printed), 1, "the result prints on one page");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("result-printed.pdf"), &printed).unwrap();

    // The page really is longer than that: with screen styles it would not fit.
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap();
    assert!(
        height.as_f64().unwrap() > 2000.0,
        "the dashboard is long on screen: {height}"
    );
    browser.close().await;
}
