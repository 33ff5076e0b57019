//! The human race: participants join a room from their own cookie jars and tap within one round.
//!
//! Two instances over one database; twenty simulated participants (each an HTTP client with its
//! own cookie jar) join on the second, which spreads their taps over itself and its peer. Without
//! a lock, the projector's list of who was told "you got the ticket" and the audit of the round's
//! event agree that the one ticket was sold several times; with a lock, exactly one participant
//! has it. Two real browser sessions on a phone-sized viewport join and tap too, and leave their
//! screenshots under `target/screenshots/`. The race window is seconds wide, as in a room, so the
//! taps collide every time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};
use testkit::fantoccini::{Client, Locator};
use testkit::{
    on_every_database, spawn_app, spawn_app_with, AppOptions, Backend, Browser, TestApp,
};

const FORM: &str = "application/x-www-form-urlencoded";

/// Someone in the room: a client with its own cookie jar, which is all that makes them them.
struct Participant {
    name: String,
    client: reqwest::Client,
    base: String,
}

impl Participant {
    async fn join(app: &TestApp, name: &str) -> Participant {
        let (client, response) = app.join_room(name).await;
        assert_eq!(response.status().as_u16(), 303, "{name} joins");
        Participant {
            name: name.to_string(),
            client,
            base: app.address.clone(),
        }
    }

