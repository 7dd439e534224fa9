//! Money. S-360 sends amounts as integers in **thousandths** of the currency unit
//! (`amount: 4000` is 4.00). We keep that unit end to end and never use floating point.

use serde::{Deserialize, Serialize};

/// An amount in thousandths of the currency unit.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// From whole currency units (`Amount::from_units(20)` is 20.00).
    pub const fn from_units(units: i64) -> Self {
        Amount(units * 1000)
    }

    /// From hundredths (cents): `Amount::from_cents(450)` is 4.50.
    pub const fn from_cents(cents: i64) -> Self {
        Amount(cents * 10)
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }

    pub fn checked_mul(self, qty: i64) -> Option<Amount> {
        self.0.checked_mul(qty).map(Amount)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Formats the amount for a buyer: the currency's digits (rounded half away from zero),
    /// grouping and decimal separators and symbol placement of the locale.
    pub fn format(self, currency: &Currency, locale: &str) -> String {
        let digits = currency.fraction_digit.min(3);
        let scale = 10i64.pow(3 - digits);
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs() as i64;
        let rounded = (abs + scale / 2) / scale; // half away from zero
        let unit = 10i64.pow(digits);
        let whole = rounded / unit;
        let frac = rounded % unit;
        let lang = locale.split(['-', '_']).next().unwrap_or("en");
        let (group, decimal) = match lang {
            "fr" => ('\u{202f}', ','),
            "de" if currency.currency_code == "CHF" => ('’', '.'),
            "de" => ('.', ','),
            _ => (',', '.'),
        };
        let whole_str = group_thousands(whole, group);
        let number = if digits == 0 {
            whole_str
        } else {
            format!(
                "{whole_str}{decimal}{frac:0width$}",
                width = digits as usize
            )
        };
        let sign = if negative { "-" } else { "" };
        let symbol = if currency.symbol.is_empty() {
            currency.currency_code.as_str()
        } else {
            currency.symbol.as_str()
        };
        match lang {
            // "12,50 €" / "12,50 CHF" in French and German
            "fr" | "de" => format!("{sign}{number}\u{a0}{symbol}"),
            // "CHF 12.50" / "€12.50" in English
            _ if symbol.chars().count() > 1 => format!("{sign}{symbol}\u{a0}{number}"),
            _ => format!("{sign}{symbol}{number}"),
        }
    }
}

fn group_thousands(mut n: i64, sep: char) -> String {
    let mut parts = Vec::new();
    loop {
        if n < 1000 {
            parts.push(n.to_string());
            break;
        }
        parts.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join(&sep.to_string())
}

/// The currency of a catalog or an order (`catalogCurrency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Currency {
    pub currency_code: String,
    pub fraction_digit: u32,
    #[serde(default)]
    pub min_amount: Amount,
    #[serde(default)]
    pub symbol: String,
}

impl Currency {
    pub fn chf() -> Self {
        Currency {
            currency_code: "CHF".into(),
            fraction_digit: 2,
            min_amount: Amount(50),
            symbol: "CHF".into(),
        }
    }

    pub fn eur() -> Self {
        Currency {
            currency_code: "EUR".into(),
            fraction_digit: 2,
            min_amount: Amount(10),
            symbol: "€".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousandths_are_the_unit() {
        assert_eq!(Amount(4000), Amount::from_units(4));
        assert_eq!(Amount(4500), Amount::from_cents(450));
    }

    #[test]
    fn formats_per_locale() {
        let chf = Currency::chf();
        let eur = Currency::eur();
        assert_eq!(Amount(20000).format(&chf, "en"), "CHF\u{a0}20.00");
        assert_eq!(Amount(1234500).format(&eur, "en"), "€1,234.50");
        assert_eq!(Amount(1234500).format(&eur, "fr"), "1\u{202f}234,50\u{a0}€");
        assert_eq!(Amount(1234500).format(&eur, "de"), "1.234,50\u{a0}€");
        assert_eq!(Amount(1234500).format(&chf, "de-CH"), "1’234.50\u{a0}CHF");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let eur = Currency::eur();
        assert_eq!(Amount(1005).format(&eur, "en"), "€1.01");
        assert_eq!(Amount(1004).format(&eur, "en"), "€1.00");
        assert_eq!(Amount(-1005).format(&eur, "en"), "-€1.01");
    }

    #[test]
    fn zero_digit_currency() {
        let jpy = Currency {
            currency_code: "JPY".into(),
            fraction_digit: 0,
            min_amount: Amount(1000),
            symbol: "¥".into(),
        };
        assert_eq!(Amount(1_500_000).format(&jpy, "en"), "¥1,500");
    }
}
