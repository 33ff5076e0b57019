-- The seats a run's audit found held by two bookings or more (a seat map), as a JSON array: the
-- counts in the columns beside it cannot tell a seat sold twice when the total stays within
-- capacity, and the run's verdict must say so.
ALTER TABLE experiments ADD COLUMN double_booked_seats TEXT NOT NULL DEFAULT '[]';
