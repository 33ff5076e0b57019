# The admin sign-in page.
login-title = oversold: admin sign-in
login-heading = Admin sign-in
login-explain = This server has an admin token: resetting events and running experiments needs the admin token (ADMIN_TOKEN, set by whoever started the server). Signing in gives this browser a session for { $hours } hours, kept in a cookie sent only to this site; the token itself is never stored. Each instance of the lab keeps its own sign-ins: sign in on the one whose dashboard you use.
login-signed-in = This browser is signed in.
login-sign-out = Sign out
login-token = Admin token
login-sign-in = Sign in
login-not-needed = This server listens on loopback only and has no admin token: every button works without signing in.
