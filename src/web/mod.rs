//! The HTTP faces of the lab: the JSON API, experiments, the dashboard, health and metrics,
//! wired in one place.
//!
//! Every resource answers a wrong method with a JSON 405 and every unknown path with a JSON 404,
//! so a client never has to parse anything but `{"error", "message"}` on failure. Every GET
//! route answers HEAD too (the GET's status and headers, no body). Everything is served inside
//! one scope that refuses cross-site writes and adds the browser security headers
//! ([`hardening`]), so no route can be added without them.

mod admin;
mod api;
mod dashboard;
mod error;
mod experiments;
mod extract;
pub mod handout;
mod hardening;
mod health;
pub mod lang;
mod metrics;
pub mod presenter;
mod room;
mod session;
mod state;

pub use admin::{Admin, AdminPolicy};
pub use error::ApiError;
pub use state::AppState;

use actix_web::middleware::from_fn;
use actix_web::{guard, web, HttpRequest, HttpResponse};
use oversold_api::StrategyName;

pub fn configure(cfg: &mut web::ServiceConfig) {
    extract::configure_errors(cfg);
    // The outer wrap runs first: the headers go on every response, the refusals included.
    let scope = web::scope("")
        .wrap(from_fn(lang::localize_errors))
        .wrap(from_fn(lang::remember))
        .wrap(from_fn(hardening::refuse_cross_site))
        .wrap(hardening::security_headers())
        .service(resource("/").route(get().to(dashboard::page)))
        .service(resource("/static/style.css").route(get().to(dashboard::stylesheet)))
        .service(
            resource("/ui/login")
                .route(get().to(admin::login_page))
                .route(web::post().to(admin::login)),
        )
        .service(resource("/ui/logout").route(web::post().to(admin::logout)))
        .service(resource("/static/dashboard.js").route(get().to(dashboard::script)))
        .service(resource("/present").route(get().to(presenter::page)))
        .service(resource("/static/present.js").route(get().to(dashboard::presenter_script)))
        .service(resource("/static/present.css").route(get().to(presenter::stylesheet)))
        .service(resource("/handout").route(get().to(handout::index)))
        .service(resource("/handout/{strategy}").route(get().to(handout::page)))
        .service(resource("/static/handout.css").route(get().to(handout::stylesheet)))
        // Room mode: phones join and tap (no token: a participant's cookie is all they get),
        // the projector reads, and only the admin starts a round.
        .service(
            resource("/join")
                .route(get().to(room::join::page))
                .route(web::post().to(room::join::join)),
        )
        .service(resource("/join/tap").route(web::post().to(room::join::tap)))
        .service(resource("/room").route(get().to(room::projector::page)))
        .service(resource("/room/board").route(get().to(room::projector::board)))
        .service(resource("/room/state").route(get().to(room::projector::state_json)))
        .service(resource("/room/rounds").route(web::post().to(room::rounds::start)))
        .service(resource("/ui/room/rounds").route(web::post().to(room::rounds::start_form)))
        .service(resource("/static/room.js").route(get().to(room::script)))
        .service(resource("/static/room.css").route(get().to(room::stylesheet)))
        .service(resource("/ui/reset").route(web::post().to(dashboard::forms::reset_all)))
        .service(resource("/ui/reset/{id}").route(web::post().to(dashboard::forms::reset_one)))
        // Experiments: the state-changing routes are the two POSTs (each resets an event and
        // fires bookings, so each takes `Admin`); the GETs only read the history.
        .service(
            resource("/experiments")
                .route(get().to(experiments::list))
                .route(web::post().to(experiments::run)),
        )
        .service(resource("/experiments/{id}").route(get().to(experiments::show)))
        .service(
            resource("/experiments/{id}/timeline.svg").route(get().to(experiments::timeline_svg)),
        )
        .service(resource("/static/print.css").route(get().to(experiments::print_stylesheet)))
        .service(resource("/new-session").route(web::post().to(experiments::new_session)))
        .service(resource("/ui/new-session").route(web::post().to(dashboard::forms::new_session)))
        .service(
            resource("/ui/experiments").route(web::post().to(dashboard::forms::run_experiment)),
        )
        .service(resource("/health").route(get().to(health::health)))
        .service(resource("/metrics").route(get().to(metrics::metrics)))
        .service(
            resource("/events")
                .route(get().to(api::list_events))
                .route(web::post().to(api::create_event)),
        )
        .service(resource("/events/{id}").route(get().to(api::get_event)))
        .service(resource("/events/{id}/seats").route(get().to(api::seat_map)))
        .service(resource("/reset").route(web::post().to(api::reset_all)))
        .service(resource("/reset/{id}").route(web::post().to(api::reset_event)))
        .service(resource("/strategies").route(get().to(api::strategies)))
        // The two routes of the first lesson, each a fixed strategy handed to one handler.
        .service(
            resource("/book-no-lock/{id}")
                .app_data(web::Data::new(StrategyName::NoLock))
                .route(web::post().to(api::book_fixed)),
        )
        .service(
            resource("/book-with-lock/{id}")
                .app_data(web::Data::new(StrategyName::Redis))
                .route(web::post().to(api::book_fixed)),
        )
        .service(resource("/book/{strategy}/{id}").route(web::post().to(api::book)))
        .default_service(web::to(not_found));
    cfg.service(scope);
}

/// A GET route that answers HEAD as well: the same handler, whose body actix leaves unsent.
fn get() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource whose unmatched methods get a JSON 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        path: req.path().to_string(),
    })
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route {} {}; GET /strategies and GET /events list what exists",
        req.method(),
        req.path()
    )))
}
