//! Checkout, before the payment: who buys (the logged-in buyer, or a guest who becomes an S-360
//! contact), how the tickets are delivered (the shipment modes S-360 offers for this order, with
//! a postal address for the modes that post something) and, where the product is nominative,
//! each ticket holder's name. The form is checked here, on the server, field by field; then the
//! choices are written to the order (buyer, address, shipment, holders) under the order's lock,
//! just before the payment starts (see [`start_payment`]).

use s360::model::contact::{AddressId, ContactAddressData};
use s360::model::order::{
    CreateOrUpdateOrderRequest, MovementContact, MovementContactData, MovementId, OrderState,
    PurchaserInfo,
};
use s360::model::shipment::{CreateShipmentRequest, GetAvailableShipmentModesRequest};
use s360::model::shipment::{ShipmentContents, ShipmentModeData, ShipmentModeId};
use serde::{Deserialize, Serialize};

use rust_i18n::t;
use s360::client::CatalogSnapshot;
use s360::model::order::OrderDetailsData;

use crate::account::{check_address, check_email, check_name};
use crate::cart::cart_view;
use crate::context::Ctx;
use crate::describe::snapshot;
use crate::error::{Error, Invalid};
use crate::lang::Lang;
use crate::model::*;
use crate::payment::Guest;
use crate::tenant::Tenant;

/// The checkout form as posted (every part optional: what is missing is reported in words).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub shipment_mode: Option<i64>,
    pub address: Option<AddressFields>,
    pub holders: Option<Vec<HolderInput>>,
}

/// The checked choices, written to the order before the payment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// `None` when S-360 offers no mode for this order (nothing to choose).
    pub shipment_mode: Option<ShipmentModeId>,
    /// The postal address, for a mode that needs one.
    pub address: Option<AddressFields>,
    /// (movement, first name, last name) for each nominative ticket.
    pub holders: Vec<(MovementId, String, String)>,
}

/// The order in the session's cart, with its movements.
async fn cart_order(cx: &Ctx) -> Result<OrderDetailsData, Error> {
    let d = crate::cart::cart_movements(cx, Error::CheckoutEmpty).await?;
    if d.order_state != OrderState::Running || d.operation_datas.is_empty() {
        return Err(Error::CheckoutExpired);
    }
    Ok(d)
}

/// The shipment modes S-360 offers for this order's tickets.
async fn modes(
    tenant: &Tenant,
    d: &OrderDetailsData,
    country: Option<&str>,
) -> Result<Vec<ShipmentModeData>, Error> {
    let snap = snapshot(tenant)?;
    tenant
        .catalog
        .client()
        .get_available_shipment_modes(
            snap.pos.pos_id,
            &GetAvailableShipmentModesRequest {
                request_id: None,
                point_of_sales_id: None,
                shipment_contents: ShipmentContents::Tickets,
                destination_country_code: country.map(str::to_string),
                contact_address_id: None,
                order_id: Some(d.order_id),
                product_family_ids: vec![],
            },
        )
        .await
        .map_err(Error::from)
}

/// The tickets that need a holder's name: every unit of a product whose family is nominative
/// at this point of sale (a season ticket's unit covers all its performances: one name).
fn holder_slots(
    snap: &CatalogSnapshot,
    d: &OrderDetailsData,
    locale: &str,
) -> Vec<(MovementId, String, Option<MovementContact>)> {
    let nominative = |ty| {
        snap.pos
            .product_families
            .iter()
            .any(|f| f.product_family_type == ty && f.contact_required)
    };
    let main = &snap.pos.main_language;
    let mut out: Vec<(MovementId, String, Option<MovementContact>)> = Vec::new();
    for op in d
        .operation_datas
        .iter()
        .filter(|o| nominative(o.product_family_type))
    {
        let name = snap
            .catalog
            .products()
            .find(|p| p.id == op.product_id)
            .map(|p| p.external_name.best(locale, main).to_string())
            .unwrap_or_else(|| op.product.clone());
        let mut seen_units = Vec::new();
        for m in d
            .movements
            .iter()
            .filter(|m| m.operation_id == op.operation_id)
        {
            if seen_units.contains(&m.instance_number) {
                continue;
            }
            seen_units.push(m.instance_number);
            let seat = match (&m.row_number, &m.seat_number) {
                (Some(r), Some(s)) => Some(
                    t!("checkout.holder_seat", locale = locale, row = r, seat = s).into_owned(),
                ),
                _ => None,
            };
            let label = t!(
                "checkout.holder_label",
                locale = locale,
                product = name.clone(),
                n = seen_units.len()
            )
            .into_owned();
            let label = match seat {
                Some(s) => format!("{label} ({s})"),
                None => label,
            };
            out.push((m.movement_id, label, m.contact_data.clone()));
        }
    }
    out
}

