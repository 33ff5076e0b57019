//! The JSON API: events and their audit, resets, and booking with a chosen strategy.
//!
//! Handlers only translate: they check input, call the store or a strategy, and shape the JSON.
//! Input is validated before anything is written, so a bad request never changes the database.

use actix_web::{web, HttpResponse};
use oversold_api::ErrorCode;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::config::{check_range, CAPACITY};
use crate::lock::LockError;
use crate::store::{check_map, Audit, Event, SeatProblem, UnknownEvent, MAX_PAGE};
use crate::strategy::{BookingRequest, Granularity, Registry, StrategyName};
use crate::trace::{Marks, Trace};
use crate::web::ApiError;
use crate::web::AppState;

use super::admin::Admin;
use super::extract::{Knobs, NoFields, OptionalJson};

/// An event as the API shows it: its columns and the audit of its bookings.
#[derive(Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: Event,
    pub audit: Audit,
}

impl From<Event> for EventView {
    fn from(event: Event) -> EventView {
        let audit = event.audit();
        EventView { event, audit }
    }
}

fn views(events: Vec<Event>) -> Vec<EventView> {
    events.into_iter().map(EventView::from).collect()
}

/// Events one `GET /events` answers when the query does not say.
pub const DEFAULT_PAGE: i64 = 100;

/// `GET /events?limit=&after=`: which page of events.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// At most this many events (1 to [`MAX_PAGE`]; [`DEFAULT_PAGE`] when absent).
    limit: Option<i64>,
    /// Only events with a larger id: the last id of the previous page.
    after: Option<i64>,
}

/// A page of events, in id order. The body stays the array it always was, so every client that
/// reads it keeps working; the paging is in the headers, as GitHub's API does it: `X-Total-Count`
/// is the number of events, and `Link: <...>; rel="next"` is there when there are more.
pub async fn list_events(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = check_range(
        "limit",
        query.limit.unwrap_or(DEFAULT_PAGE),
        &(1..=MAX_PAGE),
    )
    .map_err(|m| ApiError::bad_request(ErrorCode::InvalidInput, m))?;
    let page = state.store().events_page(query.after, limit).await?;
    let mut answer = HttpResponse::Ok();
    answer.insert_header(("X-Total-Count", page.total.to_string()));
    if let (true, Some(last)) = (page.more, page.events.last()) {
        answer.insert_header((
            "Link",
            format!("</events?limit={limit}&after={}>; rel=\"next\"", last.id),
        ));
    }
    Ok(answer.json(views(page.events)))
}

pub async fn get_event(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let event = state.store().event(id).await?.ok_or(UnknownEvent(id))?;
    Ok(HttpResponse::Ok().json(full_view(state.store(), event).await?))
}

/// The event with its full audit: on a seat map, the names of the seats sold twice too.
async fn full_view(store: &crate::store::Store, event: Event) -> Result<EventView, ApiError> {
    let audit = match event.double_booked {
        0 => event.audit(),
        _ => store
            .audit(event.id)
            .await?
            .unwrap_or_else(|| event.audit()),
    };
    Ok(EventView { event, audit })
}

/// The body of `POST /events`: the api crate's `NewEvent` (`capacity` tickets) or `NewSeatMap`
/// (named `seats`, one ticket each), read as one struct so that either mistake (both, or
/// neither) gets a sentence of its own rather than serde's "no variant matched".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    name: String,
    capacity: Option<i64>,
    seats: Option<Vec<String>>,
}

pub async fn create_event(
    _: Admin,
    state: web::Data<AppState>,
    body: OptionalJson<NewEvent>,
) -> Result<HttpResponse, ApiError> {
    let new = body.required(r#"{"name": "Concert", "capacity": 100}"#)?;
    let name = clean_text("name", &new.name)?;
    let event = match (new.capacity, new.seats) {
        (Some(capacity), None) => {
            let capacity = check_capacity(capacity)?;
            state.store().create_event(&name, capacity).await?
        }
        (None, Some(seats)) => {
            let seats = check_map(&seats).map_err(seat_problem)?;
            state.store().create_seat_map(&name, &seats).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidInput,
                r#"send either "capacity" (plain tickets) or "seats" (a seat map, one ticket per seat), e.g. {"name": "Concert", "seats": ["A1", "A2"]}"#,
            ))
        }
    };
    info!(
        event_id = event.id,
        capacity = event.capacity,
        "event created"
    );
    Ok(HttpResponse::Created().json(EventView::from(event)))
}

