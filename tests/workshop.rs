//! The workshop guides and the presenter come from one file per language
//! (`templates/workshop/steps.toml`, `templates/workshop/steps.vi.toml`): WORKSHOP.md and
//! WORKSHOP.vi.md must be exactly what the steps generate, the two languages must hold the same
//! steps running the same experiments, and every step must render on `/present` in both
//! languages with its own settings and question.
//!
//! After editing the steps, `OVERSOLD_WRITE_WORKSHOP=1 cargo test --test workshop` rewrites
//! both guides; without the variable a stale guide fails this test.

use oversold::i18n::{Lang, MISSING};
use oversold::web::presenter::{guide, guide_in, markdown_file, markdown_in};
use testkit::{spawn_app, Backend};

fn guide_path(lang: Lang) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(markdown_file(lang))
}

#[test]
fn each_workshop_md_is_what_its_presenter_steps_generate() {
    for lang in Lang::ALL {
        let generated = markdown_in(lang);
        let path = guide_path(lang);
        if std::env::var_os("OVERSOLD_WRITE_WORKSHOP").is_some() {
            std::fs::write(&path, &generated).expect("write the guide");
        }
        let written = std::fs::read_to_string(&path).expect("the guide is readable");
        assert!(
            written == generated,
            "{} is not what its steps file generates: edit the steps, then run \
             OVERSOLD_WRITE_WORKSHOP=1 cargo test --test workshop",
            markdown_file(lang)
        );
        for (i, step) in guide_in(lang).steps.iter().enumerate() {
            let heading = format!("## {}. {} ({})", i + 1, step.title, step.time);
            assert!(written.contains(&heading), "{heading}");
        }
    }
}

/// A step in one language only, or a step whose experiment differs between the languages,
/// would give the two rooms different workshops.
#[test]
fn both_languages_have_the_same_steps_running_the_same_experiments() {
    let en = guide_in(Lang::En);
    let vi = guide_in(Lang::Vi);
    assert_eq!(
        en.steps.len(),
        vi.steps.len(),
        "steps.toml and steps.vi.toml have different numbers of steps"
    );
    for (i, (e, v)) in en.steps.iter().zip(&vi.steps).enumerate() {
        let n = i + 1;
        assert_eq!(e.time, v.time, "step {n}: time");
        assert_eq!(
            serde_json::to_value(&e.run).unwrap(),
            serde_json::to_value(&v.run).unwrap(),
            "step {n} ({}): run",
            e.title
        );
        // The banner's words differ by language (each is checked against its own screen in
        // tests/browser.rs); what it promises, its tone, may not.
        assert_eq!(
            e.expect.as_ref().map(|x| x.tone),
            v.expect.as_ref().map(|x| x.tone),
            "step {n} ({}): expect",
            e.title
        );
        assert_eq!(
            e.lab.as_ref().map(|l| l.redis_nodes_stopped),
            v.lab.as_ref().map(|l| l.redis_nodes_stopped),
            "step {n} ({}): lab",
            e.title
        );
        assert_eq!(e.sees.is_some(), v.sees.is_some(), "step {n}: sees");
    }
}

/// Letters Vietnamese writes and English does not: a "translation" without any is English.
fn has_vietnamese_letters(text: &str) -> bool {
    text.chars().any(|c| {
        "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
            .contains(c.to_lowercase().next().unwrap_or(c))
    })
}

#[test]
fn the_vietnamese_guide_is_written_in_vietnamese() {
    let en = guide_in(Lang::En);
    let vi = guide_in(Lang::Vi);
    assert!(has_vietnamese_letters(&vi.title), "{}", vi.title);
    assert!(has_vietnamese_letters(&vi.intro));
    for (e, v) in en.steps.iter().zip(&vi.steps) {
        assert_ne!(e.title, v.title, "a title left in English");
        for (what, text) in [("title", &v.title), ("do", &v.act), ("ask", &v.ask)] {
            assert!(
                has_vietnamese_letters(text),
                "{}: its {what} has no Vietnamese letters: {text}",
                e.title
            );
        }
        if let Some(sees) = &v.sees {
            assert!(has_vietnamese_letters(sees), "{}: sees", e.title);
        }
    }
    // The English guide is not accidentally the Vietnamese one.
    assert!(!has_vietnamese_letters(&markdown_in(Lang::En)));
}

#[test]
fn every_step_that_runs_an_experiment_says_what_the_room_sees_and_what_to_expect_if_it_can() {
    for step in &guide().steps {
        if step.run.is_some() {
            assert!(
                step.sees.is_some(),
                "{}: says what the room sees",
                step.title
            );
        }
        assert!(
            !step.ask.trim().is_empty(),
            "{}: has a question",
            step.title
        );
        assert!(
            step.expect.is_none() || step.run.is_some(),
            "{}: expects a verdict without running anything",
            step.title
        );
    }
}

#[tokio::test]
async fn every_presenter_step_renders_with_its_title_settings_and_question() {
    let app = spawn_app(Backend::Sqlite).await;
    let steps = &guide().steps;
    for (i, step) in steps.iter().enumerate() {
        let page = app.get(&format!("/present?step={}", i + 1)).await;
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!("{}/{}", i + 1, steps.len())),
            "{html}"
        );
        // askama escapes the apostrophe of a title.
        let title = step.title.replace('\'', "&#39;");
        assert!(html.contains(&title), "{html}");
        assert!(html.contains(r#"class="ask""#), "{html}");
        match &step.run {
            Some(run) => {
                assert!(
                    html.contains(r#"id="run-step""#),
                    "{}: has a run key",
                    step.title
                );
                assert!(
                    html.contains(&format!("<code>{}</code>", run.strategy)),
                    "{html}"
                );
            }
            None => assert!(!html.contains(r#"id="run-step""#), "{}", step.title),
        }
    }
    // Past the last step is the last step; a bad number is a 400, not a crash.
    let past = app.get(&format!("/present?step={}", steps.len() + 5)).await;
    assert!(past
        .text()
        .await
        .unwrap()
        .contains(&steps.last().unwrap().title));
    assert_eq!(app.get("/present?step=abc").await.status().as_u16(), 400);
}

#[tokio::test]
async fn the_presenter_speaks_vietnamese_when_asked_and_keeps_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let vi = guide_in(Lang::Vi);
    for (i, step) in vi.steps.iter().enumerate() {
        let page = app.get(&format!("/present?step={}&lang=vi", i + 1)).await;
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"<html lang="vi">"#), "{html}");
        assert!(html.contains(&step.title.replace('\'', "&#39;")), "{html}");
        assert!(
            !html.contains(MISSING),
            "a message missing in Vietnamese: {html}"
        );
        if i + 1 < vi.steps.len() {
            assert!(html.contains("tiếp →"), "{html}");
            assert!(
                html.contains(&format!("step={}&amp;lang=vi", i + 2)),
                "{html}"
            );
        }
        if step.run.is_some() {
            assert!(html.contains("Chạy (R)"), "{html}");
            assert!(html.contains("Đang chạy {requests} yêu cầu"), "{html}");
        }
    }
    // Accept-Language chooses too (a client of its own, without the cookie the visits above
    // left), and ?lang= wins over it.
    let fresh = reqwest::Client::new();
    let by_header = fresh
        .get(format!("{}/present?step=2", app.address))
        .header("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_header.contains(&vi.steps[1].title), "{by_header}");
    let english = fresh
        .get(format!("{}/present?step=2&lang=en", app.address))
        .header("Accept-Language", "vi")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains(&guide().steps[1].title), "{english}");
    assert!(!english.contains(MISSING));
}
