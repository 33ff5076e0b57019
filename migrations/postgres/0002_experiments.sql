-- Experiments run from the dashboard: the knobs, the audit of the event right after the run, and
-- every request's answer and trace (a JSON array), so every instance over this database shows the
-- same history. No foreign key to events: the record stays readable whatever happens to the event.
CREATE TABLE experiments (
    id             BIGSERIAL        PRIMARY KEY,
    created_at     TIMESTAMPTZ      NOT NULL,
    instance       TEXT             NOT NULL,
    strategy       TEXT             NOT NULL,
    event_id       BIGINT           NOT NULL,
    requests       BIGINT           NOT NULL,
    capacity       BIGINT           NOT NULL,
    race_window_ms BIGINT           NOT NULL,
    ttl_ms         BIGINT           NOT NULL,
    targets        TEXT             NOT NULL,
    duration_ms    DOUBLE PRECISION NOT NULL,
    available      BIGINT           NOT NULL,
    booked         BIGINT           NOT NULL,
    answers        TEXT             NOT NULL
);
