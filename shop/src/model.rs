//! What pages receive from server functions: display-ready, serialisable, no S-360 internals
//! beyond ids.

use serde::{Deserialize, Serialize};

/// The institution whose shop is being shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub code: String,
    pub name: String,
    pub locality: String,
    pub currency: String,
    pub branding: Branding,
    /// `scheme://host[:port]` buyers reach this shop under (canonical URLs, JSON-LD).
    pub origin: String,
    /// Languages this shop is offered in (the switcher's choices).
    pub languages: Vec<crate::lang::Lang>,
}

/// How an institution's shop looks: set per institution in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// Header background and buttons (CSS colour).
    pub brand_color: String,
    /// Text on the brand colour; must contrast with it (WCAG AA).
    pub on_brand_color: String,
    /// Links and highlights.
    pub accent_color: String,
    /// Logo shown in the header (URL or site path), with the institution's name as its text.
    pub logo: Option<String>,
    /// Links in the footer (the institution's site, terms, privacy, contact).
    pub footer_links: Vec<FooterLink>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            brand_color: "#1d4f91".into(),
            on_brand_color: "#ffffff".into(),
            accent_color: "#1d4f91".into(),
            logo: None,
            footer_links: vec![],
        }
    }
}

/// A footer link: `label` in every language, or per language in `labels` (TOML
/// `{ label = "Terms of sale", labels = { fr = "Conditions de vente", de = "AGB" }, href }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FooterLink {
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "labels_map")]
    pub labels: Vec<(String, String)>,
    pub href: String,
}

impl FooterLink {
    /// The label in `lang` (`fr`), else `label`.
    pub fn label_in(&self, lang: &str) -> &str {
        self.labels
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(lang))
            .map_or(self.label.as_str(), |(_, v)| v.as_str())
    }
}

/// `labels` as a table of language -> text (`{ fr = "...", de = "..." }`).
mod labels_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(v: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<BTreeMap<_, _>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        Ok(BTreeMap::<String, String>::deserialize(d)?
            .into_iter()
            .collect())
    }
}

/// One product on the programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: i64,
    pub name: String,
    /// The buyer-facing family ("Performance", "Visit pass", ...).
    pub family: String,
    /// "from CHF 12.00", already formatted for the locale.
    pub price_from: Option<String>,
    /// First and last date, formatted; empty for undated products.
    pub dates: String,
    /// `GOOD`, `LIMITED`, `SOLD_OUT`, ... and the words for it.
    pub availability: String,
    pub availability_text: String,
    /// The product's page, where it can be bought.
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Programme {
    pub shop: ShopInfo,
    /// The products of this page that match the query.
    pub products: Vec<ProductCard>,
    /// Products on sale in all (the summary line), and how many match the query.
    pub on_sale: usize,
    pub matching: usize,
    /// 1-based page number and number of pages of matching products.
    pub page: u32,
    pub pages: u32,
    /// The query as understood (invalid parts dropped), to fill the filter form and build links.
    pub query: ProgrammeQuery,
    /// What the buyer can filter by: topics and families present on sale, `(value, label)`.
    pub topics: Vec<(String, String)>,
    pub families: Vec<(String, String)>,
    /// Problems with the query, in words (e.g. an impossible date).
    pub notices: Vec<String>,
    /// The month view, when asked for (`view=calendar`).
    pub calendar: Option<MonthCalendar>,
    /// Seconds since the catalog was fetched from S-360.
    pub catalog_age_secs: i64,
}

/// What the buyer asked of the programme, from the URL: each filter is shareable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProgrammeQuery {
    /// Words in the product's name or description.
    pub q: String,
    /// A topic id, or empty for all.
    pub topic: String,
    /// `event`, `timed`, `pass`, `season`, `extra`, or empty for all.
    pub family: String,
    /// `YYYY-MM-DD` bounds, inclusive; empty for open.
    pub from: String,
    pub to: String,
    /// `calendar` for the month view; anything else is the list.
    pub view: String,
    /// `YYYY-MM` shown by the month view; empty: the first month with something on.
    pub month: String,
    /// 1-based; 0 or absent means the first.
    pub page: u32,
}

