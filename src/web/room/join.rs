//! The phone's side: `GET /join` (pick a name, then a big Book button and what the tap got),
//! `POST /join` (the name) and `POST /join/tap` (the booking).
//!
//! Every word on the phone is in `templates/room/join.html`; the handlers only say which state
//! the page is in. A tap answers JSON to a script that asks for it (`Accept: application/json`,
//! as `static/room.js` and the tests do) and a redirect back to `/join` to a plain form post.

use actix_web::http::header::{self, ACCEPT};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use crate::room::{self, storage, Participant, RoomError, Round, Tap};
use crate::web::extract::NoFields;
use crate::web::lang::PageLang;
use crate::web::ApiError;
use crate::web::AppState;

use super::participant;

#[derive(Template, WebTemplate)]
#[template(path = "room/join.html")]
pub struct JoinPage {
    lang: PageLang,
    participant: Option<Participant>,
    round: Option<Round>,
    /// The round takes taps now.
    open: bool,
    seconds_left: i64,
    tap: Option<Tap>,
    /// The name sent was refused.
    bad_name: bool,
    name_max: usize,
}

impl JoinPage {
    /// The page reloads itself while there is something to wait for.
    fn waiting(&self) -> bool {
        self.participant.is_some() && (!self.open || self.tap.as_ref().is_some_and(Tap::pending))
    }
}

async fn page_for(
    state: &AppState,
    participant: Option<Participant>,
    bad_name: bool,
    lang: PageLang,
) -> Result<JoinPage, ApiError> {
    let now = room::now_ms();
    let round = storage::current_round(state.store()).await?;
    let tap = match (&round, &participant) {
        (Some(r), Some(p)) => storage::tap_of(state.store(), r.id, p.id).await?,
        _ => None,
    };
    Ok(JoinPage {
        lang,
        open: round.as_ref().is_some_and(|r| r.open_at(now)),
        seconds_left: round.as_ref().map_or(0, |r| r.seconds_left(now)),
        participant,
        round,
        tap,
        bad_name,
        name_max: *room::NAME_CHARS.end(),
    })
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> Result<JoinPage, ApiError> {
    let participant = participant::current(state.store(), &req).await?;
    page_for(&state, participant, false, PageLang::of(&req)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameForm {
    name: String,
}

/// Joins (or renames) and goes back to `/join`, now with the Book button. A refused name shows
/// the form again with the reason, as a 400.
pub async fn join(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, ApiError> {
    let existing = participant::current(state.store(), &req).await?;
    let session = match (&existing, participant::session(&req)) {
        (Some(_), Some(session)) => session,
        _ => participant::new_session(),
    };
    match room::race::join(state.store(), existing.clone(), &session, &form.name).await {
        Ok(_) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/join"))
                .finish();
            response
                .add_cookie(&participant::cookie(&req, session))
                .map_err(|e| ApiError::Forbidden(format!("could not set the cookie: {e}")))?;
            Ok(response)
        }
        Err(RoomError::InvalidName) => {
            let page = page_for(&state, existing, true, PageLang::of(&req)).await?;
            let html = page.render().map_err(|e| {
                ApiError::Room(RoomError::Invalid(format!("the page did not render: {e}")))
            })?;
            Ok(HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .body(html))
        }
        Err(e) => Err(e.into()),
    }
}

/// What a tap answers a script: the outcome the phone shows, and where it was booked.
#[derive(Serialize)]
struct Tapped {
    round: i64,
    event_id: i64,
    strategy: &'static str,
    #[serde(flatten)]
    tap: Tap,
    got_ticket: bool,
}

pub async fn tap(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: web::Form<NoFields>,
) -> Result<HttpResponse, ApiError> {
    let participant = participant::current(state.store(), &req)
        .await?
        .ok_or(RoomError::NotJoined)?;
    // In a task of its own: a phone that drops off mid-booking still gets its answer recorded.
    let task = {
        let state = state.clone();
        actix_web::rt::spawn(async move { state.room.tap(&state.booking, &participant).await })
    };
    let (round, tap) = match task.await {
        Ok(result) => result?,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let wants_json = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !wants_json {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/join"))
            .finish());
    }
    Ok(HttpResponse::Ok().json(Tapped {
        round: round.id,
        event_id: round.event_id,
        strategy: round.strategy.as_str(),
        got_ticket: tap.got_ticket(),
        tap,
    }))
}
