//! Counting how the requests of one fight were answered: by kind, and the 201s by instance.
//!
//! The tally is colour for a report (who was told "sold out", which instance sold), never the
//! verdict: that comes from the audit. Every answer lands in exactly one count, so
//! `created + sold_out + stale_fence + unavailable + other` is always the number sent.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::booking::BookingAnswer;
use crate::error::ErrorCode;

/// Answers per kind; together they add up to the requests sent.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StatusCounts {
    /// 201: a booking was made.
    pub created: u32,
    /// 409 `sold_out`: no ticket left.
    pub sold_out: u32,
    /// 409 `stale_fence`: a late lock holder turned away by the fencing check.
    pub stale_fence: u32,
    /// 503: the lock (or the database) could not be had in time (`lock_timeout`,
    /// `quorum_unavailable`, `redis_unavailable`, `contention`, ...).
    pub unavailable: u32,
    /// Anything else: other 4xx/5xx answers (e.g. 409 `lock_expired`, 501), timeouts, broken
    /// connections.
    pub other: u32,
}

/// How one fight was answered.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Tally {
    pub status: StatusCounts,
    /// 201s per instance that served them (the booking's `instance`; `?` when unreadable).
    pub instances: BTreeMap<String, u32>,
    /// The first answer counted as `other`, to show why something went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_other: Option<String>,
    /// Of the `other`s, the 501s: the server cannot run the strategy on its database.
    #[serde(skip)]
    pub unsupported: u32,
}

impl Tally {
    pub fn of<'a>(answers: impl IntoIterator<Item = &'a BookingAnswer>) -> Tally {
        let mut tally = Tally::default();
        for answer in answers {
            tally.add(answer);
        }
        tally
    }

    pub fn total(&self) -> u32 {
        let s = &self.status;
        s.created + s.sold_out + s.stale_fence + s.unavailable + s.other
    }

    /// Every answer was a 501: the database cannot run the strategy (not a wrong result).
    pub fn all_unsupported(&self) -> bool {
        self.unsupported > 0 && self.unsupported == self.total()
    }

    pub fn add(&mut self, answer: &BookingAnswer) {
        let s = &mut self.status;
        let other = match answer {
            BookingAnswer::Booked(booked) => {
                s.created += 1;
                *self
                    .instances
                    .entry(booked.booking.instance.clone())
                    .or_default() += 1;
                return;
            }
            BookingAnswer::Unreadable { status: 201 } => {
                s.created += 1;
                *self.instances.entry("?".to_string()).or_default() += 1;
                return;
            }
            BookingAnswer::Refused { status: 409, body } if body.error == ErrorCode::SoldOut => {
                s.sold_out += 1;
                return;
            }
            BookingAnswer::Refused { status: 409, body } if body.error == ErrorCode::StaleFence => {
                s.stale_fence += 1;
                return;
            }
            BookingAnswer::Refused { status: 503, .. }
            | BookingAnswer::Unreadable { status: 503 } => {
                s.unavailable += 1;
                return;
            }
            BookingAnswer::Refused { status, body } => {
                if *status == 501 {
                    self.unsupported += 1;
                }
                format!("{status}: {}", body.message)
            }
            BookingAnswer::Unreadable { status } => format!("{status}: no message"),
            BookingAnswer::NoAnswer { detail, .. } => detail.clone(),
        };
        s.other += 1;
        self.first_other.get_or_insert(other);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::booking::{Booked, Booking, Marks, NoAnswer};
    use crate::error::ErrorBody;
    use crate::strategy::StrategyName;

    pub(crate) fn refused(status: u16, code: ErrorCode) -> BookingAnswer {
        BookingAnswer::Refused {
            status,
            body: ErrorBody {
                error: code,
                message: format!("{code} happened"),
                trace: None,
            },
        }
    }

    fn booked(instance: &str) -> BookingAnswer {
        BookingAnswer::Booked(Booked {
            booking: Booking {
                id: uuid::Uuid::nil(),
                event_id: 1,
                customer: "c".into(),
                strategy: StrategyName::Redis,
                instance: instance.into(),
                fence_token: None,
            },
            lock_wait_ms: None,
            elapsed_ms: 1.0,
            trace: Marks::default(),
        })
    }

    #[test]
    fn every_answer_is_counted_once_and_201s_by_instance() {
        let tally = Tally::of(&[
            booked("app-1"),
            booked("app-2"),
            booked("app-1"),
            refused(409, ErrorCode::SoldOut),
            refused(409, ErrorCode::StaleFence),
            refused(503, ErrorCode::LockTimeout),
            refused(503, ErrorCode::QuorumUnavailable),
            refused(409, ErrorCode::LockExpired),
            BookingAnswer::NoAnswer {
                why: NoAnswer::Timeout,
                detail: "timed out".into(),
            },
        ]);
        assert_eq!(
            tally.status,
            StatusCounts {
                created: 3,
                sold_out: 1,
                stale_fence: 1,
                unavailable: 2,
                other: 2,
            }
        );
        assert_eq!(tally.total(), 9);
        assert_eq!(tally.instances["app-1"], 2);
        assert_eq!(tally.instances["app-2"], 1);
        assert_eq!(
            tally.first_other.as_deref(),
            Some("409: lock_expired happened")
        );
        assert!(!tally.all_unsupported());
    }

    #[test]
    fn a_201_without_an_instance_is_still_a_booking() {
        let tally = Tally::of(&[BookingAnswer::Unreadable { status: 201 }]);
        assert_eq!(tally.status.created, 1);
        assert_eq!(tally.instances["?"], 1);
    }

    #[test]
    fn only_a_fight_of_501s_is_unsupported() {
        let all = vec![refused(501, ErrorCode::UnsupportedStrategy); 3];
        assert!(Tally::of(&all).all_unsupported());
        let mut mixed = all;
        mixed.push(refused(409, ErrorCode::SoldOut));
        assert!(!Tally::of(&mixed).all_unsupported());
        assert!(!Tally::default().all_unsupported());
    }
}
