-- Events and the bookings made against them. No CHECK keeps `available` from going negative:
-- the lab must be able to show what an unprotected write does, and audit() reports it.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    capacity   INTEGER NOT NULL CHECK (capacity >= 0),
    available  INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    fence      INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE bookings (
    -- A random (version 4) UUID in its hyphenated text form, made here so that the app's INSERT
    -- is the same statement on SQLite and Postgres.
    id          TEXT    PRIMARY KEY DEFAULT (lower(
                    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
                    substr(hex(randomblob(2)), 2) || '-' ||
                    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) ||
                    '-' || hex(randomblob(6)))),
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    customer    TEXT    NOT NULL,
    strategy    TEXT    NOT NULL,
    instance    TEXT    NOT NULL,
    fence_token INTEGER,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX bookings_by_event ON bookings (event_id);
