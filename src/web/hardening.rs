//! What every response tells a browser, and which requests from other sites are refused.
//!
//! The lab is often open (loopback, no token) while its instructor browses the web in the same
//! browser, so any page could otherwise post `/reset` or start an experiment against it. Every
//! request with a method that changes something (anything but GET, HEAD and OPTIONS) is refused
//! with 403 before routing when the browser says it comes from another site (`Sec-Fetch-Site:
//! cross-site`) or names an `Origin` that is not this server's own host. Scripts and the CLI send
//! neither header and are unaffected; the dashboard's own forms and `fetch` calls send our own
//! origin. The media-type rules that stop `enctype=text/plain` forms live in the body
//! extractors ([`super::extract`]).
//!
//! Every response, errors included, forbids framing (`X-Frame-Options`, CSP `frame-ancestors`),
//! MIME sniffing (`nosniff`), and loading anything but this server's own files: the dashboard
//! has no inline script or style, only `/static/dashboard.js` and `/static/style.css`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, ORIGIN};
use actix_web::http::{Method, Uri};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, ResponseError};

use crate::web::ApiError;

/// Only this server's own files; no frames, plugins, foreign forms or `<base>` tricks.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// The headers every response carries (unless a handler set its own).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Frame-Options", "DENY"))
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
}

/// Middleware: refuses a state-changing request that a browser sent from another site.
pub async fn refuse_cross_site(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(why) = cross_site(&req) {
            let error = ApiError::Forbidden(format!(
                "{} {} came from another site ({why}): the lab changes only from its own pages \
                 or from scripts, which send no Origin",
                req.method(),
                req.path()
            ));
            // A response, not an `Err`: an error would pass the header middleware around this
            // one untouched, and the refusal must carry the headers like any answer.
            let response = error.error_response().map_into_right_body();
            return Ok(req.into_response(response));
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Why the request is cross-site, or `None` when it is not (or the client is no browser).
fn cross_site(req: &ServiceRequest) -> Option<String> {
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case(b"cross-site")) {
        return Some("Sec-Fetch-Site: cross-site".to_string());
    }
    let origin = headers.get(ORIGIN)?;
    let text = String::from_utf8_lossy(origin.as_bytes());
    // Behind a reverse proxy the browser's host arrives in Forwarded/X-Forwarded-Host, which a
    // page cannot set on a cross-site request without a CORS preflight that this server fails.
    let ours = normalized(req.connection_info().scheme(), req.connection_info().host());
    match text.parse::<Uri>() {
        Ok(uri) if uri.authority().is_some() => {
            let scheme = uri.scheme_str().unwrap_or("http");
            let theirs = normalized(scheme, uri.authority().map_or("", |a| a.as_str()));
            (theirs != ours).then(|| format!("Origin: {text}, not {ours}"))
        }
        // "null" (a sandboxed frame, a redirect across sites) or something unparseable.
        _ => Some(format!("Origin: {text}")),
    }
}

/// `host[:port]`, lower-cased, with the scheme's default port left out, so that `Origin:
/// http://lab.example` and `Host: lab.example:80` compare equal.
fn normalized(scheme: &str, authority: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    let default = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    match authority.strip_suffix(default) {
        Some(host) => host.to_string(),
        None => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> ServiceRequest {
        let mut req = TestRequest::post()
            .uri("/reset")
            .insert_header(("host", "127.0.0.1:8080"));
        for header in headers {
            req = req.insert_header(*header);
        }
        req.to_srv_request()
    }

    #[test]
    fn scripts_and_our_own_pages_pass() {
        assert_eq!(cross_site(&request(&[])), None);
        assert_eq!(
            cross_site(&request(&[("origin", "http://127.0.0.1:8080")])),
            None
        );
        assert_eq!(
            cross_site(&request(&[
                ("origin", "HTTP://127.0.0.1:8080"),
                ("sec-fetch-site", "same-origin")
            ])),
            None
        );
        assert_eq!(cross_site(&request(&[("sec-fetch-site", "none")])), None);
    }

    #[test]
    fn another_site_another_port_or_an_opaque_origin_is_refused() {
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8080.evil.example",
            "null",
            "",
        ] {
            assert!(
                cross_site(&request(&[("origin", origin)])).is_some(),
                "{origin}"
            );
        }
        assert!(cross_site(&request(&[("sec-fetch-site", "cross-site")])).is_some());
    }

    #[test]
    fn default_ports_compare_equal() {
        assert_eq!(normalized("http", "Lab.Example:80"), "lab.example");
        assert_eq!(normalized("https", "lab.example:443"), "lab.example");
        assert_eq!(normalized("http", "lab.example:443"), "lab.example:443");
    }
}