impl ProgrammeQuery {
    /// The query string for this query (only the parts that are set), starting with `?`, or
    /// empty.
    pub fn to_query_string(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut push = |k: &str, v: &str| {
            if !v.is_empty() {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        };
        push("q", &self.q);
        push("topic", &self.topic);
        push("family", &self.family);
        push("from", &self.from);
        push("to", &self.to);
        push("view", &self.view);
        push("month", &self.month);
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters are kept).
pub fn url_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A month of the programme, Monday first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthCalendar {
    /// `YYYY-MM` and "December 2026" in the page's language.
    pub month: String,
    pub title: String,
    /// Links (query strings) to the previous and next months that have something on.
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
    /// Short weekday names, Monday first, and their full names (table header abbreviations).
    pub weekdays: Vec<(String, String)>,
    /// Weeks of seven days; `None` for days outside the month.
    pub weeks: Vec<Vec<Option<CalendarDay>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub day: u32,
    /// "Friday 12 December 2026" (the day's accessible name).
    pub label: String,
    pub entries: Vec<CalendarEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub name: String,
    /// "19:30", or "16 time slots" for a visit pass.
    pub time: String,
    pub href: String,
    pub availability: String,
    pub availability_text: String,
}

/// A line of the availability / price summary of a performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceRow {
    pub id: i64,
    /// "Friday 12 December 2026, 19:00" in the institution's time zone.
    pub when: String,
    pub price_range: Option<String>,
    pub availability: String,
    pub availability_text: String,
    pub buyable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub shop: ShopInfo,
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub performances: Vec<PerformanceRow>,
    /// The page's own address without language (for `<link rel="canonical">`).
    pub canonical: String,
    /// schema.org `Event` items of the performances on sale, as JSON-LD (rendered on the
    /// server for search engines).
    pub json_ld: String,
    /// "Main hall, Cube Theatre, Annemasse": where it takes place.
    #[serde(default)]
    pub venue: Option<String>,
    /// The catalog's picture of the event, when it has one.
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TariffPrice {
    pub tariff_id: i64,
    pub tariff: String,
    pub price: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatCategoryRow {
    pub id: i64,
    pub name: String,
    pub availability: String,
    pub availability_text: String,
    pub remaining: u32,
    pub buyable: bool,
    pub prices: Vec<TariffPrice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceView {
    pub shop: ShopInfo,
    pub product_id: i64,
    pub product_name: String,
    pub performance_id: i64,
    pub when: String,
    pub categories: Vec<SeatCategoryRow>,
    pub max_quantity: u32,
    /// The performance takes place in a venue with a seat map (the page offers it).
    pub seated: bool,
    /// The seat map, when the buyer opened it (`?map=1`, or `?block=` in a large venue).
    pub seat_map: Option<SeatMapView>,
    /// The page's own address without language (for `<link rel="canonical">`).
    pub canonical: String,
    /// The performance as a schema.org `Event`, JSON-LD (rendered on the server).
    pub json_ld: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLine {
    pub product: String,
    pub when: Option<String>,
    pub seat_category: Option<String>,
    pub tariff: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total: String,
    /// "Block STALLS, row 3, seats 9–12"
    pub seats: Vec<String>,
    pub movement_ids: Vec<i64>,
    /// More to say: the guided tour of a time slot, a pass's validity, what a season ticket
    /// includes.
    #[serde(default)]
    pub details: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartView {
    pub shop: ShopInfo,
    pub order_id: Option<i64>,
    pub lines: Vec<CartLine>,
    pub fees: Vec<(String, String)>,
    pub total: String,
    /// Milliseconds the hold had left when the server answered (S-360's expiry minus the
    /// server's clock): the browser counts down from it on its own clock, whatever time its
    /// clock says.
    pub hold_left_ms: Option<i64>,
    /// The previous cart expired and was released.
    pub expired: bool,
    pub paying: bool,
    /// The expired cart can be asked for again (the same tickets, where still free).
    #[serde(default)]
    pub can_reopen: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRow {
    pub ticket_id: i64,
    pub product: String,
    pub when: Option<String>,
    pub place: String,
    pub tariff: String,
    pub barcode: String,
    /// The ticket holder, for nominative tickets.
    #[serde(default)]
    pub holder: Option<String>,
    /// The ticket's price, formatted.
    #[serde(default)]
    pub price: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub shop: ShopInfo,
    pub order_id: i64,
    /// RUNNING, CLOSED, ABANDONNED... and the words for it.
    pub state: String,
    pub state_text: String,
    pub payment_state: String,
    pub lines: Vec<CartLine>,
    pub total: String,
    pub tickets: Vec<TicketRow>,
    /// Secret link part that lets the buyer download the tickets.
    pub access: String,
    /// The card was refused or the payment cancelled while the seats are still held: the
    /// buyer can pay again (`/pay`).
    #[serde(default)]
    pub can_retry: bool,
    /// At least one item has a date: the page offers the calendar file.
    #[serde(default)]
    pub has_dates: bool,
    /// A buyer is logged in: the page links to their order history.
    #[serde(default)]
    pub logged_in: bool,
}

/// The logged-in buyer, as kept in the session after an OpenID Connect login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    /// S-360 `contactNumber` (the ID token's `sub` with S-360 as identity provider).
    pub contact_number: String,
    pub name: String,
    pub email: String,
    /// For RP-initiated logout.
    pub id_token: String,
}

/// What pages show of the logged-in buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// The buyer's account (profile page)

/// A postal address as the profile form edits it (all empty: no such address).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressFields {
    pub line1: String,
    pub line2: String,
    pub zip_code: String,
    pub town: String,
    /// ISO-3166 alpha-2 (`CH`).
    pub country_code: String,
}

impl AddressFields {
    pub fn is_empty(&self) -> bool {
        [
            &self.line1,
            &self.line2,
            &self.zip_code,
            &self.town,
            &self.country_code,
        ]
        .iter()
        .all(|f| f.trim().is_empty())
    }
}

/// The profile form, as posted (`profile[first_name]`, `profile[main][town]`, ...) and as
/// shown. Checkboxes are present (`"on"`) when ticked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub main: AddressFields,
    /// Ship to the main address.
    pub shipment_same: Option<String>,
    pub shipment: AddressFields,
    /// Bill to the main address.
    pub billing_same: Option<String>,
    pub billing: AddressFields,
    /// Opt-ins (S-360 criteria `NEWSLETTER`, `PARTNER_OFFERS`).
    pub newsletter: Option<String>,
    pub partner_offers: Option<String>,
}

/// What the account page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub shop: ShopInfo,
    pub contact_number: String,
    pub profile: ProfileForm,
    /// Who the buyer logs in with: `None` for S-360's own login, else the provider's host.
    pub identity_provider: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Product pages (passes, services, season tickets)

/// The add-to-cart form of a product page, as posted (`form[quantities][t123]=2`, ...). Every
/// field is text: the server validates it and answers in words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub product_id: i64,
    /// `YYYY-MM-DD` (visit passes).
    pub date: String,
    pub timeslot_id: String,
    /// The guided-tour language the buyer asked for (visit passes), or empty.
    pub tour: String,
    /// Season tickets: the seat category.
    pub seat_category_id: String,
    /// Quantity per offer key ([`TariffOffer::key`]).
    pub quantities: std::collections::BTreeMap<String, String>,
}

/// A price a buyer can pick a quantity of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TariffOffer {
    /// The form key of its quantity (`t123` or `i45-t123`).
    pub key: String,
    pub tariff: String,
    pub price: String,
    /// "Only with an Adult ticket in the same order".
    pub note: Option<String>,
    /// Most of this tariff in one go.
    pub max: u32,
}

/// What a product page shows. `kind` is `visit` (date and time slot), `open` (tariffs and
/// quantities) or `season` (the package and a seat category).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    pub shop: ShopInfo,
    pub product_id: i64,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub family: String,
    pub availability: String,
    pub availability_text: String,
    /// "Valid 365 days from purchase."
    pub validity: Option<String>,
    pub offers: Vec<TariffOffer>,
    /// Most units in one go (the point of sale's limit).
    pub max_quantity: u32,
    pub calendar: Option<VisitCalendar>,
    pub day: Option<VisitDay>,
    pub season: Option<SeasonPackage>,
    pub canonical: String,
    /// schema.org `Product` with its offers, as JSON-LD.
    pub json_ld: String,
}

/// A month of a visit pass, Monday first, with the availability of each day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitCalendar {
    /// "December 2026".
    pub title: String,
    /// Page links (query strings) to the previous / next month with visits, and their names.
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
    /// Short and full weekday names, Monday first.
    pub weekdays: Vec<(String, String)>,
    /// Weeks of seven days; `None` outside the month.
    pub weeks: Vec<Vec<Option<VisitCalendarDay>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitCalendarDay {
    pub day: u32,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// "Friday 12 December 2026".
    pub label: String,
    pub availability: String,
    /// "Available", "Sold out", "Closed", "Past"...
    pub availability_text: String,
    /// The day's link when it can be chosen.
    pub href: Option<String>,
    pub selected: bool,
}

/// The chosen day of a visit pass: its time slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitDay {
    /// `YYYY-MM-DD` and "Friday 12 December 2026".
    pub date: String,
    pub label: String,
    pub slots: Vec<VisitSlot>,
    /// Guided-tour languages offered this day: (code, name in the page's language).
    pub tour_languages: Vec<(String, String)>,
    /// The tour language the buyer filters by (empty: every slot).
    pub tour: String,
    /// Why nothing can be booked this day, in words.
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitSlot {
    pub id: i64,
    /// "10:00–10:30".
    pub time: String,
    pub remaining: u32,
    pub availability: String,
    /// "12 places left", "Sold out", "Over".
    pub availability_text: String,
    pub buyable: bool,
    /// "Guided tour in English".
    pub tours: Vec<String>,
}

/// A season ticket: what it includes and its seat categories with prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeasonPackage {
    pub includes: Vec<IncludedPerformance>,
    pub categories: Vec<SeatCategoryRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncludedPerformance {
    pub name: String,
    pub when: String,
    pub href: String,
}

// ---------------------------------------------------------------------------------------------
// The buyer's orders (order history)

/// One order in the logged-in buyer's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order_id: i64,
    /// When the order was made, formatted ("12 Dec 2026").
    pub date: String,
    /// Machine-readable date (`2026-12-12`) for `<time datetime>`.
    pub date_iso: String,
    /// `running`, `paid`, `released`, `cancelled`, `other`, and the words for it.
    pub state: String,
    pub state_text: String,
    pub total: String,
    /// "Hamlet · Friday 12 December 2026, 19:00 · 2 tickets"
    pub items: Vec<String>,
}

