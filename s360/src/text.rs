//! Translatable texts: `{ "translations": [ { "locale": "fr", "value": "..." } ] }`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translations {
    #[serde(default)]
    pub translations: Vec<Translation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub locale: String,
    pub value: String,
}

impl Translations {
    /// Builds a text from `(locale, value)` pairs.
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Translations {
            translations: pairs
                .iter()
                .map(|(l, v)| Translation {
                    locale: (*l).to_string(),
                    value: (*v).to_string(),
                })
                .collect(),
        }
    }

    /// The best text for `locale`: an exact match (`fr_CH`), then the language (`fr`), then
    /// `fallback` (the institution's main language), then English, then whatever exists.
    pub fn best(&self, locale: &str, fallback: &str) -> &str {
        let norm = |s: &str| s.replace('-', "_").to_ascii_lowercase();
        let want = norm(locale);
        let lang = want.split('_').next().unwrap_or("").to_string();
        let find = |pred: &dyn Fn(&str) -> bool| {
            self.translations
                .iter()
                .find(|t| !t.value.is_empty() && pred(&norm(&t.locale)))
                .map(|t| t.value.as_str())
        };
        find(&|l| l == want)
            .or_else(|| find(&|l| l.split('_').next() == Some(lang.as_str())))
            .or_else(|| find(&|l| l.split('_').next() == Some(&*norm(fallback))))
            .or_else(|| find(&|l| l.starts_with("en")))
            .or_else(|| find(&|_| true))
            .unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.translations.iter().all(|t| t.value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_locale_with_fallbacks() {
        let t = Translations::of(&[("en", "Stalls"), ("fr", "Parterre"), ("de_CH", "Parkett")]);
        assert_eq!(t.best("fr", "en"), "Parterre");
        assert_eq!(t.best("fr-CH", "en"), "Parterre");
        assert_eq!(t.best("de", "en"), "Parkett");
        assert_eq!(t.best("it", "fr"), "Parterre");
        assert_eq!(t.best("it", "xx"), "Stalls");
        assert_eq!(Translations::default().best("en", "en"), "");
    }
}