/// What the checkout page shows: the cart, the delivery choices and the holders to name.
pub async fn checkout_view(cx: &Ctx) -> Result<CheckoutView, Error> {
    let (tenant, session, locale) = (&*cx.tenant, &cx.session, cx.locale());
    let cart = cart_view(cx).await?;
    let mut view = CheckoutView {
        cart,
        modes: vec![],
        address: AddressFields::default(),
        holders: vec![],
    };
    if view.cart.lines.is_empty() {
        return Ok(view);
    }
    let d = cart_order(cx).await?;
    let snap = snapshot(tenant)?;
    let main = &snap.pos.main_language;
    let currency = &snap.pos.institution_currency;
    view.modes = modes(tenant, &d, None)
        .await?
        .into_iter()
        .map(|m| ShipmentChoice {
            id: m.shipment_mode_id.0,
            name: m.external_name.best(locale, main).to_string(),
            description: m.external_description.best(locale, main).to_string(),
            fee: if m.price.0 > 0 {
                t!(
                    "checkout.fee",
                    locale = locale,
                    fee = m.price.format(currency, locale)
                )
                .into_owned()
            } else {
                t!("checkout.free", locale = locale).into_owned()
            },
            address_required: m.address_required,
        })
        .collect();
    view.holders = holder_slots(&snap, &d, locale)
        .into_iter()
        .map(|(id, label, c)| {
            let c = c.unwrap_or_default();
            HolderField {
                movement_id: id.0,
                label,
                first_name: c.first_name.unwrap_or_default(),
                last_name: c.last_name.unwrap_or_default(),
            }
        })
        .collect();
    // a logged-in buyer's shipping (else main) address, ready to be used
    if let Some(user) = session.user().await {
        if let Ok(c) = tenant
            .catalog
            .client()
            .get_contact_data(&user.contact_number, &[])
            .await
        {
            let a = c
                .addresses
                .iter()
                .find(|a| a.is('S'))
                .or_else(|| c.addresses.iter().find(|a| a.is('M')));
            if let Some(a) = a {
                view.address = AddressFields {
                    line1: a.line1.clone(),
                    line2: a.line2.clone().unwrap_or_default(),
                    zip_code: a.zip_code.clone(),
                    town: a.town.clone(),
                    country_code: a.country_code.clone(),
                };
            }
        }
    }
    Ok(view)
}

/// The guest's name and e-mail, each checked (S-360's limits), the e-mail in lower case.
fn check_guest(form: &CheckoutForm, lang: Lang, bad: &mut Invalid) -> Guest {
    let first_name = check_name(
        &form.first_name,
        "first_name",
        "account.first_name",
        lang,
        bad,
    );
    let last_name = check_name(&form.last_name, "last_name", "account.last_name", lang, bad);
    let email = check_email(&form.email, "email", lang, bad).to_ascii_lowercase();
    Guest {
        first_name,
        last_name,
        email,
    }
}

/// Checks the form against the order and what S-360 offers; every problem is reported with
/// its field. A missing shipment choice (a client that does not send one) takes the first mode
/// that needs no address.
pub async fn check_checkout(
    cx: &Ctx,
    form: &CheckoutForm,
    guest: bool,
) -> Result<(Option<Guest>, Delivery), Error> {
    let (tenant, lang) = (&*cx.tenant, cx.lang);
    let d = cart_order(cx).await?;
    let snap = snapshot(tenant)?;
    let locale = lang.code();
    let mut bad = Invalid(vec![]);
    let guest = guest.then(|| check_guest(form, lang, &mut bad));
    let offered = modes(tenant, &d, None).await?;
    let mode = match form.shipment_mode {
        Some(id) => match offered.iter().find(|m| m.shipment_mode_id.0 == id) {
            Some(m) => Some(m),
            None => {
                bad.0.push((
                    "shipment_mode".into(),
                    t!("checkout.err_mode", locale = locale).into_owned(),
                ));
                None
            }
        },
        None => offered.iter().find(|m| !m.address_required),
    };
    if mode.is_none() && form.shipment_mode.is_none() && !offered.is_empty() {
        bad.0.push((
            "shipment_mode".into(),
            t!("checkout.err_mode", locale = locale).into_owned(),
        ));
    }
    let address = match mode {
        Some(m) if m.address_required => {
            let a = form.address.clone().unwrap_or_default();
            if a.is_empty() {
                bad.0.push((
                    "address.line1".into(),
                    t!("checkout.err_address", locale = locale).into_owned(),
                ));
                None
            } else {
                check_address(&a, "address", lang, &mut bad)
            }
        }
        _ => None,
    };
    // a mode that posts tickets must reach the address's country
    if let (Some(m), Some(a)) = (mode, &address) {
        if !a.country_code.is_empty() && bad.0.is_empty() {
            let there = modes(tenant, &d, Some(&a.country_code)).await?;
            if !there
                .iter()
                .any(|x| x.shipment_mode_id == m.shipment_mode_id)
            {
                bad.0.push((
                    "address.country_code".into(),
                    t!(
                        "checkout.err_country",
                        locale = locale,
                        mode = m.external_name.best(locale, &snap.pos.main_language)
                    )
                    .into_owned(),
                ));
            }
        }
    }
    let given = form.holders.clone().unwrap_or_default();
    let mut holders = Vec::new();
    for (i, (movement, _, _)) in holder_slots(&snap, &d, locale).into_iter().enumerate() {
        let h = given
            .iter()
            .find(|h| h.movement_id == movement.0)
            .cloned()
            .unwrap_or_default();
        let first = check_name(
            &h.first_name,
            &format!("holders.{i}.first_name"),
            "account.first_name",
            lang,
            &mut bad,
        );
        let last = check_name(
            &h.last_name,
            &format!("holders.{i}.last_name"),
            "account.last_name",
            lang,
            &mut bad,
        );
        holders.push((movement, first, last));
    }
    if !bad.0.is_empty() {
        return Err(Error::Invalid(bad));
    }
    Ok((
        guest,
        Delivery {
            shipment_mode: mode.map(|m| m.shipment_mode_id),
            address,
            holders,
        },
    ))
}

