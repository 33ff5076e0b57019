//! The workshop guide and the presenter come from one file (`templates/workshop/steps.toml`):
//! WORKSHOP.md must be exactly what the steps generate, and every step must render on `/present`
//! with its own settings and question.
//!
//! After editing the steps, `OVERSOLD_WRITE_WORKSHOP=1 cargo test --test workshop` rewrites
//! WORKSHOP.md; without the variable a stale WORKSHOP.md fails this test.

use oversold::web::presenter::{guide, markdown};
use testkit::{spawn_app, Backend};

fn workshop_md() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("WORKSHOP.md")
}

#[test]
fn workshop_md_is_what_the_presenter_steps_generate() {
    let generated = markdown();
    if std::env::var_os("OVERSOLD_WRITE_WORKSHOP").is_some() {
        std::fs::write(workshop_md(), &generated).expect("write WORKSHOP.md");
    }
    let written = std::fs::read_to_string(workshop_md()).expect("WORKSHOP.md is readable");
    assert!(
        written == generated,
        "WORKSHOP.md is not what templates/workshop/steps.toml generates: edit the steps, then run \
         OVERSOLD_WRITE_WORKSHOP=1 cargo test --test workshop"
    );
    for (i, step) in guide().steps.iter().enumerate() {
        let heading = format!("## {}. {} ({})", i + 1, step.title, step.time);
        assert!(written.contains(&heading), "{heading}");
    }
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
