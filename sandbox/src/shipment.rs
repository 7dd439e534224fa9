//! `shipmentPublicService` (s360-contract.md §9): which shipment modes an order may use, and
//! the shipment of each order.
//!
//! Rules (OUR DESIGN, documented in the contract's "Sandbox decisions" of §9):
//! - Every institution has six modes: print@home and mobile (free, tickets), mail (5.00,
//!   CH/FR/DE/AT/IT/LI, 5 days), registered mail (9.00, CH/LI, 3 days), box-office pickup
//!   (free, orders with dated events) and e-mail (free, documents only).
//! - Mail needs the first performance or time slot of the order to be at least
//!   [`MAIL_MIN_DAYS`] days away; season tickets (a card) are not sent as print@home or mobile.
//! - One shipment per order. `createShipment` on a running order applies a mode (replacing
//!   the previous one) and puts its fee on the order as a `SHIPMENT_{code}` charge.
//! - A shipment is SENT once its order is CLOSED and its mode is electronic (print@home,
//!   mobile, e-mail); mail and pickup shipments stay UNSENT (the box office sends them).

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use s360::envelope;
use s360::model::catalog::ProductFamilyType;
use s360::model::contact::{is_valid_email, AddressId, ContactAddressData};
use s360::model::order::{OrderCharge, OrderId, OrderState, PaymentState};
use s360::model::shipment::*;
use s360::money::Amount;
use s360::text::Translations;
use serde_json::Value;

use crate::orders::Order;
use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::{now, Institution};

/// Mail is offered only when the order's first date is at least this many days away.
pub const MAIL_MIN_DAYS: i64 = 7;

/// The code prefix of the charge that carries a shipment fee on an order.
const FEE_PREFIX: &str = "SHIPMENT_";

/// Whether an order charge is a shipment fee (kept when the order's lines change).
pub fn is_fee(c: &OrderCharge) -> bool {
    c.code.starts_with(FEE_PREFIX)
}

