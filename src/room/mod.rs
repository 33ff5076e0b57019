//! The human race: participants join from their phones, the instructor starts a round on an
//! event with one ticket, and every participant's tap is a real booking through a strategy.
//!
//! A round is wide on purpose: its race window is seconds, not milliseconds, so taps by people
//! who press "Book" within a second or two of each other all read the same last ticket. Each tap
//! goes through [`crate::strategy::book`] on this instance or, round-robin by participant, on one
//! of its `--peers` over HTTP (`POST /book/{strategy}/{id}`), so a round is spread over both
//! instances like an experiment. Rounds are bounded: they end after their duration, and the
//! primary key of `room_taps` allows one tap per participant per round on every instance at once.
//!
//! Everything is in the database ([`storage`]), not in an instance's memory: a participant who
//! joined on one instance taps on whichever serves the next request, and every projector shows
//! the same list. Who was *told* "you got the ticket" is the taps' list; whether the ticket was
//! sold more than once is the audit of the round's event, as everywhere in the lab.

pub mod race;
pub mod storage;

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::strategy::{BookingError, StrategyName};

pub use race::Room;

/// A participant's name: short enough for a projector list, long enough for a first name.
pub const NAME_CHARS: RangeInclusive<usize> = 1..=24;
/// A round's race window: wide enough for human taps to collide, at most ten seconds.
pub const ROUND_RACE_WINDOW_MS: RangeInclusive<u64> = 500..=10_000;
/// The race window a round gets when the instructor does not say: three seconds.
pub const DEFAULT_ROUND_RACE_WINDOW_MS: u64 = 3_000;
/// How long a round takes taps, in seconds.
pub const ROUND_SECS: RangeInclusive<u64> = 10..=600;
pub const DEFAULT_ROUND_SECS: u64 = 60;
/// Participants a lab keeps at most: a bound on the table, far above any room.
pub const MAX_PARTICIPANTS: i64 = 10_000;

/// The outcome of a tap that is still being booked.
pub const PENDING: &str = "pending";
/// The outcome of a tap whose booking answered 201: the participant was told "you got it".
pub const BOOKED: &str = "booked";
/// The outcome of a tap forwarded to a peer that did not answer.
pub const NO_ANSWER: &str = "no_answer";

/// Someone who joined from a phone. No admin rights: the cookie is a participant's only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Participant {
    pub id: i64,
    pub name: String,
}

/// A round as the instructor started it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: i64,
    /// The event made for the round, with one ticket.
    pub event_id: i64,
    pub strategy: StrategyName,
    pub race_window_ms: i64,
    pub ttl_ms: i64,
    pub started_ms: i64,
    pub ends_ms: i64,
}

impl Round {
    /// Whether the round takes taps at `now_ms`.
    pub fn open_at(&self, now_ms: i64) -> bool {
        (self.started_ms..self.ends_ms).contains(&now_ms)
    }

    /// Whole seconds until the round stops taking taps (0 once it has).
    pub fn seconds_left(&self, now_ms: i64) -> i64 {
        ((self.ends_ms - now_ms).max(0) + 999) / 1000
    }

    /// The race window in seconds, for the screens.
    pub fn race_window_secs(&self) -> f64 {
        self.race_window_ms as f64 / 1000.0
    }
}

/// One participant's tap in a round, and what it was told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Tap {
    pub participant_id: i64,
    pub name: String,
    /// [`PENDING`], [`BOOKED`], [`NO_ANSWER`] or a refused booking's error code (`sold_out`, ...).
    pub outcome: String,
    /// The instance that booked it (or refused), once it answered.
    pub instance: Option<String>,
    pub tapped_ms: i64,
    pub answered_ms: Option<i64>,
}

impl Tap {
    /// The participant's phone said "you got the ticket".
    pub fn got_ticket(&self) -> bool {
        self.outcome == BOOKED
    }

    pub fn pending(&self) -> bool {
        self.outcome == PENDING
    }

