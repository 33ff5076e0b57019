//! The two languages the lab speaks, English and Vietnamese, and what is said in each.
//!
//! Every sentence people read lives in a Fluent file, `locales/{en,vi}/<area>.ftl`, compiled into
//! the binary by `fluent-templates` (every `.ftl` file of a language's folder is loaded, so an
//! area added by a new file needs no code). [`Lang::t`] and [`Lang::t_args`] look a message up in
//! one language only, never falling back to the other: a message missing from a language is a
//! bug, so it is logged and shown as [`MISSING`]`<id>` where it should be, which the page tests
//! look for. Numbers and times are written the way the language writes them ([`Lang::number`],
//! [`Lang::decimal`], [`Lang::time`]). Nothing here knows HTTP: choosing the language of a
//! request is the web layer's.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::LanguageIdentifier;
use num_format::{Locale, ToFormattedString};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around every argument would show up in titles, SVG text and
        // the tests' string comparisons; both languages run left to right, so they buy nothing.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// What a message missing from a language renders as, followed by its id: easy to spot on a
/// page and for a test to search for.
pub const MISSING: &str = "⟦missing:";

/// A language of the lab's pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Vi,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The BCP 47 code, as `<html lang>`, `?lang=` and the cookie carry it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// The language of a language tag (`vi`, `vi-VN`, `EN-gb`), if it is one of ours: the
    /// primary subtag decides.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("vi") {
            Some(Lang::Vi)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    fn id(self) -> LanguageIdentifier {
        self.code()
            .parse()
            .expect("en and vi are language identifiers")
    }

    /// The message `key` in this language.
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The message `key` with its `{ $name }` placeables filled from `args`. Numbers passed as
    /// arguments should already be formatted with [`Lang::number`], so they read the language's way.
    pub fn t_args(&self, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| {
                (
                    Cow::Owned(name.to_string()),
                    FluentValue::from(value.to_string()),
                )
            })
            .collect();
        self.lookup(key, Some(&args))
    }

    /// One argument, the common case, callable from a template without building a slice.
    pub fn t1(&self, key: &str, name: &str, value: &dyn fmt::Display) -> String {
        self.t_args(key, &[(name, value)])
    }

    /// Two arguments.
    pub fn t2(
        &self,
        key: &str,
        name: &str,
        value: &dyn fmt::Display,
        name2: &str,
        value2: &dyn fmt::Display,
    ) -> String {
        self.t_args(key, &[(name, value), (name2, value2)])
    }

    /// Whether the message `key` exists in this language (for text that has one only when a
    /// translation of it was written, such as a strategy's explanation).
    pub fn has(&self, key: &str) -> bool {
        LOCALES
            .lookup_single_language::<&str>(&self.id(), key, None)
            .is_ok()
    }

    fn lookup(&self, key: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue>>) -> String {
        match LOCALES.lookup_single_language(&self.id(), key, args) {
            Ok(text) => text,
            Err(error) => {
                tracing::warn!(lang = self.code(), key, %error, "a message is missing");
                format!("{MISSING}{key}⟧")
            }
        }
    }

    /// A whole number the language's way: `1,234,567` in English, `1.234.567` in Vietnamese.
    pub fn number(&self, n: i64) -> String {
        n.to_formatted_string(self.locale())
    }

    /// A number with `places` decimals: `1,234.5` in English, `1.234,5` in Vietnamese (which
    /// groups thousands with "." and writes decimals after ",").
    pub fn decimal(&self, x: f64, places: usize) -> String {
        let fixed = format!("{:.*}", places, x.abs());
        let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
        let whole: i64 = whole.parse().unwrap_or(0);
        let sign = if x < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
            "-"
        } else {
            ""
        };
        let whole = whole.to_formatted_string(self.locale());
        if fraction.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}{}{fraction}", self.locale().decimal())
        }
    }

    /// A moment, in UTC as the lab's stored runs keep it: `2026-12-02 07:45:03 UTC` in English,
    /// `07:45:03 02/12/2026 UTC` in Vietnamese (day before month, time first).
    pub fn time(&self, at: &DateTime<Utc>) -> String {
        match self {
            Lang::En => at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            Lang::Vi => at.format("%H:%M:%S %d/%m/%Y UTC").to_string(),
        }
    }

    fn locale(&self) -> &'static Locale {
        match self {
            Lang::En => &Locale::en,
            Lang::Vi => &Locale::vi,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::from_tag(s).ok_or_else(|| format!("{s:?} is not a language of the lab (en, vi)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_languages_way() {
        assert_eq!(Lang::En.number(1_234_567), "1,234,567");
        assert_eq!(Lang::Vi.number(1_234_567), "1.234.567");
        assert_eq!(Lang::En.decimal(1234.5, 1), "1,234.5");
        assert_eq!(Lang::Vi.decimal(1234.5, 1), "1.234,5");
        assert_eq!(Lang::Vi.decimal(-0.04, 1), "0,0");
        assert_eq!(Lang::Vi.decimal(-2.25, 2), "-2,25");
        assert_eq!(Lang::En.decimal(12.0, 0), "12");
    }

    #[test]
    fn tags_pick_the_primary_language() {
        assert_eq!(Lang::from_tag("vi-VN"), Some(Lang::Vi));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("fr"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn a_missing_message_is_marked_not_borrowed_from_the_other_language() {
        assert_eq!(Lang::Vi.t("no-such-message"), "⟦missing:no-such-message⟧");
        assert!(Lang::Vi.has("nav-room"));
        assert!(!Lang::Vi.has("no-such-message"));
    }

    #[test]
    fn arguments_fill_placeables_without_isolation_marks() {
        let text = Lang::En.t1("lang-switch-title", "name", &"Tiếng Việt");
        assert!(!text.contains('\u{2068}'), "{text:?}");
    }
}