struct ModeDef {
    offset: i64,
    code: &'static str,
    ty: ShipmentModeType,
    name: [&'static str; 3],
    description: [&'static str; 3],
    /// Thousandths.
    price: i64,
    address_required: bool,
    delivery_days: Option<u32>,
    /// Empty: anywhere.
    countries: &'static [&'static str],
    min_days: Option<i64>,
    /// Offered for TICKETS / TICKETS_AND_DOCUMENTS.
    tickets: bool,
    /// Offered for DOCUMENTS.
    documents: bool,
    /// Offered for season tickets.
    season: bool,
    /// Needs dated events (performances) in the content.
    events_only: bool,
}

const MAIL_COUNTRIES: &[&str] = &["CH", "FR", "DE", "AT", "IT", "LI"];

const MODES: &[ModeDef] = &[
    ModeDef {
        offset: 1,
        code: "PAH",
        ty: ShipmentModeType::PrintAtHome,
        name: ["Print at home", "Imprimer à la maison", "Print@home"],
        description: [
            "PDF tickets by e-mail as soon as the order is paid.",
            "Billets PDF par e-mail dès le paiement.",
            "PDF-Tickets per E-Mail nach der Zahlung.",
        ],
        price: 0,
        address_required: false,
        delivery_days: None,
        countries: &[],
        min_days: None,
        tickets: true,
        documents: true,
        season: false,
        events_only: false,
    },
    ModeDef {
        offset: 2,
        code: "MOBILE",
        ty: ShipmentModeType::Mobile,
        name: ["Mobile ticket", "Billet mobile", "Mobile-Ticket"],
        description: [
            "A ticket for your phone's wallet.",
            "Un billet pour le portefeuille de votre téléphone.",
            "Ein Ticket für das Wallet Ihres Telefons.",
        ],
        price: 0,
        address_required: false,
        delivery_days: None,
        countries: &[],
        min_days: None,
        tickets: true,
        documents: false,
        season: false,
        events_only: false,
    },
    ModeDef {
        offset: 3,
        code: "MAIL",
        ty: ShipmentModeType::ByMail,
        name: ["By post", "Par courrier", "Per Post"],
        description: [
            "Printed tickets sent to your address.",
            "Billets imprimés envoyés à votre adresse.",
            "Gedruckte Tickets an Ihre Adresse.",
        ],
        price: 5_000,
        address_required: true,
        delivery_days: Some(5),
        countries: MAIL_COUNTRIES,
        min_days: Some(MAIL_MIN_DAYS),
        tickets: true,
        documents: true,
        season: true,
        events_only: false,
    },
    ModeDef {
        offset: 4,
        code: "REGISTERED",
        ty: ShipmentModeType::ByRecommandedMail,
        name: ["Registered post", "Courrier recommandé", "Einschreiben"],
        description: [
            "Printed tickets by registered post, signature on delivery.",
            "Billets imprimés en recommandé, signature à la livraison.",
            "Gedruckte Tickets per Einschreiben, Unterschrift bei Zustellung.",
        ],
        price: 9_000,
        address_required: true,
        delivery_days: Some(3),
        countries: &["CH", "LI"],
        min_days: Some(MAIL_MIN_DAYS),
        tickets: true,
        documents: false,
        season: true,
        events_only: false,
    },
    ModeDef {
        offset: 5,
        code: "BOXOFFICE",
        ty: ShipmentModeType::PickUpAtControl,
        name: [
            "Pick up at the box office",
            "Retrait à la caisse",
            "Abholung an der Kasse",
        ],
        description: [
            "Collect your tickets at the box office before the show.",
            "Retirez vos billets à la caisse avant le spectacle.",
            "Holen Sie Ihre Tickets vor der Vorstellung an der Kasse ab.",
        ],
        price: 0,
        address_required: false,
        delivery_days: None,
        countries: &[],
        min_days: None,
        tickets: true,
        documents: false,
        season: true,
        events_only: true,
    },
    ModeDef {
        offset: 6,
        code: "EMAIL",
        ty: ShipmentModeType::ByEmail,
        name: ["By e-mail", "Par e-mail", "Per E-Mail"],
        description: [
            "Documents (invoice, order summary) by e-mail.",
            "Documents (facture, récapitulatif) par e-mail.",
            "Dokumente (Rechnung, Übersicht) per E-Mail.",
        ],
        price: 0,
        address_required: false,
        delivery_days: None,
        countries: &[],
        min_days: None,
        tickets: false,
        documents: true,
        season: false,
        events_only: false,
    },
];

// ---------------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone)]
pub struct Shipment {
    pub id: ShipmentId,
    pub order_id: OrderId,
    pub mode_id: ShipmentModeId,
    pub address_id: Option<AddressId>,
    pub original_address_id: Option<AddressId>,
    pub email: Option<String>,
}

/// The shipments of one institution, and its mode ids.
#[derive(Debug)]
pub struct ShipmentBook {
    mode_base: i64,
    next_id: i64,
    pub shipments: Vec<Shipment>,
}

impl ShipmentBook {
    /// `space` keeps two institutions' ids apart.
    pub fn new(space: u64) -> Self {
        let block = space as i64;
        ShipmentBook {
            mode_base: 50_000_000_000_000 + block * 1_000_000_000,
            next_id: 51_000_000_000_000 + block * 1_000_000_000,
            shipments: Vec::new(),
        }
    }

    fn mode(&self, id: ShipmentModeId) -> Option<&'static ModeDef> {
        MODES.iter().find(|m| self.mode_base + m.offset == id.0)
    }

    fn mode_id(&self, m: &ModeDef) -> ShipmentModeId {
        ShipmentModeId(self.mode_base + m.offset)
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch

pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "getAvailableShipmentModes" => parse(body).map(|r| available_modes(inst, r)),
        "createShipment" => parse(body).map(|r| create_shipment(inst, r)),
        "getShipments" => parse(body).map(|r| get_shipments(inst, r)),
        "changeShipmentMode" => parse(body).map(|r| change_mode(inst, r)),
        _ => return None,
    })
}