/// Writes the checked choices to the running order: its buyer, the shipping address (on the
/// buyer's contact, reused when unchanged), the shipment mode, the holders' names.
pub(crate) async fn apply_delivery(
    tenant: &Tenant,
    d: &OrderDetailsData,
    contact: &str,
    email: Option<&str>,
    delivery: &Delivery,
) -> Result<(), Error> {
    let client = tenant.catalog.client();
    let snap = snapshot(tenant)?;
    client
        .create_or_update_order(&CreateOrUpdateOrderRequest {
            point_of_sales_id: Some(snap.pos.pos_id),
            order_id: Some(d.order_id),
            purchasers_info: vec![PurchaserInfo {
                contact_reference: contact.to_string(),
            }],
            ..Default::default()
        })
        .await?;
    if let Some(mode) = delivery.shipment_mode {
        let address_id = match &delivery.address {
            Some(a) => Some(shipping_address(tenant, contact, a).await?),
            None => None,
        };
        client
            .create_shipment(&CreateShipmentRequest {
                request_id: None,
                order_id: d.order_id,
                shipment_mode_id: mode,
                contact_address_id: address_id,
                email: email.map(str::to_string),
            })
            .await?;
    }
    if !delivery.holders.is_empty() {
        client
            .set_movement_contact_data(
                d.order_id,
                delivery
                    .holders
                    .iter()
                    .map(|(m, first, last)| MovementContactData {
                        movement_id: *m,
                        contact: MovementContact {
                            first_name: Some(first.clone()),
                            last_name: Some(last.clone()),
                            ..Default::default()
                        },
                    })
                    .collect(),
            )
            .await?;
    }
    Ok(())
}

/// The contact's shipping address with these fields: the existing one when it already says
/// this, else its shipping address updated (or a new one).
async fn shipping_address(
    tenant: &Tenant,
    contact: &str,
    a: &AddressFields,
) -> Result<AddressId, Error> {
    let client = tenant.catalog.client();
    let current = client.get_contact_data(contact, &[]).await?;
    let wanted = |address_id, address_type: String| ContactAddressData {
        address_id,
        address_type,
        line1: a.line1.clone(),
        line2: Some(a.line2.clone()).filter(|l| !l.is_empty()),
        line3: None,
        zip_code: a.zip_code.clone(),
        town: a.town.clone(),
        country_code: a.country_code.clone(),
    };
    if let Some(same) = current
        .addresses
        .iter()
        .find(|x| wanted(x.address_id, x.address_type.clone()) == **x)
    {
        if let Some(id) = same.address_id {
            return Ok(id);
        }
    }
    let shipping = current.addresses.iter().find(|x| x.is('S'));
    let address = match shipping {
        Some(s) => wanted(s.address_id, s.address_type.clone()),
        // a contact's first address is its main one too
        None if current.addresses.is_empty() => wanted(None, "MS".into()),
        None => wanted(None, "S".into()),
    };
    let saved = client.create_or_update_address(contact, address).await?;
    saved.address_id.ok_or(Error::AddressNotSaved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(first: &str, last: &str, email: &str, lang: Lang) -> (Guest, Vec<(String, String)>) {
        let mut bad = Invalid(vec![]);
        let form = CheckoutForm {
            first_name: first.into(),
            last_name: last.into(),
            email: email.into(),
            ..Default::default()
        };
        let g = check_guest(&form, lang, &mut bad);
        (g, bad.0)
    }

    #[test]
    fn guest_details_are_checked_field_by_field_in_the_buyers_language() {
        let (g, bad) = guest(" Ada ", "Lovelace", "ADA@Example.com", Lang::En);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            (g.first_name.as_str(), g.email.as_str()),
            ("Ada", "ada@example.com")
        );
        let (_, bad) = guest("", "Lovelace", "ada@example", Lang::En);
        let fields: Vec<&str> = bad.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["first_name", "email"]);
        let (_, bad) = guest("Ada", "", "ada example@x.com", Lang::Fr);
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert!(bad
            .iter()
            .all(|(_, m)| !m.is_empty() && !m.contains("account.")));
        assert!(
            bad[0].1.contains("Nom") || bad[0].1.contains("nom"),
            "French: {:?}",
            bad[0]
        );
        let (_, bad) = guest(&"A".repeat(51), "Lovelace", "ada@example.com", Lang::De);
        assert_eq!(bad.len(), 1, "{bad:?}");
    }
}
