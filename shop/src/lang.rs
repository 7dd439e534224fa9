//! Languages of the shop: English, French and German. UI strings live in `locales/*.yml`
//! (rust-i18n, one file per area, each key with its three translations, compiled in); catalog
//! texts come translated from S-360.
//!
//! The language of a page is chosen on the server, in this order: `?lang=` in the URL (which
//! also sets the `lang` cookie), the `lang` cookie, the browser's `Accept-Language`, then the
//! institution's default. It is written into `<html lang>`, which the browser reads back when
//! it hydrates, so both sides render the same words.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Fr,
    De,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::De];

    /// The BCP 47 code (`en`, `fr`, `de`), also the rust-i18n locale.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }

    /// The language's name in itself, for the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
        }
    }

    /// `fr`, `FR`, `fr-CH`, `fr_CH` -> French; anything else -> none.
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best of `supported` for an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str, supported: &[Lang]) -> Option<Lang> {
        let mut ranked: Vec<(Lang, u16)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let lang = Lang::parse(it.next()?)?;
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1000), |q| {
                        q.trim().parse::<f32>().ok().map(|q| (q * 1000.0) as u16)
                    })?;
                (q > 0 && supported.contains(&lang)).then_some((lang, q))
            })
            .collect();
        // stable: equal weights keep the browser's order
        ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
        ranked.first().map(|(l, _)| *l)
    }

    /// The locale chrono formats dates with (Swiss variants: the institutions are Swiss).
    #[cfg(feature = "server")]
    pub fn chrono_locale(self) -> chrono::Locale {
        match self {
            Lang::En => chrono::Locale::en_GB,
            Lang::Fr => chrono::Locale::fr_CH,
            Lang::De => chrono::Locale::de_CH,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The key of a counted phrase in `locale`: `{base}_one` for a count the language says in the
/// singular ("1 place left", French "0 place restante" and "1 place restante"), else `base`
/// ("3 places left"). Every counted phrase in `locales/` has both keys.
pub fn count_key(base: &str, count: u64, locale: &str) -> String {
    let singular = match Lang::parse(locale) {
        Some(Lang::Fr) => count <= 1,
        _ => count == 1,
    };
    if singular {
        format!("{base}_one")
    } else {
        base.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_loosely() {
        assert_eq!(Lang::parse("fr-CH"), Some(Lang::Fr));
        assert_eq!(Lang::parse("DE"), Some(Lang::De));
        assert_eq!(Lang::parse("de_AT"), Some(Lang::De));
        assert_eq!(Lang::parse("it"), None);
        assert_eq!(Lang::parse(""), None);
    }

    #[test]
    fn accept_language_honours_weights_and_support() {
        let all = &Lang::ALL;
        assert_eq!(
            Lang::from_accept_language("it-CH, de;q=0.8, fr;q=0.9", all),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("de-CH,de;q=0.9,en;q=0.5", all),
            Some(Lang::De)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=0, en", &[Lang::Fr, Lang::En]),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("it, es", all), None);
        assert_eq!(
            Lang::from_accept_language("fr", &[Lang::En, Lang::De]),
            None
        );
    }

    /// Every UI string exists in the three languages (a missing one would show its key).
    #[test]
    fn every_key_is_translated() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../locales");
        let mut keys = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let doc: serde_yaml::Mapping =
                serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for (key, value) in doc {
                let key = key.as_str().unwrap().to_string();
                if key == "_version" {
                    continue;
                }
                keys += 1;
                let langs = value
                    .as_mapping()
                    .unwrap_or_else(|| panic!("{}: {key} has no translations", path.display()));
                for lang in Lang::ALL {
                    let text = langs
                        .get(lang.code())
                        .and_then(|v| v.as_str())
                        .unwrap_or_else(|| panic!("{}: {key} lacks {lang}", path.display()));
                    assert!(
                        !text.trim().is_empty(),
                        "{}: {key} is empty in {lang}",
                        path.display()
                    );
                }
            }
        }
        assert!(keys > 50, "only {keys} keys found");
    }

    #[test]
    fn counted_phrases_pick_the_singular_by_language() {
        assert_eq!(count_key("perf.remaining", 1, "en"), "perf.remaining_one");
        assert_eq!(count_key("perf.remaining", 0, "en"), "perf.remaining");
        assert_eq!(count_key("perf.remaining", 2, "de"), "perf.remaining");
        assert_eq!(count_key("perf.remaining", 1, "de"), "perf.remaining_one");
        assert_eq!(count_key("perf.remaining", 0, "fr"), "perf.remaining_one");
        assert_eq!(count_key("perf.remaining", 2, "fr"), "perf.remaining");
    }
}
