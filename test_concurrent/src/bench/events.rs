//! The benchmark's own events, found by name or created once, and reset before every cell.
//!
//! The benchmark never books the lab's demo events: it uses one "hot" event that every worker
//! fights over and one event per worker for the runs without contention. They are looked up by
//! name on every run (GET /events) and created only when missing (POST /events), so repeated
//! runs do not pile up events.

use oversold_api::{Client, NewEvent};

/// Far more tickets than a cell can sell, so nobody is ever told "sold out" and every request
/// does the full booking.
pub const CAPACITY: i64 = 1_000_000;

const HOT: &str = "bench: hot event";
/// Booked by the database-limit loop, over sqlx rather than HTTP.
const DATABASE: &str = "bench: database limit";
/// The waves of 10,000 requests.
const WAVE: &str = "bench: wave";
/// The no-lock race at a zero window.
const RACE: &str = "bench: race";

fn spread_name(worker: usize) -> String {
    format!("bench: worker {worker}'s event")
}

/// The event ids of one run.
#[derive(Clone, Debug)]
pub struct BenchEvents {
    pub hot: i64,
    pub database: i64,
    pub wave: i64,
    pub race: i64,
    /// One per worker, `spread[i]` for worker `i`.
    pub spread: Vec<i64>,
}

impl BenchEvents {
    /// Finds or creates the hot event and `workers` spread events on the first target.
    pub async fn ensure(client: &Client, workers: usize) -> anyhow::Result<BenchEvents> {
        let existing = client.events().await?;
        let id_of = |name: &str| {
            existing
                .iter()
                .find(|e| e.event.name == name)
                .map(|e| e.event.id)
        };
        let mut named = Vec::new();
        for name in [HOT, DATABASE, WAVE, RACE] {
            named.push(match id_of(name) {
                Some(id) => id,
                None => create(client, name).await?,
            });
        }
        let [hot, database, wave, race] = named[..] else {
            unreachable!("four names, four ids")
        };
        let mut spread = Vec::with_capacity(workers);
        for worker in 1..=workers {
            let name = spread_name(worker);
            spread.push(match id_of(&name) {
                Some(id) => id,
                None => create(client, &name).await?,
            });
        }
        Ok(BenchEvents {
            hot,
            database,
            wave,
            race,
            spread,
        })
    }

    /// The events a cell books: the hot one, or the first `workers` spread ones.
    pub fn for_cell(&self, hot: bool, workers: usize) -> Vec<i64> {
        if hot {
            vec![self.hot]
        } else {
            self.spread[..workers].to_vec()
        }
    }
}

async fn create(client: &Client, name: &str) -> anyhow::Result<i64> {
    let new = NewEvent {
        name: name.to_string(),
        capacity: CAPACITY,
    };
    Ok(client.create_event(&new).await?.event.id)
}

/// Resets every event of a cell to [`CAPACITY`] tickets and no bookings.
pub async fn reset(client: &Client, events: &[i64]) -> anyhow::Result<()> {
    for &event in events {
        client.reset(event, Some(CAPACITY)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hot_event_is_shared_and_each_worker_has_its_own_otherwise() {
        let events = BenchEvents {
            hot: 7,
            database: 8,
            wave: 9,
            race: 6,
            spread: vec![10, 11, 12],
        };
        assert_eq!(events.for_cell(true, 3), [7]);
        assert_eq!(events.for_cell(false, 2), [10, 11]);
        assert_ne!(spread_name(1), spread_name(2));
    }
}
