# The banner over an experiment: the audit in words a room reads at a glance.
verdict-seats = { $n ->
    [1] 1 seat
   *[other] { $n } seats
}
verdict-bookings = { $n ->
    [1] 1 booking
   *[other] { $n } bookings
}
verdict-sold-twice = SOLD TWICE: { $seats }
verdict-sold-twice-detail = { $list } held by two bookings or more; { $bookings } for { $seats }
verdict-oversold = OVERSOLD by { $n }
verdict-for = { $bookings } for { $seats }
verdict-negative = negative availability
verdict-negative-detail = available is { $available }
verdict-lost-updates = lost updates
verdict-lost-updates-detail = { $bookings }, but available went down by { $down }
verdict-no-booking = no booking
verdict-nobody-got-the-seat = nobody got the seat: see the answers
verdict-nobody-got-any = nobody got any of the { $seats }: see the answers
verdict-exactly-one = exactly one booking
verdict-exactly-one-detail = 1 booking for { $seats }; the seat counter agrees
verdict-none-oversold = { $bookings }, none oversold
verdict-counter-agrees = { $bookings } for { $seats }; the seat counter agrees
verdict-running = running…
verdict-running-detail = the requests are out; the verdict comes from the audit when the last one is answered
verdict-failed = did not finish
verdict-failed-detail = the run stopped before its audit (see the server's log)
verdict-foreign = { $bookings } made by someone else
verdict-missing = { $bookings } of this run's deleted by a reset
verdict-disturbed = disturbed: not the strategy's verdict
verdict-disturbed-detail = the run's event was touched from outside ({ $what }); the audit reads "{ $audit }", but that is not what the strategy did: run it again
