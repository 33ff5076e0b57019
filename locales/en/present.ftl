# The presenter (/present): the screen's own words around the workshop's steps, which come from
# templates/workshop/steps.toml (steps.vi.toml in Vietnamese).
present-page-title = oversold: step { $number }, { $title }
present-steps-label = Steps
present-back = ← back
present-next = next →
present-dashboard = dashboard (D)
present-result-label = Result
present-run-summary = { $duration } ms for { $requests } requests
present-room-should-see = The room should see
present-run = Run (R)
present-run-again = Run again (R)
present-single-instance = (this lab runs one instance: every request goes to it)
present-nodes-quorum = { $up } of { $total } Redis nodes up; Redlock needs { $quorum }: quorum is up
present-nodes-no-quorum = { $up } of { $total } Redis nodes up; Redlock needs { $quorum }: NO QUORUM
present-join-label = Join the room
present-join-hint = scan to join: { $url }
# static/present.js: { $requests } and { $strategy } are filled in by the script.
present-js-running = Running { $requests } requests with { $strategy }…
present-js-server-answered = the server answered { $status }