/// `GET /events/{id}/seats`: every seat of the map with the bookings that hold it.
pub async fn seat_map(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let map = state.store().seat_map(id).await?.ok_or(UnknownEvent(id))?;
    Ok(HttpResponse::Ok().json(map))
}

/// Seats refused as input: a 400 whose message names the seat and why.
fn seat_problem(problem: SeatProblem) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSeat, problem.to_string())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    capacity: Option<i64>,
}

pub async fn reset_event(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: OptionalJson<Reset>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let capacity = body
        .0
        .unwrap_or_default()
        .capacity
        .map(check_capacity)
        .transpose()?;
    // A seat map's capacity is its number of seats; a reset frees them and changes neither.
    let seats = state.store().seat_count(id).await?;
    if seats > 0 && capacity.is_some_and(|c| c != seats) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidInput,
            format!("event {id} has a seat map of {seats} seats, which is its capacity"),
        ));
    }
    let event = state
        .store()
        .reset_event(id, capacity)
        .await?
        .ok_or(UnknownEvent(id))?;
    info!(event_id = id, capacity = event.capacity, "event reset");
    Ok(HttpResponse::Ok().json(EventView::from(event)))
}

/// `POST /reset` takes no fields: an empty body or `{}`, so a malformed body resets nothing.
pub async fn reset_all(
    _: Admin,
    state: web::Data<AppState>,
    _body: OptionalJson<NoFields>,
) -> Result<HttpResponse, ApiError> {
    let events = state.store().reset_all().await?;
    info!(events = events.len(), "all events reset");
    Ok(HttpResponse::Ok().json(views(events)))
}

pub async fn strategies() -> HttpResponse {
    let all: Vec<_> = StrategyName::ALL.iter().map(|s| s.info()).collect();
    HttpResponse::Ok().json(all)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    customer: Option<String>,
    seats: Option<Vec<String>>,
}

/// `POST /book-no-lock/{id}` and `POST /book-with-lock/{id}`: the strategy is the route's own.
pub async fn book_fixed(
    strategy: web::Data<StrategyName>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    knobs: Result<Knobs, ApiError>,
    body: OptionalJson<BookBody>,
) -> Result<HttpResponse, ApiError> {
    book_with(**strategy, state, id.into_inner(), knobs, body).await
}

pub async fn book(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    knobs: Result<Knobs, ApiError>,
    body: OptionalJson<BookBody>,
) -> Result<HttpResponse, ApiError> {
    let (name, id) = path.into_inner();
    let strategy: StrategyName = name
        .parse()
        .map_err(|unknown: oversold_api::UnknownName| ApiError::NotFound(unknown.to_string()))?;
    book_with(strategy, state, id, knobs, body).await
}

#[derive(Serialize)]
struct Booked {
    booking: crate::store::Booking,
    /// From taking the request to holding the lock, when the strategy takes one.
    lock_wait_ms: Option<f64>,
    elapsed_ms: f64,
    trace: Marks,
}

