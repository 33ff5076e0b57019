//! Something to keep from a run: its timeline as an SVG file for slides, and the result page
//! printed as one clean page (the banner, the timeline and the explanation). And a handout per
//! strategy (`/handout/{strategy}`), in both languages, each printing on exactly one A4 page and
//! naming the strategy's row of the design table.

use oversold::i18n::{Lang, MISSING};
use oversold_api::{Outcome, StrategyName};
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

/// The words a handout's row uses for an outcome, as `locales/*/handout.ftl` has them.
fn outcome_words(lang: Lang, outcome: Outcome) -> String {
    lang.t(match outcome {
        Outcome::Safe => "handout-outcome-safe",
        Outcome::Oversells => "handout-outcome-oversells",
        Outcome::StaleRejected => "handout-outcome-stale-rejected",
    })
}

#[tokio::test]
async fn every_strategy_has_a_handout_in_both_languages_naming_its_row() {
    let app = spawn_app(Backend::Sqlite).await;
    let strategies: Vec<Value> = app.get("/strategies").await.json().await.unwrap();
    for lang in Lang::ALL {
        let index = app.get(&format!("/handout?lang={}", lang.code())).await;
        assert_eq!(index.status().as_u16(), 200);
        let index = index.text().await.unwrap();
        assert!(!index.contains(MISSING), "{index}");
        for &strategy in StrategyName::ALL {
            let name = strategy.as_str();
            assert!(
                index.contains(&format!("/handout/{name}?lang={}", lang.code())),
                "the index links {name}"
            );
            let page = app
                .get(&format!("/handout/{name}?lang={}", lang.code()))
                .await;
            assert_eq!(page.status().as_u16(), 200, "{name}");
            let html = page.text().await.unwrap();
            assert!(
                html.contains(&format!(r#"<html lang="{}">"#, lang.code())),
                "{name}"
            );
            assert!(!html.contains(MISSING), "{name} in {lang:?}: {html}");
            assert!(html.contains("<svg"), "{name}: the picture");
            // The row as the server lists it, cell by cell in order.
            let info = strategies
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("GET /strategies lists {name}"));
            let expected: oversold_api::Expected =
                serde_json::from_value(info["expected"].clone()).unwrap();
            let mut cells = vec![
                ("handout-one-instance", expected.one_instance),
                ("handout-two-instances", expected.two_instances),
                ("handout-paused-past-ttl", expected.paused_past_ttl),
            ];
            cells.extend(expected.restart_empty.map(|o| ("handout-restart-empty", o)));
            cells.extend(expected.clock_jump.map(|o| ("handout-clock-jump", o)));
            let row = html
                .split(r#"id="design-row""#)
                .nth(1)
                .and_then(|rest| rest.split("</table>").next())
                .unwrap_or_else(|| panic!("{name}: a design row"));
            let mut at = 0;
            for (situation, outcome) in cells {
                // askama escapes the apostrophe of "A node's clock".
                let header = format!(
                    "<th scope=\"col\">{}</th>",
                    lang.t(situation).replace('\'', "&#39;")
                );
                assert!(row.contains(&header), "{name}: {header} in {row}");
                let words = format!(">{}</td>", outcome_words(lang, outcome));
                let found = row[at..]
                    .find(&words)
                    .unwrap_or_else(|| panic!("{name}: {words} in order in {row}"));
                at += found + words.len();
            }
        }
    }
    assert_eq!(app.get("/handout/no-such").await.status().as_u16(), 404);
}

/// Every message of the presenter's and the handouts' files exists in both languages.
#[test]
fn the_presenter_and_handout_messages_exist_in_both_languages() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    for file in ["present.ftl", "handout.ftl"] {
        let ids = |lang: &str| -> std::collections::BTreeSet<String> {
            std::fs::read_to_string(root.join(lang).join(file))
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
                .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim().to_string()))
                .collect()
        };
        let (en, vi) = (ids("en"), ids("vi"));
        assert!(!en.is_empty());
        assert_eq!(
            en.symmetric_difference(&vi).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{file}: messages in one language only"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_handout_prints_on_one_a4_page_in_both_languages() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(1280, 900).await;
    let client = &browser.client;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for lang in Lang::ALL {
        for &strategy in StrategyName::ALL {
            let name = strategy.as_str();
            client
                .goto(&format!(
                    "{}/handout/{name}?lang={}",
                    app.address,
                    lang.code()
                ))
                .await
                .unwrap();
            // PrintConfiguration's default page is A4.
            let printed = client.print(PrintConfiguration::default()).await.unwrap();
            assert!(printed.starts_with(b"%PDF"), "a PDF");
            assert_eq!(
                pages(&printed),
                1,
                "the {name} handout in {} prints on one page",
                lang.code()
            );
            std::fs::write(
                dir.join(format!("handout-{name}-{}.pdf", lang.code())),
                &printed,
            )
            .unwrap();
        }
    }
    // A screenshot of the longest one in Vietnamese, for a person to look at.
    client
        .goto(&format!("{}/handout/redlock?lang=vi", app.address))
        .await
        .unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join("handout-redlock-vi.png"), png).unwrap();
    browser.close().await;
}