/// What decides which modes fit.
struct Content {
    contents: ShipmentContents,
    /// None: unknown (no order, no families given).
    families: Option<HashSet<ProductFamilyType>>,
    first_date: Option<DateTime<FixedOffset>>,
    country: Option<String>,
}

fn has_events(families: &HashSet<ProductFamilyType>) -> bool {
    families.contains(&ProductFamilyType::SingleEntry)
        || families.contains(&ProductFamilyType::Seasonticket)
}

/// Why a mode does not fit the content, or None when it does.
fn refusal(inst: &Institution, m: &ModeDef, c: &Content) -> Option<String> {
    let fits_contents = match c.contents {
        ShipmentContents::Documents => m.documents,
        ShipmentContents::Tickets | ShipmentContents::TicketsAndDocuments => m.tickets,
    };
    if !fits_contents {
        return Some(format!("{} does not ship {:?}", m.code, c.contents));
    }
    let pos_families: HashSet<ProductFamilyType> = inst
        .pos
        .product_families
        .iter()
        .map(|f| f.product_family_type)
        .collect();
    let families = c.families.as_ref();
    if !m.season && families.is_some_and(|f| f.contains(&ProductFamilyType::Seasonticket)) {
        return Some(format!("{} is not offered for season tickets", m.code));
    }
    if m.events_only && !has_events(families.unwrap_or(&pos_families)) {
        return Some(format!("{} is only offered for performances", m.code));
    }
    if let (Some(country), false) = (&c.country, m.countries.is_empty()) {
        if !m.countries.contains(&country.as_str()) {
            return Some(format!("{} does not deliver to {country}", m.code));
        }
    }
    if let (Some(days), Some(first)) = (m.min_days, c.first_date) {
        if c.contents != ShipmentContents::Documents && first < now() + chrono::Duration::days(days)
        {
            return Some(format!(
                "{} needs the first date of the order to be at least {days} days away",
                m.code
            ));
        }
    }
    None
}

fn order_of(inst: &Institution, id: OrderId) -> Result<&Order, BusinessError> {
    inst.orders
        .orders
        .get(&id)
        .ok_or_else(|| BusinessError::not_found(format!("order {id}")))
}

/// The earliest performance or time slot of an order.
fn first_date(inst: &Institution, o: &Order) -> Option<DateTime<FixedOffset>> {
    let perf_start = |id| {
        inst.setup_catalog()
            .products()
            .filter_map(|p| p.event.as_ref())
            .flat_map(|e| e.performances.iter())
            .find(|p| p.id == id)
            .map(|p| p.start)
    };
    o.lines
        .iter()
        .flat_map(|l| {
            let mut v: Vec<DateTime<FixedOffset>> = l.op.performance_start.into_iter().collect();
            v.extend(l.op.performance_id.and_then(perf_start));
            v.extend(l.op.performance_ids.iter().filter_map(|p| perf_start(*p)));
            v.extend(
                l.movements
                    .iter()
                    .filter_map(|m| m.data.performance_id.and_then(perf_start)),
            );
            v
        })
        .min()
}

fn order_content(
    inst: &Institution,
    o: &Order,
    contents: ShipmentContents,
    country: Option<String>,
) -> Content {
    Content {
        contents,
        families: Some(o.lines.iter().map(|l| l.op.product_family_type).collect()),
        first_date: first_date(inst, o),
        country,
    }
}

/// One of the addresses of the order's buyer.
fn buyer_address(
    inst: &Institution,
    o: &Order,
    id: AddressId,
) -> Result<ContactAddressData, BusinessError> {
    o.purchaser
        .as_deref()
        .and_then(|n| inst.contacts.get(n))
        .and_then(|c| c.data.addresses.iter().find(|a| a.address_id == Some(id)))
        .cloned()
        .ok_or_else(|| {
            BusinessError::not_found(format!("address {id} of the buyer of order {}", o.id))
        })
}

