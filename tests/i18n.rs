//! Both languages, everywhere: every message of `locales/en` exists in `locales/vi` and the other
//! way round (file by file, attribute by attribute), and every page renders in both languages on
//! the real app with no message missing, the language chosen by `?lang=`, the sticky `lang`
//! cookie and `Accept-Language`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use fluent_syntax::ast::{Entry, Resource};
use serde_json::json;
use testkit::{on_every_database, spawn_app, Backend, TestApp};

/// What a missing message renders as (`oversold::i18n::MISSING`).
const MISSING: &str = oversold::i18n::MISSING;

fn locale_dir(lang: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang)
}

/// The `.ftl` files of a language's folder, by name.
fn files(lang: &str) -> BTreeSet<String> {
    fs::read_dir(locale_dir(lang))
        .expect("the locale folder exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".ftl"))
        .collect()
}

/// Every message id of a file, and every `id.attribute`; a file that does not parse fails here.
fn ids(lang: &str, file: &str) -> BTreeSet<String> {
    let source = fs::read_to_string(locale_dir(lang).join(file)).unwrap();
    let resource: Resource<&str> = fluent_syntax::parser::parse(source.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{lang}/{file} does not parse: {errors:?}"));
    let mut ids = BTreeSet::new();
    for entry in resource.body {
        let (id, attributes) = match entry {
            Entry::Message(m) => (m.id.name.to_string(), m.attributes),
            Entry::Term(t) => (format!("-{}", t.id.name), t.attributes),
            _ => continue,
        };
        for attribute in attributes {
            ids.insert(format!("{id}.{}", attribute.id.name));
        }
        ids.insert(id);
    }
    ids
}

#[test]
fn every_message_exists_in_both_languages() {
    let (en, vi) = (files("en"), files("vi"));
    let mut problems = Vec::new();
    for file in en.symmetric_difference(&vi) {
        let only = if en.contains(file) { "en" } else { "vi" };
        problems.push(format!("{file} exists in {only} only"));
    }
    for file in en.intersection(&vi) {
        let (en_ids, vi_ids) = (ids("en", file), ids("vi", file));
        for id in en_ids.difference(&vi_ids) {
            problems.push(format!("{file}: {id} is in en only"));
        }
        for id in vi_ids.difference(&en_ids) {
            problems.push(format!("{file}: {id} is in vi only"));
        }
    }
    assert!(en.len() >= 4, "the locale files were found: {en:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A message id is one message, wherever it is defined: two files defining the same id would
/// make one of them silently win.
#[test]
fn no_message_id_is_defined_twice() {
    for lang in ["en", "vi"] {
        let mut seen = BTreeSet::new();
        for file in files(lang) {
            for id in ids(lang, &file) {
                assert!(
                    seen.insert(id.clone()),
                    "{lang}: {id} is defined twice ({file})"
                );
            }
        }
    }
}

/// The pages a person reads, a stored run's included (`/?experiment=id`: `GET /experiments/{id}`
/// is the run as JSON).
async fn pages(app: &TestApp) -> Vec<String> {
    let response = app
        .post(
            "/experiments",
            Some(
                json!({"strategy": "no-lock", "requests": 4, "capacity": 1, "race_window_ms": 50}),
            ),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let experiment: serde_json::Value = response.json().await.unwrap();
    let id = experiment["id"].as_i64().unwrap();
    vec![
        "/".into(),
        format!("/?experiment={id}"),
        "/ui/login".into(),
        "/room".into(),
        "/room/board".into(),
        "/join".into(),
        "/present".into(),
        "/present?step=7".into(),
        "/handout".into(),
        "/handout/redlock".into(),
    ]
}

async fn html(client: &reqwest::Client, url: &str) -> String {
    let response = client
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.text().await.unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

on_every_database! {
    async fn every_page_renders_in_both_languages_with_no_message_missing(backend: Backend) {
        let app = spawn_app(backend).await;
        for path in pages(&app).await {
            let sep = if path.contains('?') { '&' } else { '?' };
            let en = html(&client(), &format!("{}{path}{sep}lang=en", app.address)).await;
            let vi = html(&client(), &format!("{}{path}{sep}lang=vi", app.address)).await;
            assert!(!en.contains(MISSING), "{path} in English misses a message:\n{en}");
            assert!(!vi.contains(MISSING), "{path} in Vietnamese misses a message:\n{vi}");
            assert_ne!(en, vi, "{path} is not translated");
            if path != "/room/board" {
                assert!(en.contains(r#"<html lang="en">"#), "{path}");
                assert!(vi.contains(r#"<html lang="vi">"#), "{path}");
            }
        }
        // A Vietnamese word of each kind of page, with its diacritics.
        let vi = html(&client(), &format!("{}/?lang=vi", app.address)).await;
        assert!(vi.contains("Chạy thí nghiệm"), "{vi}");
        assert!(vi.contains("Lịch sử"));
        // The strategies panel explains each strategy in the page's language too.
        assert!(vi.contains("Mỗi yêu cầu đọc số vé còn lại"), "no-lock's explanation in Vietnamese");
        let join = html(&client(), &format!("{}/join?lang=vi", app.address)).await;
        assert!(join.contains("Tham gia"), "{join}");
    }
}

on_every_database! {
    async fn the_language_comes_from_the_query_then_the_cookie_then_accept_language(backend: Backend) {
        let app = spawn_app(backend).await;
        let url = |path: &str| format!("{}{path}", app.address);

        // English by default, and for a language the lab does not speak.
        let page = html(&client(), &url("/ui/login")).await;
        assert!(page.contains(r#"<html lang="en">"#));
        let french = client().get(url("/ui/login")).header("accept-language", "fr-FR,fr").send().await.unwrap();
        assert!(french.text().await.unwrap().contains(r#"<html lang="en">"#));

        // Accept-Language, q-values respected, a region counting as its language.
        let vi = client().get(url("/ui/login")).header("accept-language", "en;q=0.5, vi-VN;q=0.8").send().await.unwrap();
        assert!(vi.headers().get("set-cookie").is_none(), "Accept-Language alone sets no cookie");
        assert!(vi.text().await.unwrap().contains(r#"<html lang="vi">"#));

        // ?lang=vi sets the cookie, and the next page without it stays Vietnamese, even when
        // the browser prefers English.
        let browser = client();
        let chosen = browser.get(url("/ui/login?lang=vi")).send().await.unwrap();
        let cookie = chosen.headers().get("set-cookie").expect("?lang sets a cookie").to_str().unwrap().to_string();
        assert!(cookie.starts_with("lang=vi"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let next = browser.get(url("/")).header("accept-language", "en").send().await.unwrap();
        let next = next.text().await.unwrap();
        assert!(next.contains(r#"<html lang="vi">"#), "the choice sticks");
        // The switch keeps the page and its query, and switching back sticks too.
        assert!(next.contains(r#"href="/?lang=en""#), "{next}");
        let back = browser.get(url("/ui/login?lang=en")).send().await.unwrap();
        assert!(back.text().await.unwrap().contains(r#"<html lang="en">"#));
        let after = html(&browser, &url("/ui/login")).await;
        assert!(after.contains(r#"<html lang="en">"#));
    }
}

on_every_database! {
    async fn an_error_message_speaks_the_request_language_and_keeps_its_code(backend: Backend) {
        let app = spawn_app(backend).await;
        let url = format!("{}/events/999999", app.address);
        let english: serde_json::Value = client().get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(english["error"], "not_found");
        let detail = english["message"].as_str().unwrap().to_string();
        assert!(!detail.is_empty());

        let answer = client().get(&url).header("accept-language", "vi-VN,vi;q=0.9").send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 404);
        let vietnamese: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(vietnamese["error"], "not_found", "the code never changes");
        let message = vietnamese["message"].as_str().unwrap();
        assert!(message.starts_with("Không có sự kiện"), "{message}");
        assert!(message.ends_with(&format!("({detail})")), "the detail stays: {message}");
    }
}

/// A run's own words follow the page: its answers ("201 booked"), the timeline's token and lock
/// endings, the downloaded timeline and the cost chart, while the wire's error codes (`sold_out`)
/// stay as the API spells them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_answers_timeline_and_cost_chart_speak_the_page_language() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut ids = Vec::new();
    for strategy in ["no-lock", "atomic"] {
        let body =
            json!({"strategy": strategy, "requests": 4, "capacity": 1, "race_window_ms": 30});
        let response = app.post("/experiments", Some(body)).await;
        assert_eq!(response.status().as_u16(), 201);
        let run: serde_json::Value = response.json().await.unwrap();
        ids.push(run["id"].as_i64().unwrap());
    }
    let atomic = ids[1];
    let page = |lang: &str| format!("{}/?experiment={atomic}&lang={lang}", app.address);
    let en = html(&client(), &page("en")).await;
    let vi = html(&client(), &page("vi")).await;
    assert!(en.contains("201 booked"), "{en}");
    assert!(vi.contains("201 đã đặt"), "{vi}");
    assert!(
        !vi.contains("201 booked"),
        "an English answer on the Vietnamese page"
    );
    assert!(vi.contains("409 sold_out"), "the wire's code stays: {vi}");
    assert!(
        en.contains("Time for the same 4 requests"),
        "the cost chart's title: {en}"
    );
    assert!(
        vi.contains("Thời gian cho cùng 4 yêu cầu"),
        "the cost chart's title: {vi}"
    );
    assert!(
        !vi.contains("Time for the same"),
        "an English cost chart on the Vietnamese page"
    );

    let svg = |lang: &str| {
        format!(
            "{}/experiments/{atomic}/timeline.svg?lang={lang}",
            app.address
        )
    };
    let en_svg = html(&client(), &svg("en")).await;
    let vi_svg = html(&client(), &svg("vi")).await;
    assert!(en_svg.contains("201 booked"), "{en_svg}");
    assert!(vi_svg.contains("201 đã đặt"), "{vi_svg}");
    assert!(
        vi_svg.contains("đọc → ghi, không khóa"),
        "the legend: {vi_svg}"
    );

    // A run on a seat map: the map's title and each seat's tooltip.
    let body = json!({"strategy": "atomic", "requests": 2, "seat_map": 4, "seats_per_request": 1,
                      "race_window_ms": 0});
    let response = app.post("/experiments", Some(body)).await;
    assert_eq!(response.status().as_u16(), 201);
    let run: serde_json::Value = response.json().await.unwrap();
    let url = |lang: &str| format!("{}/?experiment={}&lang={lang}", app.address, run["id"]);
    let en = html(&client(), &url("en")).await;
    let vi = html(&client(), &url("vi")).await;
    assert!(
        en.contains("Seat map of event") && en.contains(": free"),
        "{en}"
    );
    assert!(
        vi.contains("Sơ đồ chỗ ngồi của sự kiện") && vi.contains(": còn trống"),
        "{vi}"
    );
    assert!(
        !vi.contains("Seat map of event"),
        "an English seat map on the Vietnamese page"
    );
}
