//! Why the shop refuses or cannot do what a buyer asked: one enum for the whole domain, born
//! where the rule lives, mapped once at the edge to an HTTP status ([`Error::status`]) and to a
//! message in the buyer's language ([`Error::message`]). Nothing parses its text back.

use rust_i18n::t;
use s360::client::Error as S360Error;

use crate::lang::Lang;
use crate::products::InvalidChoice;

/// Problems of a posted form, per field (`first_name`, `main.town`, ...), each message already
/// in the language of the buyer who posted it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invalid(pub Vec<(String, String)>);

/// Everything the shop's services can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The institution's catalog has not been loaded from S-360 yet.
    #[error("the catalog has not been loaded from S-360 yet")]
    NotLoaded,
    /// S-360 answered, or could not be reached; classified in [`Error::message`].
    #[error("S-360: {0}")]
    S360(S360Error),
    #[error("the session store failed")]
    Session,
    #[error("not on sale")]
    NotOnSale,
    #[error("fewer places are left than asked for")]
    NotEnough,
    #[error("this tariff is not sold here")]
    Tariff,
    #[error("between 1 and {max} tickets at once")]
    Quantity { max: u32 },
    #[error("too many places held from one address")]
    TooManyHolds,
    #[error("the cart is empty")]
    CartEmpty,
    #[error("keep between 1 and {max} of this line")]
    LineQuantity { max: usize },
    #[error("the cart line is gone")]
    LineGone,
    #[error("the expired cart's tickets cannot be held again")]
    ReopenGone,
    #[error("nothing to check out")]
    CheckoutEmpty,
    #[error("the hold expired")]
    CheckoutExpired,
    #[error("a payment is underway")]
    CheckoutUnderway,
    #[error("checkout was not completed")]
    CheckoutNotStarted,
    #[error("S-360 offers no card payment")]
    NoCard,
    #[error("the buyer's contact could not be created")]
    ContactNotCreated,
    #[error("the address could not be saved")]
    AddressNotSaved,
    #[error("the payment was not recorded")]
    PaymentNotRecorded,
    #[error("no seat chosen")]
    NoSeat,
    #[error("a seat that is not on this map")]
    UnknownSeat,
    #[error("more than {max} seats")]
    TooManySeats { max: u32 },
    /// Seats taken by someone else meanwhile, in the buyer's words (block, row, seat).
    #[error("seats taken meanwhile: {}", .0.join("; "))]
    SeatsTaken(Vec<String>),
    /// A product page's choice the rules refuse.
    #[error("invalid choice: {0:?}")]
    Choice(InvalidChoice),
    /// A form with field errors.
    #[error("invalid form: {0:?}")]
    Invalid(Invalid),
}

impl From<S360Error> for Error {
    fn from(e: S360Error) -> Self {
        Error::S360(e)
    }
}

