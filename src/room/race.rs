//! Starting a round and booking a participant's tap: the race itself.
//!
//! A tap is claimed first (one per participant per round, whichever instance serves it), then
//! booked with the round's strategy and knobs, then its answer is recorded: that answer is what
//! the participant's phone shows and what the projector lists. Participant `n` books on instance
//! `n mod (1 + peers)`: this one for the first share, the peers over HTTP for the rest, so a round
//! exercises both instances the way the two-instance lessons do.

use std::time::Duration;

use oversold_api::BookingAnswer;
use tracing::info;

use crate::config::TTL_MS;
use crate::strategy::{self, BookingContext, BookingRequest, Defaults, Registry};
use crate::trace::Trace;

use super::{now_ms, storage, Participant, RoomError, Round, RoundSpec, Tap, BOOKED, NO_ANSWER};

/// The room of one instance: who else books a round's taps, and how to reach them.
pub struct Room {
    client: reqwest::Client,
    /// The other instances' base URLs, without a trailing slash.
    peers: Vec<String>,
    /// Forwarded taps carry the lab's admin token: a round's race window is wider than a
    /// stranger's booking may ask for.
    admin_token: Option<String>,
}

impl Room {
    pub fn new(peers: &[String], admin_token: Option<String>) -> Room {
        Room {
            client: reqwest::Client::new(),
            peers: peers
                .iter()
                .map(|p| p.trim().trim_end_matches('/').to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            admin_token: admin_token.filter(|t| !t.is_empty()),
        }
    }

    /// A fresh event with one ticket and a round on it that takes taps for `spec.round_secs`.
    /// The lock's TTL is kept well above the wide race window, so a lock strategy is not turned
    /// into the "holder paused past its lease" lesson by accident.
    pub async fn start_round(
        &self,
        context: &BookingContext,
        defaults: &Defaults,
        spec: RoundSpec,
    ) -> Result<Round, RoomError> {
        spec.strategy.check_supported(context.store.backend())?;
        let event = context
            .store
            .create_event(&format!("room: {}", spec.strategy.as_str()), 1)
            .await?;
        let ttl_ms = (defaults.ttl.as_millis() as u64)
            .max(spec.race_window_ms * 3)
            .clamp(*TTL_MS.start(), *TTL_MS.end());
        let started_ms = now_ms();
        let round = storage::insert_round(
            &context.store,
            Round {
                id: 0,
                event_id: event.id,
                strategy: spec.strategy,
                race_window_ms: spec.race_window_ms as i64,
                ttl_ms: ttl_ms as i64,
                started_ms,
                ends_ms: started_ms + spec.round_secs as i64 * 1000,
            },
        )
        .await?;
        info!(
            round = round.id,
            event_id = round.event_id,
            strategy = round.strategy.as_str(),
            race_window_ms = round.race_window_ms,
            "room round started"
        );
        Ok(round)
    }

    /// The participant's one tap in the open round: claimed, booked, answered.
    pub async fn tap(
        &self,
        context: &BookingContext,
        participant: &Participant,
    ) -> Result<(Round, Tap), RoomError> {
        let tapped_ms = now_ms();
        let round = storage::current_round(&context.store)
            .await?
            .filter(|r| r.open_at(tapped_ms))
            .ok_or(RoomError::NoOpenRound)?;
        if !storage::claim_tap(&context.store, round.id, participant, tapped_ms).await? {
            return Err(RoomError::AlreadyTapped { round: round.id });
        }
        let (outcome, instance) = match self.peer_for(participant) {
            None => book_here(context, &round, participant).await,
            Some(peer) => self.book_on(peer, context, &round, participant).await,
        };
        let answered_ms = now_ms();
        storage::answer_tap(
            &context.store,
            round.id,
            participant.id,
            &outcome,
            &instance,
            answered_ms,
        )
        .await?;
        info!(round = round.id, participant = participant.id, %outcome, %instance, "room tap");
        let tap = Tap {
            participant_id: participant.id,
            name: participant.name.clone(),
            outcome,
            instance: Some(instance),
            tapped_ms,
            answered_ms: Some(answered_ms),
        };
        Ok((round, tap))
    }

    /// The peer that books this participant's taps, or `None` for this instance.
    fn peer_for(&self, participant: &Participant) -> Option<&str> {
        let share = participant.id.rem_euclid(self.peers.len() as i64 + 1) as usize;
        share.checked_sub(1).map(|i| self.peers[i].as_str())
    }

    /// The booking on a peer, through its public booking route, as an experiment sends it.
    async fn book_on(
        &self,
        peer: &str,
        context: &BookingContext,
        round: &Round,
        participant: &Participant,
    ) -> (String, String) {
        let url = format!(
            "{peer}/book/{}/{}?race_window_ms={}&ttl_ms={}",
            round.strategy.as_str(),
            round.event_id,
            round.race_window_ms,
            round.ttl_ms
        );
        let mut request = self
            .client
            .post(url)
            .json(&serde_json::json!({ "customer": participant.name }))
            // Past the peer's own deadline the booking is abandoned there anyway.
            .timeout(context.deadline + Duration::from_secs(5));
        if let Some(token) = &self.admin_token {
            request = request.bearer_auth(token);
        }
        let answer = match request.send().await {
            Ok(response) => BookingAnswer::read(response).await,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "a room tap's peer did not answer");
                return (NO_ANSWER.to_string(), peer.to_string());
            }
        };
        let instance = answer
            .trace()
            .map(|t| t.instance.clone())
            .unwrap_or_else(|| peer.to_string());
        let outcome = match (&answer, answer.error_code()) {
            (BookingAnswer::Booked(_), _) => BOOKED.to_string(),
            (_, Some(code)) => code.as_str().to_string(),
            _ => NO_ANSWER.to_string(),
        };
        (outcome, instance)
    }
}

/// The booking on this instance, through the same strategy code as `POST /book/...`.
async fn book_here(
    context: &BookingContext,
    round: &Round,
    participant: &Participant,
) -> (String, String) {
    let request = BookingRequest {
        event_id: round.event_id,
        customer: participant.name.clone(),
        race_window: Duration::from_millis(round.race_window_ms as u64),
        ttl: Duration::from_millis(round.ttl_ms as u64),
        // A round's event is one ticket with no seat map, locked as a whole.
        seats: Vec::new(),
        granularity: Default::default(),
        trace: Trace::start(&context.instance),
    };
    let outcome = match strategy::book(round.strategy, context, request).await {
        Ok(_) => BOOKED.to_string(),
        Err(e) => e.code().as_str().to_string(),
    };
    (outcome, context.instance.clone())
}

/// Joins `name` under a new `session`, or renames the participant the session already is.
pub async fn join(
    store: &crate::store::Store,
    existing: Option<Participant>,
    session: &str,
    name: &str,
) -> Result<Participant, RoomError> {
    let name = super::check_name(name)?;
    if let Some(participant) = existing {
        storage::rename(store, participant.id, &name).await?;
        return Ok(Participant {
            name,
            ..participant
        });
    }
    if storage::participant_count(store).await? >= super::MAX_PARTICIPANTS {
        return Err(RoomError::Full);
    }
    Ok(storage::join(store, session, &name, now_ms()).await?)
}
