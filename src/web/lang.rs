//! Which language a request is answered in, and the EN | VI switch every page's header carries.
//!
//! The order: `?lang=vi|en` first (a click on the switch, or a link someone shared), then the
//! `lang` cookie that such a click leaves behind, then the browser's `Accept-Language` (its
//! q-values respected, `vi-VN` counting as `vi`), else English. [`remember`] is the middleware
//! that turns a `?lang=` into the cookie, so the choice sticks on the next page without the
//! parameter; [`PageLang`] is the extractor handlers take.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::i18n::Lang;

/// The cookie that keeps the language a person chose.
pub const COOKIE: &str = "lang";

/// The cookie lives a year: a language choice is not a secret and not worth asking again.
const COOKIE_DAYS: i64 = 365;

/// The `?lang=` of a query string, if it names one of the lab's languages.
fn from_query(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| *name == "lang")
        .find_map(|(_, value)| Lang::from_tag(value))
}

/// The language `Accept-Language` prefers most among ours: the highest q wins, and among equal
/// q the one listed first. A `q=0` means "not this one".
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_tag) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// The language to answer `req` in (the order is the module's).
pub fn negotiate(req: &HttpRequest) -> Lang {
    from_query(req.query_string())
        .or_else(|| req.cookie(COOKIE).and_then(|c| Lang::from_tag(c.value())))
        .or_else(|| {
            req.headers()
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(from_accept_language)
        })
        .unwrap_or_default()
}

/// The link to the page being shown in `lang`: the same path and query, its `lang` replaced.
pub fn switch_href(req: &HttpRequest, lang: Lang) -> String {
    let mut query: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("lang"))
        .collect();
    let code = format!("lang={}", lang.code());
    query.push(&code);
    format!("{}?{}", req.path(), query.join("&"))
}

/// What a page needs to speak its reader's language: the language, and the two links of the
/// header's EN | VI switch.
#[derive(Clone, Debug)]
pub struct PageLang {
    pub lang: Lang,
    pub en_href: String,
    pub vi_href: String,
}

impl PageLang {
    pub fn of(req: &HttpRequest) -> PageLang {
        PageLang {
            lang: negotiate(req),
            en_href: switch_href(req, Lang::En),
            vi_href: switch_href(req, Lang::Vi),
        }
    }
}

/// A page's `lang` calls the language's own methods: `{{ lang.t("key") }}`, `{{ lang.code() }}`.
impl std::ops::Deref for PageLang {
    type Target = Lang;

    fn deref(&self) -> &Lang {
        &self.lang
    }
}

impl FromRequest for PageLang {
    type Error = actix_web::Error;
    type Future = Ready<Result<PageLang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(PageLang::of(req)))
    }
}

/// Middleware: a request carrying `?lang=vi|en` gets the `lang` cookie back (SameSite=Lax, so
/// it comes along when someone follows a link here), which makes the choice stick.
pub async fn remember(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = from_query(req.query_string());
    let mut response = next.call(req).await?;
    if let Some(lang) = chosen {
        let cookie = Cookie::build(COOKIE, lang.code())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(COOKIE_DAYS))
            .finish();
        // A response whose headers cannot take the cookie is still the right answer; the
        // choice is just not remembered.
        if let Err(error) = response.response_mut().add_cookie(&cookie) {
            tracing::warn!(%error, "could not set the lang cookie");
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_respects_q_values() {
        assert_eq!(
            from_accept_language("vi-VN,vi;q=0.9,en;q=0.8"),
            Some(Lang::Vi)
        );
        assert_eq!(from_accept_language("en;q=0.5, vi;q=0.7"), Some(Lang::Vi));
        assert_eq!(from_accept_language("fr-FR, en-US;q=0.6"), Some(Lang::En));
        assert_eq!(from_accept_language("vi;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("en, vi"), Some(Lang::En));
    }

    #[test]
    fn the_query_names_the_language() {
        assert_eq!(from_query("experiment=3&lang=vi"), Some(Lang::Vi));
        assert_eq!(from_query("lang=xx"), None);
        assert_eq!(from_query(""), None);
    }
}
