//! `batched`: group commit. Concurrent bookings of one event on this instance share one
//! transaction, and each is still answered on its own.
//!
//! The first booking of an event to arrive starts a batch runner for it; every booking that
//! arrives while a batch is being written waits in the event's queue, and the runner takes the
//! whole queue as the next batch. A batch is one write transaction: lock the event row (SQLite:
//! the write lock `BEGIN IMMEDIATE` takes), read what is left, grant `min(left, batch)` in arrival
//! order, write the new count and one row per granted booking, commit. The first `granted`
//! waiters get their booking, the rest "sold out". Two instances each batch their own requests;
//! the row lock orders their batches, so it is safe across instances, and with no lease it is
//! safe past any pause. One lock turn and one commit serve a whole crowd, which is why it is the
//! fastest correct answer for a hot event; what it costs is that a request arriving during a
//! batch waits for that batch to commit before its own starts (at most one transaction's time).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::store::{
    held_seats_in, in_write_transaction, insert_bookings, write_seats_in, Booking, NewBooking,
    Pool, SeatWrite, Store,
};
use crate::trace::Trace;

use super::{race_window, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "Group commit: concurrent bookings of one event on one instance \
    join a batch, and the batch is one transaction that locks the event row, reads what is left, \
    books as many of the waiting requests as there are tickets (in arrival order), and commits \
    once. Each request still gets its own 201 or 409. The row lock orders the batches of every \
    instance, so it is safe on two instances and, holding no lease, past any pause. One lock turn \
    and one commit serve a whole crowd, which makes it the fastest correct answer for a hot event; \
    the cost is that a request arriving mid-batch waits for that batch to commit first.";

/// Most bookings written in one transaction; a larger crowd is served by several batches.
const MAX_BATCH: usize = 1_000;

/// One booking waiting for its batch.
struct Waiting {
    booking: NewBooking,
    /// The seats it books (sorted), empty for plain tickets.
    seats: Vec<String>,
    race_window: std::time::Duration,
    trace: Trace,
    answer: oneshot::Sender<Result<Booking, BookingError>>,
}

/// The queue of each event that has a batch runner right now.
#[derive(Default)]
pub struct Batches {
    queues: Mutex<HashMap<i64, Vec<Waiting>>>,
}

impl Batches {
    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Vec<Waiting>>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    super::check_before_locking(context, &request).await?;
    let (answer, answered) = oneshot::channel();
    let waiting = Waiting {
        booking: context.new_booking(&request, StrategyName::Batched, None),
        seats: request.seats.clone(),
        race_window: request.race_window,
        trace: request.trace.clone(),
        answer,
    };
    let start_runner = {
        let mut queues = context.batches.queues();
        match queues.get_mut(&request.event_id) {
            // A runner is at work on this event: it takes us with its next batch.
            Some(queue) => {
                queue.push(waiting);
                false
            }
            None => {
                queues.insert(request.event_id, vec![waiting]);
                true
            }
        }
    };
    if start_runner {
        // Its own task, so a request that gives up (deadline, shutdown) does not take the
        // batch of everyone else down with it.
        tokio::spawn(run_batches(
            context.store.clone(),
            context.batches.clone(),
            request.event_id,
        ));
    }
    answered.await.unwrap_or_else(|_| {
        Err(BookingError::Database(sqlx::Error::Protocol(
            "the batch runner stopped before answering".into(),
        )))
    })
}

/// Writes the event's queue batch after batch until it is empty, then retires.
async fn run_batches(store: Store, batches: Arc<Batches>, event_id: i64) {
    loop {
        let batch: Vec<Waiting> = {
            let mut queues = batches.queues();
            let Some(queue) = queues.get_mut(&event_id) else {
                return;
            };
            // Those whose request already gave up are not booked behind their back.
            queue.retain(|w| !w.answer.is_closed());
            if queue.is_empty() {
                queues.remove(&event_id);
                return;
            }
            let take = queue.len().min(MAX_BATCH);
            queue.drain(..take).collect()
        };
        if batch.iter().any(|w| !w.seats.is_empty()) {
            let answers = write_seat_batch(&store, event_id, &batch).await;
            for trace in batch.iter().map(|w| &w.trace) {
                trace.unlocked();
            }
            for (waiting, answer) in batch.into_iter().zip(answers) {
                let _ = waiting.answer.send(answer);
            }
            continue;
        }
        let outcome = write_batch(&store, event_id, &batch).await;
        for trace in batch.iter().map(|w| &w.trace) {
            trace.unlocked();
        }
        match outcome {
            Ok(granted) => {
                let mut granted = granted.into_iter();
                for waiting in batch {
                    let answer = granted.next().ok_or(BookingError::SoldOut { event_id });
                    let _ = waiting.answer.send(answer);
                }
            }
            Err(error) => {
                for waiting in batch {
                    let _ = waiting.answer.send(Err(shared(&error)));
                }
            }
        }
    }
}

/// The batch's failure as each of its requests is told it.
fn shared(error: &BookingError) -> BookingError {
    match error {
        BookingError::UnknownEvent(unknown) => BookingError::UnknownEvent(*unknown),
        other => BookingError::Database(sqlx::Error::Protocol(format!(
            "the batch this booking was part of failed: {other}"
        ))),
    }
}

/// One batch in one transaction: the bookings granted, in the batch's order.
async fn write_batch(
    store: &Store,
    event_id: i64,
    batch: &[Waiting],
) -> Result<Vec<Booking>, BookingError> {
    let select = match store.pool() {
        Pool::Sqlite(_) => "SELECT available FROM events WHERE id = $1",
        Pool::Postgres(_) => "SELECT available FROM events WHERE id = $1 FOR UPDATE",
    };
    let traces = || batch.iter().map(|w| &w.trace);
    // The batch's window is its first request's: the lesson's pause, taken once per batch.
    let window = batch[0].race_window;
    let backend = store.backend();
    let written = in_write_transaction!(store, tx => {
        let available: Option<i64> = sqlx::query_scalar(select)
            .bind(event_id)
            .fetch_optional(&mut *tx)
            .await?;
        traces().for_each(|t| {
            t.lock_taken();
            t.read();
        });
        let available = available.ok_or(crate::store::UnknownEvent(event_id))?;
        let granted = batch.len().min(available.max(0) as usize);
        if granted == 0 {
            return Ok(Vec::new());
        }
        race_window(window).await;
        traces().take(granted).for_each(Trace::write_started);
        sqlx::query("UPDATE events SET available = available - $1, version = version + 1 WHERE id = $2")
            .bind(granted as i64)
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let rows: Vec<NewBooking> = batch[..granted].iter().map(|w| w.booking.clone()).collect();
        let written = insert_bookings!(tx, backend, &rows);
        tx.commit().await?;
        traces().take(granted).for_each(Trace::write_done);
        written
    });
    Ok(written)
}

/// A batch of seat bookings in one transaction under the event row's lock: each booking, in
/// arrival order, gets its seats if neither an earlier booking nor one earlier in this batch
/// holds any of them, else `seat_taken`. One answer per booking, in the batch's order.
async fn write_seat_batch(
    store: &Store,
    event_id: i64,
    batch: &[Waiting],
) -> Vec<Result<Booking, BookingError>> {
    match seat_batch_ids(store, event_id, batch).await {
        Ok(ids) => batch
            .iter()
            .zip(ids)
            .map(|(waiting, id)| Ok(waiting.booking.clone().written(&id?)?))
            .collect(),
        Err(error) => batch.iter().map(|_| Err(shared(&error))).collect(),
    }
}

/// The ids written for a seat batch, or each refusal; an error fails the whole batch.
async fn seat_batch_ids(
    store: &Store,
    event_id: i64,
    batch: &[Waiting],
) -> Result<Vec<Result<String, BookingError>>, BookingError> {
    let lock = match store.pool() {
        Pool::Sqlite(_) => "SELECT id FROM events WHERE id = $1",
        Pool::Postgres(_) => "SELECT id FROM events WHERE id = $1 FOR UPDATE",
    };
    let backend = store.backend();
    let window = batch[0].race_window;
    let answers = in_write_transaction!(store, tx => {
        let found: Option<i64> = sqlx::query_scalar(lock)
            .bind(event_id)
            .fetch_optional(&mut *tx)
            .await?;
        found.ok_or(crate::store::UnknownEvent(event_id))?;
        batch.iter().for_each(|w| w.trace.lock_taken());
        race_window(window).await;
        let mut granted: HashSet<&str> = HashSet::new();
        let mut answers = Vec::with_capacity(batch.len());
        for waiting in batch {
            let held = held_seats_in!(&mut *tx, event_id, &waiting.seats)?;
            waiting.trace.read();
            let mut taken: Vec<String> = held;
            taken.extend(
                waiting
                    .seats
                    .iter()
                    .filter(|s| granted.contains(s.as_str()))
                    .cloned(),
            );
            if !taken.is_empty() {
                taken.sort();
                taken.dedup();
                answers.push(Err(BookingError::SeatTaken { event_id, seats: taken }));
                continue;
            }
            waiting.trace.write_started();
            let id = write_seats_in!(tx, backend, waiting.booking, &waiting.seats, SeatWrite::Unconditional)?
                .expect("an unconditional write always writes");
            granted.extend(waiting.seats.iter().map(String::as_str));
            answers.push(Ok(id));
        }
        tx.commit().await?;
        batch.iter().for_each(|w| w.trace.write_done());
        answers
    });
    Ok(answers)
}
