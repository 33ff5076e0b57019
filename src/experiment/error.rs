//! Why an experiment could not run, in the domain's words; the web layer maps it to HTTP.

use crate::store::UnknownEvent;
use crate::strategy::BookingError;

#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The input asks for something the lab refuses; the text says what and how to fix it.
    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    UnknownEvent(#[from] UnknownEvent),

    /// The strategy cannot run here (on this database, for one).
    #[error(transparent)]
    Booking(#[from] BookingError),

    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}
