//! Seat maps on the wire: an event created with named seats, the map of who holds which seat,
//! and the lock granularity a booking of several seats asks for.
//!
//! A seat is any name (a concert's `A12`, a hotel's room/night `101/2026-01-20`); an event with a
//! seat map has one ticket per seat, and a booking names the seats it takes, all or none.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownName;
use crate::strategy::StrategyName;

/// The most seats one booking may name.
pub const MAX_SEATS_PER_BOOKING: usize = 16;

/// The most seats one event's map may have.
pub const MAX_SEATS_PER_EVENT: usize = 10_000;

/// The body of `POST /events` for an event with a seat map: its capacity is the number of seats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSeatMap {
    pub name: String,
    pub seats: Vec<String>,
}

/// One booking that holds a seat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatHolder {
    pub booking_id: uuid::Uuid,
    pub customer: String,
    pub strategy: StrategyName,
    pub instance: String,
}

/// One seat of a map and every booking that holds it: none (free), one (booked) or more (sold
/// twice, which only an unprotected booking can do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub seat: String,
    pub holders: Vec<SeatHolder>,
}

impl Seat {
    pub fn is_free(&self) -> bool {
        self.holders.is_empty()
    }

    pub fn is_double_booked(&self) -> bool {
        self.holders.len() > 1
    }
}

/// `GET /events/{id}/seats`: the map in the order the seats were given, read from
/// `booking_seats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatMap {
    pub event_id: i64,
    pub seats: Vec<Seat>,
    /// The seats held by more than one booking, in map order.
    pub double_booked: Vec<String>,
}

/// What a lock strategy locks for a booking of seats: the whole event (one key, coarse), or
/// every seat (one key per seat, fine: keys sorted, all or none, released together). The query
/// knob `granularity=event|seat`; `event` when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    #[default]
    Event,
    Seat,
}

impl Granularity {
    pub const ALL: &'static [Granularity] = &[Granularity::Event, Granularity::Seat];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Event => "event",
            Granularity::Seat => "seat",
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Granularity {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Granularity, UnknownName> {
        Granularity::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == name)
            .ok_or_else(|| {
                UnknownName::new(
                    "granularity",
                    name,
                    Granularity::ALL.iter().map(|g| g.as_str()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granularity_reads_and_prints_as_its_query_word() {
        for g in Granularity::ALL {
            assert_eq!(g.as_str().parse::<Granularity>().unwrap(), *g);
            assert_eq!(serde_json::to_string(g).unwrap(), format!("\"{g}\""));
        }
        assert!("row".parse::<Granularity>().is_err());
        assert_eq!(Granularity::default(), Granularity::Event);
    }

    #[test]
    fn a_seat_held_twice_is_double_booked_and_one_held_by_nobody_is_free() {
        let map: SeatMap = serde_json::from_str(
            r#"{"event_id":1,"double_booked":["A1"],"seats":[
                {"seat":"A1","holders":[
                  {"booking_id":"0b6f2d2e-8c1f-4d59-9a55-8a3f2d1c9e10","customer":"a","strategy":"no-lock","instance":"app-1"},
                  {"booking_id":"1b6f2d2e-8c1f-4d59-9a55-8a3f2d1c9e10","customer":"b","strategy":"no-lock","instance":"app-2"}]},
                {"seat":"A2","holders":[]}]}"#,
        )
        .unwrap();
        assert!(map.seats[0].is_double_booked());
        assert!(map.seats[1].is_free());
    }
}