    /// Taps Book; the status and the JSON answer (the outcome, or the error body).
    async fn tap(&self) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/join/tap", self.base))
            .header("content-type", FORM)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

async fn start_round(app: &TestApp, strategy: &str, race_window_ms: u64) -> Value {
    let response = app
        .post(
            "/room/rounds",
            Some(json!({ "strategy": strategy, "race_window_ms": race_window_ms, "round_secs": 120 })),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201, "the round starts");
    response.json().await.unwrap()
}

async fn room_state(app: &TestApp) -> Value {
    let response = app.get("/room/state").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

on_every_database! {
    async fn twenty_participants_oversell_one_ticket_without_a_lock_and_share_it_with_one(backend: Backend) {
        let app = spawn_app(backend).await;
        let twin = app.spawn_twin("app-2").await;
        let people = join_all((1..=20).map(|n| {
            let twin = &twin;
            async move { Participant::join(twin, &format!("person-{n:02}")).await }
        }))
        .await;
        assert_eq!(room_state(&app).await["participants"], 20);

        // Without a lock: three seconds between read and write, and everyone taps at once.
        let round = start_round(&twin, "no-lock", 3_000).await;
        let event_id = round["event_id"].as_i64().unwrap();
        let taps = join_all(people.iter().map(Participant::tap)).await;
        assert!(taps.iter().all(|(status, _)| *status == 200), "{taps:?}");
        let told: Vec<String> = taps
            .iter()
            .filter(|(_, t)| t["got_ticket"] == true)
            .map(|(_, t)| t["name"].as_str().unwrap().to_string())
            .collect();

        assert!(told.iter().all(|n| people.iter().any(|p| &p.name == n)), "{told:?}");

        // Either instance's projector shows the same list, and it is the phones' answers.
        let state = room_state(&app).await;
        assert_eq!(state["round"]["id"], round["id"]);
        assert_eq!(state["taps"].as_array().unwrap().len(), 20);
        assert_eq!(state["pending"], 0);
        let mut told_sorted = told.clone();
        told_sorted.sort();
        assert_eq!(names(&state["told_got_it"]), told_sorted);
        let audit = app.audit(event_id).await;
        assert_eq!(state["audit"]["booked"], audit.booked);
        assert_eq!(audit.booked as usize, told.len(), "every cheer is a booking row");
        assert!(audit.booked >= 2, "several people were told they got the one ticket: {audit:?}");
        assert!(audit.oversold >= 1 && !audit.clean, "{audit:?}");
        let instances = app.bookings_by_instance(event_id).await;
        assert!(
            instances.iter().any(|i| i == "app-1") && instances.iter().any(|i| i == "app-2"),
            "the taps were booked on both instances: {instances:?}"
        );

        // A second tap in the same round is refused, and books nothing.
        let (status, again) = people[0].tap().await;
        assert_eq!((status, again["error"].as_str()), (409, Some("already_tapped")));
        assert_eq!(app.audit(event_id).await.booked, audit.booked);

        // With a Redis lock, the next round: the same twenty, exactly one cheer.
        let round = start_round(&twin, "redis", 3_000).await;
        let event_id = round["event_id"].as_i64().unwrap();
        let taps = join_all(people.iter().map(Participant::tap)).await;
        assert!(taps.iter().all(|(status, _)| *status == 200), "{taps:?}");
        let winners: Vec<&Value> = taps.iter().map(|(_, t)| t).filter(|t| t["got_ticket"] == true).collect();
        assert_eq!(winners.len(), 1, "{taps:?}");
        // Everyone else was refused: sold out, found inside the lock or before it. (A waiter
        // that ran out of its lock budget on a slow machine is refused too, as `lock_timeout`;
        // what the lesson needs is that nobody else cheers, which the audit below confirms.)
        assert!(
            taps.iter()
                .filter(|(_, t)| t["got_ticket"] != true)
                .all(|(_, t)| t["outcome"] == "sold_out" || t["outcome"] == "lock_timeout"),
            "everyone else was told no: {taps:?}"
        );
        let state = room_state(&twin).await;
        assert_eq!(names(&state["told_got_it"]), vec![winners[0]["name"].as_str().unwrap().to_string()]);
        let audit = app.audit(event_id).await;
        assert_eq!((audit.booked, audit.oversold, audit.clean), (1, 0, true), "{audit:?}");
        assert_eq!(state["audit"]["booked"], 1);
    }
}

/// With an admin token, a race window above the public limit is the admin's to ask for: the taps
/// the second instance hands to its peer go with the token, and are booked there like its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tap_handed_to_the_peer_carries_the_admin_token_past_the_public_limits() {
    const TOKEN: &str = "room-admin-token";
    let first = spawn_app_with(AppOptions {
        admin_token: Some(TOKEN.to_string()),
        ..AppOptions::new(Backend::Sqlite)
    })
    .await;
    let second = spawn_app_with(AppOptions {
        database: Some(first.database.clone()),
        redis: Some(first.redis.clone()),
        instance_name: "app-2".to_string(),
        peers: vec![first.address.clone()],
        admin_token: Some(TOKEN.to_string()),
        ..AppOptions::new(Backend::Sqlite)
    })
    .await;
    let people = join_all((1..=4).map(|n| {
        let second = &second;
        async move { Participant::join(second, &format!("person-{n}")).await }
    }))
    .await;
    // A stranger may not hold a booking open this long (the public limit is a second).
    let stranger = first
        .client
        .post(format!(
            "{}/book/no-lock/1?race_window_ms=1500",
            first.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status().as_u16(), 403);

    let round = second
        .client
        .post(format!("{}/room/rounds", second.address))
        .bearer_auth(TOKEN)
        .json(&json!({ "strategy": "no-lock", "race_window_ms": 1_500, "round_secs": 120 }))
        .send()
        .await
        .unwrap();
    assert_eq!(round.status().as_u16(), 201, "the admin starts the round");
    let round: Value = round.json().await.unwrap();
    let taps = join_all(people.iter().map(Participant::tap)).await;
    assert!(
        taps.iter()
            .all(|(status, t)| *status == 200 && t["got_ticket"] == true),
        "every tap was booked, the peer's too (no lock, one ticket): {taps:?}"
    );
    let event_id = round["event_id"].as_i64().unwrap();
    let audit = first.audit(event_id).await;
    assert_eq!(audit.booked, 4, "{audit:?}");
    let instances = first.bookings_by_instance(event_id).await;
    assert!(
        instances.iter().any(|i| i == "app-1") && instances.iter().any(|i| i == "app-2"),
        "the taps were booked on both instances: {instances:?}"
    );
}

/// Room mode (`--public-url`): the dashboard and the presenter's first step show where phones
/// join, as a link and a QR code; without it, neither shows one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_room_mode_the_dashboard_and_the_first_step_show_the_join_link_and_its_qr_code() {
    let room = spawn_app_with(AppOptions {
        public_url: Some("http://192.0.2.7:8080/".to_string()),
        ..AppOptions::new(Backend::Sqlite)
    })
    .await;
    let page = |app: &TestApp, path: &str| {
        let url = format!("{}{path}", app.address);
        let client = app.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.text().await.unwrap()
        }
    };
    // The join link and a QR code (an svg of paths), after `marker` on the page.
    let assert_join_code = |html: &str, marker: &str| {
        let (_, code) = html
            .split_once(marker)
            .unwrap_or_else(|| panic!("{marker} is on the page in room mode"));
        assert!(code.contains("http://192.0.2.7:8080/join"), "{code}");
        assert!(
            code.contains("<svg") && code.contains("<path"),
            "a QR code: {code}"
        );
    };
    assert_join_code(&page(&room, "/?lang=en").await, r#"class="dashboard-join""#);
    assert_join_code(
        &page(&room, "/present?step=1&lang=en").await,
        r#"id="join-qr""#,
    );
    let second_step = page(&room, "/present?step=2&lang=en").await;
    assert!(
        !second_step.contains(r#"id="join-qr""#),
        "only the first step shows it"
    );

    let plain = spawn_app(Backend::Sqlite).await;
    assert!(!page(&plain, "/")
        .await
        .contains(r#"class="dashboard-join""#));
    assert!(!page(&plain, "/present?step=1")
        .await
        .contains(r#"id="join-qr""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tap_needs_a_joined_phone_and_an_open_round() {
    let app = spawn_app(Backend::Sqlite).await;
    let stranger = reqwest::Client::new();
    let response = stranger
        .post(format!("{}/join/tap", app.address))
        .header("content-type", FORM)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_joined");

    let person = Participant::join(&app, "early").await;
    let (status, body) = person.tap().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("round_closed"))
    );

    let too_long = person
        .client
        .post(format!("{}/join", app.address))
        .header("content-type", FORM)
        .body(format!("name={}", "x".repeat(25)))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status().as_u16(), 400);
    assert!(too_long.text().await.unwrap().contains("name-error"));
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    std::fs::write(dir.join(name), png).expect("write the screenshot");
}

/// A browser whose page area is a phone's 390 × 844 CSS pixels.
async fn phone() -> Browser {
    let browser = Browser::start(390, 844).await;
    let client = &browser.client;
    client.goto("about:blank").await.unwrap();
    let inner = client
        .execute("return [window.innerWidth, window.innerHeight]", vec![])
        .await
        .unwrap();
    let (w, h) = (
        inner[0].as_u64().unwrap() as u32,
        inner[1].as_u64().unwrap() as u32,
    );
    client
        .set_window_size(
            390 + 390u32.saturating_sub(w),
            844 + 844u32.saturating_sub(h),
        )
        .await
        .unwrap();
    browser
}

/// Waits until the page has `css`, reloading itself as the join page does.
async fn wait_for(client: &Client, css: &str) -> testkit::fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            return element;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed; the page was:\n{}",
            client.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The phone's outcome once the booking has answered.
async fn outcome(client: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(element) = client.find(Locator::Css("#outcome")).await {
            if let Ok(Some(outcome)) = element.attr("data-outcome").await {
                if outcome != "pending" {
                    return outcome;
                }
            }
        }
        assert!(Instant::now() < deadline, "the tap never answered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_in_real_browsers_join_tap_and_both_cheer_without_a_lock() {
    let app = spawn_app(Backend::Sqlite).await;
    let twin = app.spawn_twin("app-2").await;
    let phones = [phone().await, phone().await];
    for (n, phone) in phones.iter().enumerate() {
        let client = &phone.client;
        client
            .goto(&format!("{}/join", twin.address))
            .await
            .unwrap();
        let name = client.find(Locator::Css("#name")).await.unwrap();
        name.send_keys(&format!("phone-{}", n + 1)).await.unwrap();
        client
            .find(Locator::Css("#join-button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for(client, "#wait").await;
    }
    save_screenshot(&phones[0].client, "room-join-waiting-390x844.png").await;

    let round = start_round(&twin, "no-lock", 4_000).await;
    let event_id = round["event_id"].as_i64().unwrap();
    // The waiting pages reload into the Book button; both are pressed at the same moment.
    let buttons = join_all(phones.iter().map(|p| wait_for(&p.client, "#book-button"))).await;
    save_screenshot(&phones[1].client, "room-join-book-390x844.png").await;
    let clicks = join_all(buttons.iter().map(|b| b.click())).await;
    assert!(clicks.iter().all(Result::is_ok), "{clicks:?}");

    let outcomes = join_all(phones.iter().map(|p| outcome(&p.client))).await;
    assert_eq!(
        outcomes,
        ["booked", "booked"],
        "both phones were told they got it"
    );
    save_screenshot(&phones[0].client, "room-join-got-it-390x844.png").await;

    let state = room_state(&app).await;
    assert_eq!(names(&state["told_got_it"]), ["phone-1", "phone-2"]);
    let audit = app.audit(event_id).await;
    assert_eq!((audit.booked, audit.oversold), (2, 1), "{audit:?}");

    // The projector shows the same, with the audit's verdict.
    let projector = &phones[0].client;
    projector.set_window_size(1280, 800).await.unwrap();
    projector
        .goto(&format!("{}/room", app.address))
        .await
        .unwrap();
    let verdict = wait_for(projector, "#room-verdict .headline").await;
    assert!(verdict.text().await.unwrap().contains("sold 2 times"));
    save_screenshot(projector, "room-projector-1280x800.png").await;
    for phone in phones {
        phone.close().await;
    }
}
