//! The one state struct every handler shares, and only handlers: the edge's context.
//!
//! It bundles what the layers below are handed piece by piece: the strategies get the
//! [`BookingContext`], the experiment runner gets that and the knob defaults, and the web layer
//! keeps the rest (the admin policy, the metrics, the configuration) to itself.

use crate::config::Config;
use crate::experiment::Runner;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::strategy::{BookingContext, Defaults};

use super::AdminPolicy;

pub struct AppState {
    /// What a booking may use: the store, the locks, this instance's name.
    pub booking: BookingContext,
    pub defaults: Defaults,
    pub config: Config,
    /// What the bookings did, for `GET /metrics`.
    pub metrics: Metrics,
    /// Whether admin routes need the token (off loopback) and the token.
    pub admin: AdminPolicy,
    /// Runs the dashboard's experiments against this instance and its `--peers`.
    pub experiments: Runner,
    /// Starts the room's rounds and books its participants' taps here and on `--peers`.
    pub room: crate::room::Room,
}

impl AppState {
    pub fn store(&self) -> &Store {
        &self.booking.store
    }

    pub fn instance(&self) -> &str {
        &self.booking.instance
    }
}
