//! Room mode in HTTP: phones join and tap at `/join`, the projector shows the race at `/room`,
//! the instructor starts rounds, and the join link is a QR code drawn by the server.
//!
//! One file per concern: [`participant`] (the phone's cookie), [`join`] (the phone's pages and
//! its tap), [`projector`] (the live board and its JSON), [`rounds`] (starting a round, admin
//! only) and [`qr`] (the join URL and its QR code). The domain is [`crate::room`].

pub mod join;
pub mod participant;
pub mod projector;
pub mod qr;
pub mod rounds;

use actix_web::HttpResponse;

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/room.js"))
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../../../static/room.css"))
}
