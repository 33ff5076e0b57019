//! Events as `GET /events` and `GET /events/{id}` show them, and the bodies that create and
//! reset one.

use serde::{Deserialize, Serialize};

use crate::audit::Audit;

/// An event's columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub available: i64,
    pub version: i64,
    pub fence: i64,
}

/// An event as the API shows it: its columns and the audit of its bookings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: Event,
    pub audit: Audit,
}

/// The body of `POST /events`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub name: String,
    pub capacity: i64,
}

/// The optional body of `POST /reset/{id}`: a new capacity, or the current one kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_as_the_server_sends_it_reads_back_the_same() {
        let sent = r#"{"id":1,"name":"Last ticket","capacity":1,"available":0,"version":3,
            "fence":0,"audit":{"event_id":1,"capacity":1,"available":0,"booked":1,
            "oversold":0,"lost_updates":false,"negative_available":false,"clean":true}}"#;
        let view: EventView = serde_json::from_str(sent).unwrap();
        assert_eq!(view.event.name, "Last ticket");
        assert!(view.audit.clean);
        let again = serde_json::to_value(&view).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(sent).unwrap()
        );
    }

    #[test]
    fn a_reset_without_capacity_sends_an_empty_object() {
        assert_eq!(serde_json::to_string(&Reset::default()).unwrap(), "{}");
        let reset = Reset { capacity: Some(5) };
        assert_eq!(serde_json::to_string(&reset).unwrap(), r#"{"capacity":5}"#);
    }
}
