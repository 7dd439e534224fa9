//! What the buyer's e-mails say: the confirmation of a paid order (and the same again when the
//! buyer asks for it, or asks for the order's link), in the buyer's language and the
//! institution's brand. The server renders it (HTML and plain text), attaches the tickets and
//! the calendar file and sends it from its outbox (`server::mail`).

use rust_i18n::t;
use s360::model::contact::ContactDetail;
use s360::model::order::*;

use crate::describe::{shop_info, snapshot, when};
use crate::error::Error;
use crate::lang::Lang;
use crate::model::{Branding, CartLine};
use crate::order::{place_of, valid_tickets};
use crate::tenant::Tenant;

/// One ticket as the e-mail lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct MailTicket {
    pub product: String,
    pub when: Option<String>,
    pub place: String,
    pub tariff: String,
    pub holder: Option<String>,
    pub price: String,
}

/// Everything a confirmation says, every text already in the buyer's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub lang: Lang,
    pub shop_name: String,
    pub branding: Branding,
    pub order_id: i64,
    /// "Your order 123 at CUBE"
    pub subject: String,
    pub greeting: String,
    pub intro: String,
    pub lines: Vec<CartLine>,
    pub tickets: Vec<MailTicket>,
    pub total: String,
    /// How the tickets reach the buyer ("E-ticket", "By post", ...), when the order says.
    pub delivery: Option<String>,
    /// Absolute URL of the order page with its secret.
    pub order_url: String,
    /// The buyer's address (from the order's purchaser at S-360, else its shipment's e-mail).
    pub to: Option<String>,
    pub buyer_name: Option<String>,
    /// The order as S-360 has it (for the attachments).
    pub order: OrderDetailsData,
}

/// A text of `locales/mail.yml` in `lang`.
pub fn mail_text(key: &str, lang: Lang) -> String {
    t!(key, locale = lang.code()).into_owned()
}

fn delivery_key(mode: s360::model::shipment::ShipmentModeType) -> &'static str {
    use s360::model::shipment::ShipmentModeType as M;
    match mode {
        M::PrintAtHome | M::Electronic | M::ByEmail | M::Blockchain => "mail.delivery_eticket",
        M::Mobile => "mail.delivery_mobile",
        M::ByMail | M::ByRecommandedMail | M::Dhl => "mail.delivery_post",
        _ => "mail.delivery_box_office",
    }
}

/// The confirmation of order `order_id` (closed) in `lang`; `origin` is the shop's public
/// origin (`https://tickets.mosa.ch`) the order link is built on. `None` when the order is
/// not closed (it has no tickets to send).
pub async fn confirmation(
    tenant: &Tenant,
    order_id: i64,
    lang: Lang,
    origin: &str,
) -> Result<Option<Confirmation>, Error> {
    let locale = lang.code();
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let d = client
        .get_order_details(OrderId(order_id), Some(Granularity::Movements))
        .await?;
    if d.order_state != OrderState::Closed {
        return Ok(None);
    }
    let shop = shop_info(tenant, &snap, locale, None);
    let mut to = None;
    let mut buyer_name = None;
    if let Some(number) = d.purchaser_contact_number.as_deref() {
        let c = client
            .get_contact_data(number, &[] as &[ContactDetail])
            .await?;
        if let Some(i) = c.individual_contact {
            to = Some(i.email).filter(|e| !e.trim().is_empty());
            buyer_name = Some(i.individual_firstname).filter(|n| !n.trim().is_empty());
        }
    }
    let shipments = client.get_shipments(OrderId(order_id)).await?;
    if to.is_none() {
        to = shipments
            .iter()
            .find_map(|s| s.email.clone())
            .filter(|e| !e.trim().is_empty());
    }
    let delivery = shipments
        .first()
        .map(|s| mail_text(delivery_key(s.mode_type), lang));
    let tickets = valid_tickets(tenant, order_id)
        .await?
        .into_iter()
        .map(|t| MailTicket {
            when: t.performance_start.as_ref().map(|w| when(w, locale)),
            place: place_of(&t, lang),
            tariff: t.audience_sub_category.clone(),
            holder: t.holder_name.clone().filter(|h| !h.trim().is_empty()),
            price: t.price.format(&d.currency, locale),
            product: t.product_name,
        })
        .collect();
    let greeting = match &buyer_name {
        Some(n) => t!("mail.greeting_name", locale = locale, name = n).into_owned(),
        None => mail_text("mail.greeting", lang),
    };
    Ok(Some(Confirmation {
        lang,
        subject: t!(
            "mail.subject",
            locale = locale,
            number = order_id,
            shop = shop.name
        )
        .into_owned(),
        intro: t!("mail.intro", locale = locale, shop = shop.name).into_owned(),
        greeting,
        shop_name: shop.name,
        branding: tenant.branding.clone(),
        order_id,
        lines: crate::cart::cart_lines(tenant, &d, &snap, locale),
        tickets,
        total: d.sale_amount.format(&d.currency, locale),
        delivery,
        order_url: format!(
            "{}{}",
            origin.trim_end_matches('/'),
            tenant.order_link(order_id)
        ),
        to,
        buyer_name,
        order: d,
    }))
}

/// "You receive this e-mail because you ordered at CUBE."
pub fn footer(c: &Confirmation) -> String {
    t!("mail.footer", locale = c.lang.code(), shop = c.shop_name).into_owned()
}