async fn book_with(
    strategy: StrategyName,
    state: web::Data<AppState>,
    event_id: i64,
    knobs: Result<Knobs, ApiError>,
    body: OptionalJson<BookBody>,
) -> Result<HttpResponse, ApiError> {
    let trace = Trace::start(state.instance());
    let result = match booking_request(&state, strategy, event_id, knobs, body, &trace).await {
        Ok(request) => crate::strategy::book(strategy, &state.booking, request)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let marks = trace.finish();
    let error = result.as_ref().err();
    let outcome = error.map_or("booked", |e| e.code().as_str());
    let lock_error = error.and_then(ApiError::lock_error);
    state
        .metrics
        .record_booking(strategy.as_str(), &marks, outcome, lock_error);
    log_booking(&state, strategy, event_id, &marks, outcome, lock_error);
    Ok(match result {
        Ok(booking) => HttpResponse::Created().json(Booked {
            booking,
            lock_wait_ms: marks.lock_acquired_ms,
            elapsed_ms: marks.total_ms,
            trace: marks,
        }),
        Err(e) => e.response(Some(&marks)),
    })
}

/// The knobs and body checked and turned into what a strategy books with.
async fn booking_request(
    state: &AppState,
    strategy: StrategyName,
    event_id: i64,
    knobs: Result<Knobs, ApiError>,
    body: OptionalJson<BookBody>,
    trace: &Trace,
) -> Result<BookingRequest, ApiError> {
    // A bad knob is answered like any refused booking: counted, logged, with its trace.
    let knobs = knobs?;
    let race_window = knobs.race_window.unwrap_or(state.defaults.race_window);
    let ttl = knobs.ttl.unwrap_or(state.defaults.ttl);
    let body = body.0.unwrap_or_default();
    let customer = match body.customer {
        Some(c) => clean_text("customer", &c)?,
        None => format!("guest-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
    };
    let seats = state
        .store()
        .check_booking_seats(event_id, body.seats.as_deref())
        .await?
        .ok_or(UnknownEvent(event_id))?
        .map_err(seat_problem)?;
    let granularity = knobs.granularity.unwrap_or_default();
    if granularity == Granularity::Seat {
        check_per_seat(strategy, &seats)?;
    }
    Ok(BookingRequest {
        event_id,
        customer,
        race_window,
        ttl,
        seats,
        granularity,
        trace: trace.clone(),
    })
}

/// `granularity=seat` needs seats to lock, and a strategy that can lock per seat.
fn check_per_seat(strategy: StrategyName, seats: &[String]) -> Result<(), ApiError> {
    let refuse = |message: String| Err(ApiError::bad_request(ErrorCode::InvalidKnob, message));
    if seats.is_empty() {
        return refuse(
            "granularity=seat locks the seats a booking names; this one names none".into(),
        );
    }
    if !strategy.locks_per_seat() {
        let can: Vec<&str> = StrategyName::ALL
            .iter()
            .filter(|s| s.locks_per_seat())
            .map(|s| s.as_str())
            .collect();
        return refuse(format!(
            "{strategy} takes no lock per seat (granularity=event only); the strategies that \
             do are {}",
            can.join(", ")
        ));
    }
    Ok(())
}

/// One line per booking at info; at warn when the lock was the trouble (could not be had, or
/// its lease ran out before the release, so another request may have held it too).
fn log_booking(
    state: &AppState,
    strategy: StrategyName,
    event_id: i64,
    marks: &Marks,
    outcome: &str,
    lock_error: Option<&LockError>,
) {
    let lock_key = strategy.lock_key(event_id);
    let lock_key = lock_key.as_deref().unwrap_or("none");
    let lock_trouble = lock_error.is_some() || marks.lease_expired == Some(true);
    macro_rules! booking_line {
        ($level:ident, $message:literal) => {
            tracing::$level!(
                instance = %state.instance(),
                strategy = strategy.as_str(),
                event_id,
                lock_key,
                token = marks.fence_token,
                outcome,
                lock_wait_ms = marks.lock_acquired_ms,
                held_ms = marks.hold_ms(),
                elapsed_ms = marks.total_ms,
                $message
            )
        };
    }
    if lock_trouble {
        booking_line!(warn, "booking had lock trouble");
    } else {
        booking_line!(info, "booking");
    }
}

/// A capacity on create, reset and the dashboard's reset form, checked the same way everywhere.
pub(super) fn check_capacity(capacity: i64) -> Result<i64, ApiError> {
    check_range("capacity", capacity, &CAPACITY)
        .map_err(|m| ApiError::bad_request(ErrorCode::InvalidInput, m))
}

/// A short single-line text: trimmed, 1 to 100 characters, no control characters, and none of
/// the invisible ones that make a name display as something else (bidirectional overrides,
/// zero-width characters), since names end up on the dashboard and in the logs.
fn clean_text(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars == 0 || chars > 100 || value.chars().any(|c| c.is_control() || invisible(c)) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidInput,
            format!(
                "{field} must be 1 to 100 characters on one line, without control or invisible \
                 formatting characters"
            ),
        ));
    }
    Ok(value.to_string())
}

fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}
