//! The HTTP faces of the lab: the JSON API, experiments, the dashboard, health and metrics,
//! wired in one place.
//!
//! Every resource answers a wrong method with a JSON 405 and every unknown path with a JSON 404,
//! so a client never has to parse anything but `{"error", "message"}` on failure.

mod admin;
mod api;
mod dashboard;
mod error;
mod experiments;
mod extract;
mod health;
mod metrics;
mod state;

pub use admin::{Admin, AdminPolicy};
pub use error::ApiError;
pub use state::AppState;

use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    extract::configure_errors(cfg);
    cfg.service(resource("/").route(web::get().to(dashboard::page)))
        .service(resource("/static/style.css").route(web::get().to(dashboard::stylesheet)))
        .service(
            resource("/ui/login")
                .route(web::get().to(admin::login_page))
                .route(web::post().to(admin::login)),
        )
        .service(resource("/static/dashboard.js").route(web::get().to(dashboard::script)))
        .service(resource("/ui/reset").route(web::post().to(dashboard::forms::reset_all)))
        .service(resource("/ui/reset/{id}").route(web::post().to(dashboard::forms::reset_one)))
        // Experiments: the state-changing routes are the two POSTs (each resets an event and
        // fires bookings, so each takes `Admin`); the GETs only read the history.
        .service(
            resource("/experiments")
                .route(web::get().to(experiments::list))
                .route(web::post().to(experiments::run)),
        )
        .service(resource("/experiments/{id}").route(web::get().to(experiments::show)))
        .service(
            resource("/ui/experiments").route(web::post().to(dashboard::forms::run_experiment)),
        )
        .service(resource("/health").route(web::get().to(health::health)))
        .service(resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(
            resource("/events")
                .route(web::get().to(api::list_events))
                .route(web::post().to(api::create_event)),
        )
        .service(resource("/events/{id}").route(web::get().to(api::get_event)))
        .service(resource("/reset").route(web::post().to(api::reset_all)))
        .service(resource("/reset/{id}").route(web::post().to(api::reset_event)))
        .service(resource("/strategies").route(web::get().to(api::strategies)))
        .service(resource("/book-no-lock/{id}").route(web::post().to(api::book_no_lock)))
        .service(resource("/book-with-lock/{id}").route(web::post().to(api::book_with_lock)))
        .service(resource("/book/{strategy}/{id}").route(web::post().to(api::book)))
        .default_service(web::to(not_found));
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
