//! Redlock through the app with five real Redis nodes: it survives a minority of dead nodes,
//! refuses without a quorum, and recovers when the nodes come back. Verdicts from `audit`.

use serde_json::Value;
use testkit::{
    count_errors, fire_together, on_every_database, spawn_app_with, AppOptions, Backend,
};

on_every_database! {
    async fn redlock_sells_each_ticket_once_with_two_of_five_nodes_down_and_refuses_with_three(
        backend: Backend
    ) {
        let app = spawn_app_with(AppOptions { redis_nodes: 5, ..AppOptions::new(backend) }).await;
        let twin = app.spawn_twin("app-2").await;
        app.redis[0].stop();
        app.redis[3].stop();

        for strategy in ["redlock", "fenced"] {
            app.reset(1, 1).await;
            fire_together(&[&app, &twin], 10, &format!("/book/{strategy}/1?race_window_ms=200")).await;
            let audit = app.audit(1).await;
            assert!(audit.booked == 1 && audit.clean, "{strategy}, 2 of 5 down: {audit:?}");

            app.reset(1, 5).await;
            fire_together(&[&app, &twin], 8, &format!("/book/{strategy}/1?race_window_ms=20")).await;
            let audit = app.audit(1).await;
            assert!(audit.booked == 5 && audit.clean, "{strategy}, 5 tickets: {audit:?}");
        }

        app.redis[4].stop();
        app.reset(1, 1).await;
        let answers = fire_together(&[&app, &twin], 4, "/book/redlock/1").await;
        assert_eq!(count_errors(&answers, "quorum_unavailable"), 4, "{answers:?}");
        assert!(answers.iter().all(|a| a.status() == Some(503)), "{answers:?}");
        assert_eq!(app.audit(1).await.booked, 0);
        let response = app.post("/book/redlock/1", None).await;
        assert!(response.headers().contains_key("retry-after"));
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("quorum"), "{body}");
        let health: Value = app.get("/health").await.json().await.unwrap();
        assert_eq!(health["redis"]["up"], 2, "{health}");
        assert_eq!(health["redis"]["quorum_up"], false, "{health}");

        for node in [0, 3, 4] {
            app.redis[node].restart();
        }
        let answers = fire_together(&[&app, &twin], 10, "/book/redlock/1?race_window_ms=200").await;
        let audit = app.audit(1).await;
        assert!(audit.booked == 1 && audit.clean, "nodes back: {audit:?} {answers:?}");
    }
}
