//! The projector: `GET /room` (the join QR code, the instructor's round form, the live board),
//! `GET /room/board` (the board alone, which the page polls and swaps in) and `GET /room/state`
//! (the same as JSON, for scripts and tests).
//!
//! The board lists who was told "you got the ticket" (the taps' answers) beside the verdict of
//! the audit of the round's event (the database): without a lock several people cheer and the
//! audit says the ticket was sold several times; with one, one person and one booking. Reading
//! it needs nothing; starting a round needs the admin ([`super::rounds`]).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use askama_web::WebTemplate;
use serde::Serialize;

use crate::room::{self, storage, Round, Tap};
use crate::store::{Audit, Backend};
use crate::strategy::{Registry, StrategyName};
use crate::web::lang::PageLang;
use crate::web::ApiError;
use crate::web::AppState;

use super::qr;

/// The live part of the projector, and the body of `GET /room/state`.
#[derive(Serialize, Template)]
#[template(path = "room/board.html")]
pub struct Board {
    /// The language the board is worded in (the page's; not part of the JSON state).
    #[serde(skip)]
    pub lang: PageLang,
    pub participants: i64,
    pub round: Option<Round>,
    pub open: bool,
    pub seconds_left: i64,
    /// Every tap of the round, in the order they came.
    pub taps: Vec<Tap>,
    /// The names of those told "you got the ticket", in the order they tapped.
    pub told_got_it: Vec<String>,
    /// Taps still being booked.
    pub pending: usize,
    /// The audit of the round's event: the verdict.
    pub audit: Option<Audit>,
}

impl Board {
    pub async fn load(state: &AppState, lang: PageLang) -> Result<Board, ApiError> {
        let store = state.store();
        let now = room::now_ms();
        let round = storage::current_round(store).await?;
        let (taps, audit) = match &round {
            Some(r) => (
                storage::taps(store, r.id).await?,
                store.audit(r.event_id).await?,
            ),
            None => (Vec::new(), None),
        };
        Ok(Board {
            lang,
            participants: storage::participant_count(store).await?,
            open: round.as_ref().is_some_and(|r| r.open_at(now)),
            seconds_left: round.as_ref().map_or(0, |r| r.seconds_left(now)),
            told_got_it: taps
                .iter()
                .filter(|t| t.got_ticket())
                .map(|t| t.name.clone())
                .collect(),
            pending: taps.iter().filter(|t| t.pending()).count(),
            round,
            taps,
            audit,
        })
    }

    /// The verdict's colour, from the audit alone.
    fn tone(&self) -> &'static str {
        match &self.audit {
            Some(a) if a.oversold > 0 || a.negative_available => "bad",
            Some(a) if a.lost_updates || a.booked == 0 => "warn",
            Some(_) => "good",
            None => "warn",
        }
    }
}

/// A strategy the instructor may pick, and whether this database runs it.
pub struct Choice {
    pub name: &'static str,
    pub supported: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "room/projector.html")]
pub struct Projector {
    lang: PageLang,
    join_url: String,
    qr_svg: String,
    /// The round form is shown to the admin only (anyone on a server without a token).
    admin: bool,
    choices: Vec<Choice>,
    race_window_ms: u64,
    race_window_min: u64,
    race_window_max: u64,
    round_secs: u64,
    round_secs_min: u64,
    round_secs_max: u64,
    peers: usize,
    /// The board as rendered on its own, the same HTML the page then polls for.
    board_html: String,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> Result<Projector, ApiError> {
    let join_url = qr::join_url(&state, &req);
    let backend: Backend = state.store().backend();
    let lang = PageLang::of(&req);
    Ok(Projector {
        board_html: render_board(&Board::load(&state, lang.clone()).await?)?,
        lang,
        qr_svg: qr::svg_of(&join_url),
        join_url,
        admin: state.admin.is_admin(&req),
        choices: StrategyName::ALL
            .iter()
            .map(|s| Choice {
                name: s.as_str(),
                supported: s.databases().contains(&backend),
            })
            .collect(),
        race_window_ms: room::DEFAULT_ROUND_RACE_WINDOW_MS,
        race_window_min: *room::ROUND_RACE_WINDOW_MS.start(),
        race_window_max: *room::ROUND_RACE_WINDOW_MS.end(),
        round_secs: room::DEFAULT_ROUND_SECS,
        round_secs_min: *room::ROUND_SECS.start(),
        round_secs_max: *room::ROUND_SECS.end(),
        peers: state.experiments.peers().len(),
    })
}

fn render_board(board: &Board) -> Result<String, ApiError> {
    board.render().map_err(|e| {
        ApiError::Room(crate::room::RoomError::Invalid(format!(
            "the board did not render: {e}"
        )))
    })
}

pub async fn board(state: web::Data<AppState>, lang: PageLang) -> Result<HttpResponse, ApiError> {
    let html = render_board(&Board::load(&state, lang).await?)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html))
}

pub async fn state_json(
    state: web::Data<AppState>,
    lang: PageLang,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Board::load(&state, lang).await?))
}
