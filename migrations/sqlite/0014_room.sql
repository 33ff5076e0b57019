-- Room mode: participants who joined from their phones, the rounds the instructor started, and
-- each participant's one tap per round with what it was told. In the database rather than in one
-- instance's memory because a round's taps are served by every instance over this database, and
-- every instance's projector must show the same list. Times are milliseconds since the Unix epoch.
CREATE TABLE room_participants (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the participant's cookie, in hex: a dump of the table hands out no live cookie.
    session   TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    joined_ms INTEGER NOT NULL
);

CREATE TABLE room_rounds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       INTEGER NOT NULL,
    strategy       TEXT    NOT NULL,
    race_window_ms INTEGER NOT NULL,
    ttl_ms         INTEGER NOT NULL,
    started_ms     INTEGER NOT NULL,
    ends_ms        INTEGER NOT NULL
);

-- The primary key is the bound of one tap per participant per round, on every instance at once.
CREATE TABLE room_taps (
    round_id       INTEGER NOT NULL REFERENCES room_rounds (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES room_participants (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    -- 'pending' until the booking answers, then 'booked' or the refusal's error code.
    outcome        TEXT    NOT NULL,
    instance       TEXT,
    tapped_ms      INTEGER NOT NULL,
    answered_ms    INTEGER,
    PRIMARY KEY (round_id, participant_id)
);