impl From<InvalidChoice> for Error {
    fn from(e: InvalidChoice) -> Self {
        Error::Choice(e)
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl Error {
    /// The HTTP status of the answer: 4xx for what the buyer can change, 5xx when the shop or
    /// S-360 cannot serve right now.
    pub fn status(&self) -> u16 {
        match self {
            Error::NotLoaded | Error::Session => 503,
            Error::S360(e) => match e {
                S360Error::Availability(_) => 409,
                S360Error::CircuitOpen
                | S360Error::Unavailable(_)
                | S360Error::RateLimited { .. } => 503,
                _ => 502,
            },
            Error::TooManyHolds => 429,
            Error::NotEnough
            | Error::SeatsTaken(_)
            | Error::LineGone
            | Error::ReopenGone
            | Error::CartEmpty
            | Error::CheckoutEmpty
            | Error::CheckoutExpired
            | Error::CheckoutUnderway
            | Error::CheckoutNotStarted => 409,
            Error::NoCard
            | Error::ContactNotCreated
            | Error::AddressNotSaved
            | Error::PaymentNotRecorded => 502,
            Error::NotOnSale
            | Error::Tariff
            | Error::Quantity { .. }
            | Error::LineQuantity { .. }
            | Error::NoSeat
            | Error::UnknownSeat
            | Error::TooManySeats { .. }
            | Error::Choice(_)
            | Error::Invalid(_) => 422,
        }
    }

    /// What the buyer reads, in `lang`. S-360's own words (ids, internal states) go to the log,
    /// never to the buyer.
    pub fn message(&self, lang: Lang) -> String {
        let l = lang.code();
        let tr = |key: &str| t!(key, locale = l).into_owned();
        match self {
            Error::NotLoaded => tr("error.not_loaded"),
            Error::S360(e) => match e {
                S360Error::Availability(_) => tr("error.not_enough"),
                S360Error::Other(code, detail) if code.starts_with("error.") => detail.clone(),
                S360Error::CircuitOpen
                | S360Error::Unavailable(_)
                | S360Error::RateLimited { .. } => tr("error.busy"),
                other => {
                    tracing::warn!(error = %other, "S-360 refused a buyer's request");
                    tr("error.refused")
                }
            },
            Error::Session => tr("error.session"),
            Error::NotOnSale => tr("error.not_on_sale"),
            Error::NotEnough => tr("error.not_enough"),
            Error::Tariff => tr("error.tariff"),
            Error::Quantity { max } => t!("error.quantity", locale = l, max = max).into_owned(),
            Error::TooManyHolds => tr("error.too_many_holds"),
            Error::CartEmpty => tr("error.cart_empty"),
            Error::LineQuantity { max } => {
                t!("cart.bad_quantity", locale = l, max = max).into_owned()
            }
            Error::LineGone => tr("cart.line_gone"),
            Error::ReopenGone => tr("cart.reopen_gone"),
            Error::CheckoutEmpty => tr("checkout.empty"),
            Error::CheckoutExpired => tr("checkout.expired"),
            Error::CheckoutUnderway => tr("checkout.underway"),
            Error::CheckoutNotStarted => tr("checkout.not_started"),
            Error::NoCard => tr("checkout.no_card"),
            Error::ContactNotCreated => tr("checkout.contact_not_created"),
            Error::AddressNotSaved => tr("checkout.address_not_saved"),
            Error::PaymentNotRecorded => tr("payment.not_recorded"),
            Error::NoSeat => tr("seatmap.error_none"),
            Error::UnknownSeat => tr("seatmap.error_unknown"),
            Error::TooManySeats { max } => {
                t!("seatmap.error_max", locale = l, max = max).into_owned()
            }
            Error::SeatsTaken(seats) => match seats.as_slice() {
                [] => tr("error.not_enough"),
                [one] => t!("seatmap.error_taken", locale = l, seat = one).into_owned(),
                many => t!(
                    "seatmap.error_taken_many",
                    locale = l,
                    seats = many.join("; ")
                )
                .into_owned(),
            },
            Error::Choice(c) => c.message(l),
            Error::Invalid(fields) => fields
                .0
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// The field errors of a form, when that is what this is.
    pub fn fields(&self) -> &[(String, String)] {
        match self {
            Error::Invalid(i) => &i.0,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_4xx_and_outages_5xx_in_every_language() {
        assert_eq!(Error::Quantity { max: 20 }.status(), 422);
        assert_eq!(Error::TooManyHolds.status(), 429);
        assert_eq!(Error::NotEnough.status(), 409);
        assert_eq!(Error::S360(S360Error::CircuitOpen).status(), 503);
        for lang in Lang::ALL {
            let m = Error::Quantity { max: 20 }.message(lang);
            assert!(m.contains("20"), "{lang}: {m}");
            assert!(!m.contains("error."), "{lang}: {m}");
        }
        assert_ne!(
            Error::CartEmpty.message(Lang::En),
            Error::CartEmpty.message(Lang::De)
        );
        let two = Error::SeatsTaken(vec!["A 1".into(), "A 2".into()]).message(Lang::En);
        assert!(two.contains("A 1; A 2"), "{two}");
    }

    #[test]
    fn s360_words_stay_in_the_log() {
        let e = Error::S360(S360Error::Other(
            "INTERNAL".into(),
            "order 42 in state X".into(),
        ));
        let m = e.message(Lang::En);
        assert!(!m.contains("42"), "{m}");
        assert_eq!(e.status(), 502);
    }
}
