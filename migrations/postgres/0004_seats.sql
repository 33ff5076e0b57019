-- Named seats (a concert's A12, a hotel's room/night "101/2026-01-20") and the seats each booking
-- holds. `booking_seats` has no unique constraint on (event_id, seat) on purpose: a seat sold
-- twice must be representable, as two rows, so that audit() can report it.
CREATE TABLE seats (
    event_id BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seat     TEXT    NOT NULL,
    -- The seat map's order, as the seats were given when the event was created.
    position BIGINT  NOT NULL,
    -- How many bookings hold the seat, kept in the transaction that writes booking_seats; what
    -- `atomic` conditions its one statement on (sold = 0).
    sold     BIGINT  NOT NULL DEFAULT 0,
    -- The newest fencing token a per-seat `fenced` booking has claimed the seat with.
    fence    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, seat)
);

CREATE TABLE booking_seats (
    booking_id UUID    NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    event_id   BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seat       TEXT    NOT NULL
);

CREATE INDEX booking_seats_by_seat ON booking_seats (event_id, seat);
CREATE INDEX booking_seats_by_booking ON booking_seats (booking_id);