/// The logged-in buyer's orders, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub shop: ShopInfo,
    pub orders: Vec<OrderSummary>,
    /// More orders exist than are listed.
    pub truncated: bool,
}

// ---------------------------------------------------------------------------------------------
// The seat map of a performance

/// A seated performance's map, drawn as SVG on the server: seats from `getSeatsAvailability`
/// (positions in the venue's own units), standing areas as blocks with what is left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatMapView {
    /// `min-x min-y width height` of the seats drawn.
    pub view_box: String,
    /// The seat categories, in the performance's order (a seat's `category` indexes this).
    pub legend: Vec<SeatLegend>,
    /// The seats drawn: every seat, or in a large venue those of the chosen block.
    pub seats: Vec<MapSeat>,
    /// Large venues are chosen block by block: the blocks, drawn as a plan of links. Empty when
    /// every seat is drawn at once.
    pub blocks: Vec<MapBlock>,
    /// The block whose seats are drawn, in a large venue.
    pub block: Option<String>,
    /// Non-numbered areas: a quantity is asked, S-360 places the buyers.
    pub standing: Vec<StandingBlock>,
    /// Free seats among those drawn.
    pub free: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatLegend {
    pub category_id: i64,
    pub name: String,
    /// "Adult: EUR 95.00 · Student / senior: EUR 71.25 ..."
    pub prices: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSeat {
    pub id: i64,
    pub x: i32,
    pub y: i32,
    /// The block's buyer-facing name ("Stalls", "Block 3").
    pub block: String,
    pub row: String,
    pub number: String,
    /// Index in [`SeatMapView::legend`].
    pub category: usize,
    pub free: bool,
    /// "Stalls, row 3, seat 12, Stalls, front, EUR 95.00" (", taken" when not free).
    pub label: String,
}

/// One block of a large venue's plan, placed in percent of the plan's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapBlock {
    pub code: String,
    pub name: String,
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    pub free: u32,
    pub category: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandingBlock {
    pub category_id: i64,
    pub name: String,
    pub remaining: u32,
    pub capacity: u32,
}

/// The checkout page: the cart, how the tickets can be delivered, and the ticket holders to
/// name where the product is nominative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub cart: CartView,
    /// The shipment modes S-360 offers for this order (empty: nothing to choose).
    pub modes: Vec<ShipmentChoice>,
    /// The logged-in buyer's shipping address, to post tickets to (empty for a guest).
    pub address: AddressFields,
    pub holders: Vec<HolderField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentChoice {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// "+ €5.00" or "free", in the buyer's language.
    pub fee: String,
    pub address_required: bool,
}

/// A ticket that needs its holder's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HolderField {
    pub movement_id: i64,
    /// "Season ticket 2026/27, ticket 1 (row C, seat 12)".
    pub label: String,
    pub first_name: String,
    pub last_name: String,
}

/// One ticket holder as the checkout form sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HolderInput {
    pub movement_id: i64,
    pub first_name: String,
    pub last_name: String,
}
