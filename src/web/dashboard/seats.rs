//! The seat map beside an experiment's verdict: free seats white, booked blue, and seats sold
//! twice red with who holds them (hover a seat), drawn from `GET /events/{id}/seats`'s data.

use askama::Template;
use oversold_api::SeatMap;

use crate::i18n::Lang;

/// Seats per row of the drawing, as the experiment's seat names run (A1..A10).
const PER_ROW: usize = 10;

struct SeatBox {
    name: String,
    x: usize,
    y: usize,
    /// `free`, `booked` or `double-booked`: the class a test or a stylesheet can find.
    state: &'static str,
    fill: &'static str,
    ink: &'static str,
    tooltip: String,
}

#[derive(Template)]
#[template(path = "seats.svg", escape = "html")]
struct Picture {
    width: usize,
    height: usize,
    title: String,
    seats: Vec<SeatBox>,
}

/// The map as an SVG, its title and tooltips in `lang`.
pub fn svg(map: &SeatMap, lang: Lang) -> String {
    let seats: Vec<SeatBox> = map
        .seats
        .iter()
        .enumerate()
        .map(|(i, seat)| {
            let (state, fill, ink) = match seat.holders.len() {
                0 => ("free", "#ffffff", "#111"),
                1 => ("booked", "#1f5fa8", "#fff"),
                _ => ("double-booked", "#c4161c", "#fff"),
            };
            let holders: Vec<String> = seat
                .holders
                .iter()
                .map(|h| {
                    lang.t2(
                        "seats-holder",
                        "customer",
                        &h.customer,
                        "instance",
                        &h.instance,
                    )
                })
                .collect();
            SeatBox {
                name: seat.seat.clone(),
                x: 4 + (i % PER_ROW) * 50,
                y: 4 + (i / PER_ROW) * 34,
                state,
                fill,
                ink,
                tooltip: match holders.len() {
                    0 => lang.t1("seats-free", "seat", &seat.seat),
                    _ => lang.t2(
                        "seats-held",
                        "seat",
                        &seat.seat,
                        "holders",
                        holders.join(", "),
                    ),
                },
            }
        })
        .collect();
    let rows = map.seats.len().div_ceil(PER_ROW).max(1);
    Picture {
        width: 8 + PER_ROW * 50,
        height: 8 + rows * 34,
        title: lang.t_args(
            "seats-title",
            &[
                ("event", &map.event_id),
                ("seats", &map.seats.len()),
                ("twice", &map.double_booked.len()),
            ],
        ),
        seats,
    }
    .render()
    .expect("the seat map template renders")
}