fn mode_data(inst: &Institution, m: &ModeDef) -> ShipmentModeData {
    let tr = |v: &[&str; 3]| Translations::of(&[("en", v[0]), ("fr", v[1]), ("de", v[2])]);
    ShipmentModeData {
        shipment_mode_id: inst.shipments.mode_id(m),
        code: m.code.into(),
        mode_type: m.ty,
        external_name: tr(&m.name),
        external_description: tr(&m.description),
        price: Amount(m.price),
        address_required: m.address_required,
        delivery_days: m.delivery_days,
    }
}

fn check_country(code: &str) -> Result<String, BusinessError> {
    let c = code.trim().to_ascii_uppercase();
    if c.len() != 2 || !c.chars().all(|x| x.is_ascii_alphabetic()) {
        return Err(BusinessError::invalid(format!(
            "destinationCountryCode must be an ISO-3166 alpha-2 code, got {code:?}"
        )));
    }
    Ok(c)
}

fn available_modes(inst: &Institution, req: GetAvailableShipmentModesRequest) -> MethodResult {
    match req.point_of_sales_id {
        None => return Err(BusinessError::invalid("pointOfSalesId is mandatory")),
        Some(p) if p != inst.pos.pos_id => {
            return Err(BusinessError::invalid(format!(
                "pointOfSalesId {p} is not this operator's point of sale"
            )))
        }
        Some(_) => {}
    }
    let mut country = req
        .destination_country_code
        .as_deref()
        .map(check_country)
        .transpose()?;
    let content = match req.order_id {
        Some(id) => {
            let o = order_of(inst, id)?;
            if let (None, Some(a)) = (&country, req.contact_address_id) {
                country = Some(buyer_address(inst, o, a)?.country_code.to_ascii_uppercase());
            }
            order_content(inst, o, req.shipment_contents, country)
        }
        None => {
            if req.contact_address_id.is_some() && country.is_none() {
                return Err(BusinessError::invalid(
                    "contactAddressId needs orderId (it is one of the buyer's addresses)",
                ));
            }
            let families = if req.product_family_ids.is_empty() {
                None
            } else {
                let mut set = HashSet::new();
                for (i, id) in req.product_family_ids.iter().enumerate() {
                    let f = inst
                        .pos
                        .product_families
                        .iter()
                        .find(|f| f.id == *id)
                        .ok_or_else(|| {
                            BusinessError::invalid(format!(
                                "productFamilyIds[{i}]: {id} is not a family of this point of sale"
                            ))
                        })?;
                    set.insert(f.product_family_type);
                }
                Some(set)
            };
            Content {
                contents: req.shipment_contents,
                families,
                first_date: None,
                country,
            }
        }
    };
    let shipment_modes = MODES
        .iter()
        .filter(|m| refusal(inst, m, &content).is_none())
        .map(|m| mode_data(inst, m))
        .collect();
    ok(ShipmentModesResult {
        shipment_modes_detailed_data: Some(ShipmentModesDetailedData { shipment_modes }),
    })
}

// ---------------------------------------------------------------------------------------------
// createShipment, getShipments, changeShipmentMode

fn sent(inst: &Institution, s: &Shipment) -> Option<DateTime<FixedOffset>> {
    let o = inst.orders.orders.get(&s.order_id)?;
    let m = inst.shipments.mode(s.mode_id)?;
    if o.state == OrderState::Closed && m.ty.is_electronic() {
        o.closed_at
    } else {
        None
    }
}

