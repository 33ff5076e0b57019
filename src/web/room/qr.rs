//! The join link and its QR code, drawn here as SVG by the `qrcode` crate: no image service,
//! nothing leaves the room's network.

use actix_web::HttpRequest;
use qrcode::render::svg;
use qrcode::QrCode;

use crate::web::AppState;

/// Where phones join: `--public-url` when set (the LAN address `start.sh --room` found),
/// otherwise the address the projector's browser used to reach this page.
pub fn join_url(state: &AppState, req: &HttpRequest) -> String {
    let base = match state.config.public_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
        _ => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    format!("{base}/join")
}

/// The QR code of `url` as an inline SVG element (no XML declaration, no inline style, so the
/// page's content security policy lets it show).
pub fn svg_of(url: &str) -> String {
    let Ok(code) = QrCode::new(url.as_bytes()) else {
        // Only a URL longer than a QR code holds (thousands of characters) gets here.
        return String::new();
    };
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    match image.find("<svg") {
        Some(start) => image[start..].to_string(),
        None => image,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_element_without_inline_style() {
        let svg = svg_of("http://192.168.1.20:8080/join");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        assert!(svg.contains("<path") || svg.contains("<rect"));
        assert!(!svg.contains("style="));
    }
}
