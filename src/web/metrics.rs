//! `GET /metrics`: the recorded booking and lock families, plus what is true at scrape time.
//!
//! Redis nodes up or down and each event's audit are read when Prometheus asks, not counted as
//! they happen: a node's state is a fact about now, and the audit comes from the database, the
//! one source of every verdict in the lab (two instances over one database report the same
//! events, each its own bookings). The body is OpenMetrics text, which Prometheus reads.
//!
//! Label cardinality is bounded, as Prometheus practice asks: a series per event only for the
//! [`EVENT_SERIES`] events most worth watching (the most oversold, then the most lost updates,
//! then the seeded demo events, which have the lowest ids), and `oversold_events_*` totals over
//! every event. A lab with 100,000 events scrapes as small as one with three.

use std::sync::atomic::AtomicU64;

use actix_web::{web, HttpResponse};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::web::ApiError;
use crate::web::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabel {
    node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InstanceLabels {
    instance: String,
    database: String,
}

/// One number of an event's audit, as a gauge.
type AuditNumber = fn(&crate::store::Audit) -> i64;

/// Events that get a series of their own in each `event_*` family.
pub const EVENT_SERIES: i64 = 20;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut registry = state.metrics.registry();

    let info = Family::<InstanceLabels, Gauge>::default();
    info.get_or_create(&InstanceLabels {
        instance: state.instance().to_string(),
        database: state.store().backend().to_string(),
    })
    .set(1);
    registry.register(
        "instance",
        "This instance and its database (always 1)",
        info,
    );

    let (database, nodes) = super::health::probe(&state).await;
    let database_up = database.is_ok();
    let gauge = |value: i64| {
        let g = Gauge::<i64>::default();
        g.set(value);
        g
    };
    registry.register(
        "database_up",
        "1 when the database answered a ping",
        gauge(database_up.into()),
    );
    if let Ok(database_latency) = database {
        let latency = Gauge::<f64, AtomicU64>::default();
        latency.set(database_latency.as_secs_f64());
        registry.register(
            "database_latency_seconds",
            "The database ping's round trip",
            latency,
        );
    }

    let up = Family::<NodeLabel, Gauge>::default();
    let latency = Family::<NodeLabel, Gauge<f64, AtomicU64>>::default();
    for node in &nodes {
        let label = NodeLabel {
            node: node.url.clone(),
        };
        up.get_or_create(&label).set(node.up.into());
        if let Some(ms) = node.latency_ms {
            latency.get_or_create(&label).set(ms / 1000.0);
        }
    }
    let nodes_up = nodes.iter().filter(|n| n.up).count();
    registry.register("redis_node_up", "1 when the Redis node answered a PING", up);
    registry.register(
        "redis_node_latency_seconds",
        "The PING's round trip, for nodes that answered",
        latency,
    );
    registry.register(
        "redis_quorum_up",
        "1 when a majority of the Redis nodes is up, so Redlock can grant locks",
        gauge((nodes_up >= state.booking.redlock.quorum()).into()),
    );

    // Without the database there is no audit to report; the gauges above say why.
    if database_up {
        let (events, totals) = state.store().overview(EVENT_SERIES).await?;
        let families: [(&str, &str, AuditNumber); 5] = [
            ("event_capacity", "Tickets the event was reset or created with", |a| a.capacity),
            ("event_available", "The event's available counter", |a| a.available),
            ("event_booked", "Booking rows of the event", |a| a.booked),
            ("event_oversold", "Bookings beyond capacity, from the audit", |a| a.oversold),
            (
                "event_lost_updates",
                "Bookings the available counter does not account for, |capacity - available - booked|, from the audit",
                |a| (a.capacity - a.available - a.booked).abs(),
            ),
        ];
        for (name, help, value) in families {
            let family = Family::<EventLabel, Gauge>::default();
            for event in &events {
                family
                    .get_or_create(&EventLabel {
                        event: event.id.to_string(),
                    })
                    .set(value(&event.audit()));
            }
            registry.register(name, help, family);
        }
        let sums: [(&str, &str, i64); 6] = [
            ("events", "Events in the database", totals.events),
            (
                "events_capacity",
                "Tickets over every event",
                totals.capacity,
            ),
            (
                "events_available",
                "Available counters summed over every event",
                totals.available,
            ),
            (
                "events_booked",
                "Booking rows over every event",
                totals.booked,
            ),
            (
                "events_oversold",
                "Bookings beyond capacity, summed over every event",
                totals.oversold,
            ),
            (
                "events_unclean",
                "Events whose audit is not clean (oversold, lost updates, a negative counter or a seat sold twice)",
                totals.unclean_events,
            ),
        ];
        for (name, help, value) in sums {
            registry.register(name, help, gauge(value));
        }
    }

    let mut body = String::new();
    // Writing into a String fails only if a label's Display does, and ours are plain strings.
    encode(&mut body, &registry).expect("the metrics encode into a String");
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(body))
}