fn shipment_data(inst: &Institution, s: &Shipment) -> ShipmentData {
    let o = inst.orders.orders.get(&s.order_id);
    let m = inst.shipments.mode(s.mode_id);
    let sent_at = sent(inst, s);
    ShipmentData {
        shipment_id: s.id,
        order_id: s.order_id,
        shipment_mode_id: s.mode_id,
        shipment_mode_code: m.map(|m| m.code.to_string()).unwrap_or_default(),
        mode_type: m.map_or(ShipmentModeType::PrintAtHome, |m| m.ty),
        state: if sent_at.is_some() {
            ShipmentState::Sent
        } else {
            ShipmentState::Unsent
        },
        collection_date_time: sent_at,
        contact_address: match (o, s.address_id) {
            (Some(o), Some(a)) => buyer_address(inst, o, a).ok(),
            _ => None,
        },
        original_contact_address_id: s.original_address_id,
        contact_number: o.and_then(|o| o.purchaser.clone()),
        email: s.email.clone(),
        number_of_tickets: o.map_or(0, |o| {
            o.lines.iter().map(|l| l.movements.len() as u32).sum()
        }),
        operation_ids: o.map_or_else(Vec::new, |o| {
            o.lines.iter().map(|l| l.op.operation_id).collect()
        }),
        price: Amount(m.map_or(0, |m| m.price)),
    }
}

fn result(inst: &Institution, ids: &[ShipmentId]) -> MethodResult {
    let shipments = inst
        .shipments
        .shipments
        .iter()
        .filter(|s| ids.contains(&s.id))
        .map(|s| shipment_data(inst, s))
        .collect();
    ok(ShipmentsResult { shipments })
}

/// Checks that `mode` may ship order `order_id` to `address_id`; returns the mode.
fn check_mode(
    inst: &Institution,
    order_id: OrderId,
    mode_id: ShipmentModeId,
    address_id: Option<AddressId>,
) -> Result<&'static ModeDef, BusinessError> {
    let o = order_of(inst, order_id)?;
    let m = inst
        .shipments
        .mode(mode_id)
        .ok_or_else(|| BusinessError::not_found(format!("shipment mode {mode_id}")))?;
    if m.address_required && address_id.is_none() {
        return Err(BusinessError::new(
            ERROR_ADDRESS_REQUIRED,
            format!("shipment mode {} needs contactAddressId", m.code),
        ));
    }
    let country = match address_id {
        Some(a) => Some(buyer_address(inst, o, a)?.country_code.to_ascii_uppercase()),
        None => None,
    };
    let content = order_content(inst, o, ShipmentContents::Tickets, country);
    if let Some(why) = refusal(inst, m, &content) {
        return Err(BusinessError::new(ERROR_MODE_NOT_AVAILABLE, why));
    }
    Ok(m)
}

/// Puts the mode's fee on a running order (replacing an earlier shipment fee).
fn apply_fee(inst: &mut Institution, order_id: OrderId, m: &ModeDef) {
    let charge_id = inst.shipments.mode_id(m).0;
    let name = Translations::of(&[("en", m.name[0]), ("fr", m.name[1]), ("de", m.name[2])])
        .best(&inst.pos.main_language, "en")
        .to_string();
    let Some(o) = inst.orders.orders.get_mut(&order_id) else {
        return;
    };
    let before = o.charges_amount();
    o.charges.retain(|c| !is_fee(c));
    if m.price > 0 {
        o.charges.push(OrderCharge {
            charge_id,
            code: format!("{FEE_PREFIX}{}", m.code),
            external_name: name,
            amount: Amount(m.price),
        });
    }
    if o.charges_amount() != before {
        crate::orders::invalidate_waiting_payments(o);
    }
}

fn running_and_open(o: &Order) -> Result<(), BusinessError> {
    if o.state != OrderState::Running {
        return Err(BusinessError::invalid(format!(
            "order {} is {:?}: a shipment is created on a running order",
            o.id, o.state
        )));
    }
    if matches!(
        o.payment_state,
        PaymentState::InProgress | PaymentState::Paid
    ) {
        return Err(BusinessError::invalid(format!(
            "order {} has a payment {:?}; it cannot change",
            o.id, o.payment_state
        )));
    }
    Ok(())
}

