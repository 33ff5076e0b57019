-- Experiments run from the dashboard: the knobs, the audit of the event right after the run, and
-- every request's answer and trace (a JSON array), so every instance over this database shows the
-- same history. No foreign key to events: the record stays readable whatever happens to the event.
CREATE TABLE experiments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at     TEXT    NOT NULL,
    instance       TEXT    NOT NULL,
    strategy       TEXT    NOT NULL,
    event_id       INTEGER NOT NULL,
    requests       INTEGER NOT NULL,
    capacity       INTEGER NOT NULL,
    race_window_ms INTEGER NOT NULL,
    ttl_ms         INTEGER NOT NULL,
    targets        TEXT    NOT NULL,
    duration_ms    REAL    NOT NULL,
    available      INTEGER NOT NULL,
    booked         INTEGER NOT NULL,
    answers        TEXT    NOT NULL
);
