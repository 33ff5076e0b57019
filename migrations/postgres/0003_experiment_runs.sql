-- Experiments that stay apart and can be watched while they run. A run now books an event of its
-- own, created for it (own_event = 1), and is stored as soon as it starts (state 'running'), then
-- completed with its audit ('done') or marked 'failed'. foreign_bookings counts bookings on the
-- run's event that the run did not make; missing_bookings counts the run's own 201s whose rows were
-- gone by the audit (a reset in between): either one means something else touched the event.
ALTER TABLE experiments ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE experiments ADD COLUMN own_event BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN foreign_bookings BIGINT NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN missing_bookings BIGINT NOT NULL DEFAULT 0;
