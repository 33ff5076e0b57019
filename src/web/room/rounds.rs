//! Starting a round, for the instructor only: `POST /room/rounds` (JSON, from scripts and the
//! projector's script) and `POST /ui/room/rounds` (the projector's form without script). Both
//! take [`Admin`], so a participant's phone, which has only its room cookie, is refused.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::room::RoundInput;
use crate::web::admin::Admin;
use crate::web::extract::OptionalJson;
use crate::web::ApiError;
use crate::web::AppState;

pub async fn start(
    _: Admin,
    state: web::Data<AppState>,
    body: OptionalJson<RoundInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.required(r#"{"strategy": "no-lock", "race_window_ms": 3000}"#)?;
    let spec = input.check()?;
    let round = state
        .room
        .start_round(&state.booking, &state.defaults, spec)
        .await?;
    Ok(HttpResponse::Created().json(round))
}

pub async fn start_form(
    _: Admin,
    state: web::Data<AppState>,
    form: web::Form<RoundInput>,
) -> Result<HttpResponse, ApiError> {
    let spec = form.into_inner().check()?;
    state
        .room
        .start_round(&state.booking, &state.defaults, spec)
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/room"))
        .finish())
}