    /// The booking was refused because the ticket was gone.
    pub fn sold_out(&self) -> bool {
        self.outcome == "sold_out"
    }
}

/// What the instructor asks for when starting a round.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    pub strategy: String,
    pub race_window_ms: Option<u64>,
    pub round_secs: Option<u64>,
}

/// A round's settings, checked.
#[derive(Clone, Copy, Debug)]
pub struct RoundSpec {
    pub strategy: StrategyName,
    pub race_window_ms: u64,
    pub round_secs: u64,
}

impl RoundInput {
    pub fn check(self) -> Result<RoundSpec, RoomError> {
        let strategy = self
            .strategy
            .parse()
            .map_err(|e: oversold_api::UnknownName| RoomError::Invalid(e.to_string()))?;
        let race_window_ms = crate::config::check_range(
            "race_window_ms",
            self.race_window_ms.unwrap_or(DEFAULT_ROUND_RACE_WINDOW_MS),
            &ROUND_RACE_WINDOW_MS,
        )
        .map_err(RoomError::Invalid)?;
        let round_secs = crate::config::check_range(
            "round_secs",
            self.round_secs.unwrap_or(DEFAULT_ROUND_SECS),
            &ROUND_SECS,
        )
        .map_err(RoomError::Invalid)?;
        Ok(RoundSpec {
            strategy,
            race_window_ms,
            round_secs,
        })
    }
}

/// A participant's name, trimmed and checked: [`NAME_CHARS`] characters on one line, with no
/// control or invisible formatting characters (a name is shown to the whole room).
pub fn check_name(name: &str) -> Result<String, RoomError> {
    let name = name.trim();
    let chars = name.chars().count();
    let invisible = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}');
    if !NAME_CHARS.contains(&chars) || name.chars().any(|c| c.is_control() || invisible(c)) {
        return Err(RoomError::InvalidName);
    }
    Ok(name.to_string())
}

/// Why a room action was refused; no HTTP in it (the web layer maps it).
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(
        "a name is {min} to {max} characters on one line, without control or invisible characters",
        min = NAME_CHARS.start(),
        max = NAME_CHARS.end()
    )]
    InvalidName,
    #[error("join the room first: open /join and pick a name")]
    NotJoined,
    #[error("no round is open: wait for the instructor to start one")]
    NoOpenRound,
    #[error("you already tapped in round {round}: one tap per person per round")]
    AlreadyTapped { round: i64 },
    #[error("the room is full ({MAX_PARTICIPANTS} participants)")]
    Full,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Booking(#[from] BookingError),
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Milliseconds since the Unix epoch: the rounds' clock, shared by the instances of one machine.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Linh ").unwrap(), "Linh");
        assert!(check_name("").is_err());
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(25)).is_err());
        assert!(check_name(&"é".repeat(24)).is_ok());
        assert!(check_name("a\u{202E}b").is_err());
        assert!(check_name("a\nb").is_err());
    }

    #[test]
    fn a_round_is_open_from_its_start_until_its_end() {
        let round = Round {
            id: 1,
            event_id: 1,
            strategy: StrategyName::NoLock,
            race_window_ms: 3000,
            ttl_ms: 10_000,
            started_ms: 1_000,
            ends_ms: 61_000,
        };
        assert!(!round.open_at(999));
        assert!(round.open_at(1_000));
        assert!(!round.open_at(61_000));
        assert_eq!(round.seconds_left(60_001), 1);
        assert_eq!(round.seconds_left(70_000), 0);
    }

    #[test]
    fn round_settings_out_of_range_are_refused() {
        let input = |w, s| RoundInput {
            strategy: "no-lock".into(),
            race_window_ms: w,
            round_secs: s,
        };
        assert!(input(None, None).check().is_ok());
        assert!(input(Some(100), None).check().is_err());
        assert!(input(None, Some(5)).check().is_err());
        assert!(RoundInput {
            strategy: "nope".into(),
            race_window_ms: None,
            round_secs: None
        }
        .check()
        .is_err());
    }
}
