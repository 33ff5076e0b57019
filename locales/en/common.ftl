# The header, navigation and words every page shares.
tagline = ten requests, one ticket: watch the race, then stop it
nav-present = Presenter mode
nav-room = Room
nav-handouts = Handouts
nav-login = Admin sign-in
nav-dashboard = Dashboard
lang-switch-label = Language
lang-switch-title = Read this page in { $name }
back-to-dashboard = Back to the dashboard