fn create_shipment(inst: &mut Institution, req: CreateShipmentRequest) -> MethodResult {
    let o = order_of(inst, req.order_id)?;
    if o.pos_id != inst.pos.pos_id {
        return Err(BusinessError::invalid(format!(
            "order {} belongs to point of sale {}, not to this operator's ({})",
            o.id, o.pos_id, inst.pos.pos_id
        )));
    }
    running_and_open(o)?;
    let purchaser_email = o
        .purchaser
        .as_deref()
        .and_then(|n| inst.contacts.get(n))
        .map(|c| c.individual().email)
        .filter(|e| !e.is_empty());
    let email = match req.email.as_deref().map(str::trim) {
        Some(e) if !is_valid_email(e) => {
            return Err(BusinessError::invalid(format!(
                "email: {e:?} is not an e-mail address"
            )))
        }
        Some(e) => Some(e.to_string()),
        None => purchaser_email,
    };
    let m = check_mode(
        inst,
        req.order_id,
        req.shipment_mode_id,
        req.contact_address_id,
    )?;
    // an address given to a mode that does not post anything is kept but not used
    let existing = inst
        .shipments
        .shipments
        .iter()
        .position(|s| s.order_id == req.order_id);
    let id = match existing {
        Some(i) => {
            let s = &mut inst.shipments.shipments[i];
            s.mode_id = req.shipment_mode_id;
            s.address_id = req.contact_address_id;
            s.original_address_id = s.original_address_id.or(req.contact_address_id);
            s.email = email;
            s.id
        }
        None => {
            inst.shipments.next_id += 1;
            let id = ShipmentId(inst.shipments.next_id);
            inst.shipments.shipments.push(Shipment {
                id,
                order_id: req.order_id,
                mode_id: req.shipment_mode_id,
                address_id: req.contact_address_id,
                original_address_id: req.contact_address_id,
                email,
            });
            id
        }
    };
    apply_fee(inst, req.order_id, m);
    result(inst, &[id])
}

fn get_shipments(inst: &Institution, req: GetShipmentsRequest) -> MethodResult {
    order_of(inst, req.order_id)?;
    let ids: Vec<ShipmentId> = inst
        .shipments
        .shipments
        .iter()
        .filter(|s| s.order_id == req.order_id)
        .map(|s| s.id)
        .collect();
    result(inst, &ids)
}

fn change_mode(inst: &mut Institution, req: ChangeShipmentModeRequest) -> MethodResult {
    if req.shipment_ids.is_empty() {
        return Err(BusinessError::invalid("shipmentIds is mandatory"));
    }
    // all or nothing: every shipment is checked before any changes
    let mut plan = Vec::new();
    for id in &req.shipment_ids {
        let s = inst
            .shipments
            .shipments
            .iter()
            .find(|s| s.id == *id)
            .ok_or_else(|| BusinessError::not_found(format!("shipment {id}")))?;
        if sent(inst, s).is_some() {
            return Err(BusinessError::new(
                envelope::ERROR_SHIPMENT_SENT,
                format!("shipment {id} was already sent"),
            ));
        }
        let o = order_of(inst, s.order_id)?;
        match o.state {
            OrderState::Abandonned => {
                return Err(BusinessError::invalid(format!(
                    "order {} is ABANDONNED",
                    o.id
                )))
            }
            OrderState::Running => running_and_open(o)?,
            OrderState::Closed => {}
        }
        let m = check_mode(inst, s.order_id, req.shipment_mode_id, s.address_id)?;
        plan.push((*id, s.order_id, o.state == OrderState::Running, m));
    }
    for (id, order_id, running, m) in plan {
        if let Some(s) = inst.shipments.shipments.iter_mut().find(|s| s.id == id) {
            s.mode_id = req.shipment_mode_id;
        }
        // a closed order keeps the fee it was sold with
        if running {
            apply_fee(inst, order_id, m);
        }
    }
    result(inst, &req.shipment_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_ids_differ_between_institutions() {
        let a = ShipmentBook::new(1);
        let b = ShipmentBook::new(2);
        let pah = &MODES[0];
        assert_ne!(a.mode_id(pah), b.mode_id(pah));
        assert!(a.mode(b.mode_id(pah)).is_none());
        assert_eq!(a.mode(a.mode_id(pah)).map(|m| m.code), Some("PAH"));
    }
}
