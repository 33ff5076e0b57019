-- Events and the bookings made against them. No CHECK keeps `available` from going negative:
-- the lab must be able to show what an unprotected write does, and audit() reports it.
CREATE TABLE events (
    id         BIGSERIAL   PRIMARY KEY,
    name       TEXT        NOT NULL,
    capacity   BIGINT      NOT NULL CHECK (capacity >= 0),
    available  BIGINT      NOT NULL,
    version    BIGINT      NOT NULL DEFAULT 0,
    fence      BIGINT      NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE bookings (
    id          UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id    BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    customer    TEXT        NOT NULL,
    strategy    TEXT        NOT NULL,
    instance    TEXT        NOT NULL,
    fence_token BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX bookings_by_event ON bookings (event_id);
