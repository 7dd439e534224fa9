//! The sandbox's state per institution: catalog, setup date, stock, and the resellers' sales
//! channels.
//!
//! A channel (seed 000, see `seed.rs`) has its own point of sale and a selection of the
//! institution's catalog, and shares everything else (stock, orders, contacts, tickets). A call
//! of the channel's operator runs inside a [`ChannelScope`]: the channel's point of sale and
//! catalog are swapped into [`Institution::pos`] and [`Institution::catalog`] for the duration
//! of the call, so every method sees the channel's, and swapped back when the scope ends
//! (whatever the method answered, and on a panic too).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use s360::ids::*;
use s360::model::availability::{AvailabilityItem, AvailabilityLevel, DEFAULT_ALERT_RATIO_PERCENT};
use s360::model::catalog::{CatalogData, PosConfigData, Product};

use crate::seed::{ChannelSeed, InstitutionSeed, Operator, Venue};

/// What a unit of stock is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StockKey {
    /// A seat category of a performance.
    Performance(PerformanceId, SeatCategoryId),
    /// A time slot of a visit pass.
    Timeslot(TimeslotId),
    /// A quota-limited simple product.
    Product(ProductId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub capacity: u32,
    /// Sold or held by a running order.
    pub taken: u32,
}

impl Cell {
    pub fn remaining(&self) -> u32 {
        self.capacity.saturating_sub(self.taken)
    }
}

pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

#[derive(Debug)]
pub struct Institution {
    pub code: String,
    pub operators: Vec<Operator>,
    pub pos: PosConfigData,
    pub catalog: CatalogData,
    pub venues: Vec<Venue>,
    pub last_setup_update: DateTime<FixedOffset>,
    pub stock: HashMap<StockKey, Cell>,
    /// When the availability of each product last changed.
    pub product_updated: HashMap<ProductId, DateTime<FixedOffset>>,
    /// Owner product of each stock key, to stamp `product_updated`.
    pub stock_owner: HashMap<StockKey, ProductId>,
    /// Contacts (buyers) of the institution.
    pub contacts: crate::contacts::ContactStore,
    /// Pending authorization codes of the buyers' OIDC identity provider.
    pub oidc: crate::oidc::IdpState,
    /// Every ticket issued (production, access control).
    pub tickets: crate::tickets::TicketStore,
    /// Orders, and the seats and standing places they hold.
    pub orders: crate::orders::OrderBook,
    /// Shipments of the orders (`shipmentPublicService`).
    pub shipments: crate::shipment::ShipmentBook,
    /// Whether the access-control lists carry the holders' data (`holderData`, §11).
    pub access_control_holder_data: bool,
    /// The resellers' dedicated sales channels.
    pub channels: Vec<Channel>,
    /// The channel whose point of sale and catalog are swapped in (inside a
    /// [`ChannelScope`]); `None` outside one and for the web operators.
    pub active_channel: Option<usize>,
    /// The orders closed with a PENDING_ACCOUNT payment (what resellers owe).
    pub pending_accounts: Vec<crate::pending::PendingEntry>,
}

/// A reseller's sales channel at an institution (seed 000, OUR DESIGN).
///
/// While its scope is active ([`Institution::active_channel`]), `pos` and `catalog` hold the
/// institution's own (web) point of sale and full catalog: they were swapped.
#[derive(Debug)]
pub struct Channel {
    /// The channel's virtual operator (`CUBE_RESELL`).
    pub operator: String,
    /// What the back office calls it.
    pub name: String,
    pub pos: PosConfigData,
    /// The products on sale on the channel.
    pub selection: Vec<ProductId>,
    /// The institution's catalog reduced to `selection`.
    pub catalog: CatalogData,
    /// The `last_setup_update` `catalog` was derived at (it is derived again after a setup
    /// change).
    synced: DateTime<FixedOffset>,
}

impl Channel {
    fn from_seed(seed: ChannelSeed, catalog: &CatalogData, at: DateTime<FixedOffset>) -> Self {
        Channel {
            catalog: crate::seed::selected(catalog, &seed.selection),
            operator: seed.operator,
            name: seed.name,
            pos: seed.pos,
            selection: seed.selection,
            synced: at,
        }
    }
}

/// The calls of a channel's operator: the channel's point of sale and catalog are the
/// institution's for as long as the scope lives (see the module doc). Dereferences to the
/// institution.
pub struct ChannelScope<'a> {
    inst: &'a mut Institution,
    channel: Option<usize>,
}

impl<'a> ChannelScope<'a> {
    /// Enters the channel of `operator`, if it is a channel's operator (otherwise the scope
    /// changes nothing).
    pub fn enter(inst: &'a mut Institution, operator: &str) -> Self {
        let channel = if inst.active_channel.is_none() {
            inst.channel_of(operator)
        } else {
            None
        };
        if let Some(i) = channel {
            inst.sync_channel(i);
            inst.swap_channel(i);
            inst.active_channel = Some(i);
        }
        ChannelScope { inst, channel }
    }
}

impl std::ops::Deref for ChannelScope<'_> {
    type Target = Institution;
    fn deref(&self) -> &Institution {
        self.inst
    }
}

impl std::ops::DerefMut for ChannelScope<'_> {
    fn deref_mut(&mut self) -> &mut Institution {
        self.inst
    }
}

impl Drop for ChannelScope<'_> {
    fn drop(&mut self) {
        if let Some(i) = self.channel {
            self.inst.swap_channel(i);
            self.inst.active_channel = None;
        }
    }
}

impl Institution {
    pub fn from_seed(seed: InstitutionSeed) -> Self {
        let started = now();
        let order_base = seed.pos.pos_id.0;
        let contacts = crate::contacts::ContactStore::seeded(&seed.code);
        let ticket_space = seed.code.bytes().map(u64::from).sum::<u64>() % 89;
        let mut stock = HashMap::new();
        let mut owner = HashMap::new();
        for product in seed.catalog.products() {
            if let Some(event) = &product.event {
                for perf in &event.performances {
                    let venue = seed
                        .venues
                        .iter()
                        .find(|v| Some(v.config.space_id) == perf.space_id);
                    for cat in &perf.seat_categories {
                        let capacity = venue.map_or(0, |v| {
                            let seats = v
                                .seats
                                .iter()
                                .filter(|s| s.seat_category_code == cat.code)
                                .count() as u32;
                            let standing: u32 = v
                                .standing
                                .iter()
                                .filter(|s| s.seat_category_code == cat.code)
                                .map(|s| s.capacity)
                                .sum();
                            seats + standing
                        });
                        let key = StockKey::Performance(perf.id, cat.id);
                        stock.insert(key, Cell { capacity, taken: 0 });
                        owner.insert(key, product.id);
                    }
                }
            }
            if let Some(pass) = &product.pass {
                for slot in &pass.timeslots {
                    let key = StockKey::Timeslot(slot.id);
                    stock.insert(
                        key,
                        Cell {
                            capacity: slot.quota,
                            taken: 0,
                        },
                    );
                    owner.insert(key, product.id);
                }
            }
        }
        for (pid, quota) in &seed.item_quotas {
            let key = StockKey::Product(*pid);
            stock.insert(
                key,
                Cell {
                    capacity: *quota,
                    taken: 0,
                },
            );
            owner.insert(key, *pid);
        }
        let product_updated = seed.catalog.products().map(|p| (p.id, started)).collect();
        let channels = seed
            .channels
            .into_iter()
            .map(|c| Channel::from_seed(c, &seed.catalog, started))
            .collect();
        Institution {
            code: seed.code,
            operators: seed.operators,
            pos: seed.pos,
            catalog: seed.catalog,
            venues: seed.venues,
            last_setup_update: started,
            stock,
            product_updated,
            stock_owner: owner,
            contacts,
            oidc: crate::oidc::IdpState::default(),
            tickets: crate::tickets::TicketStore::new(ticket_space),
            orders: crate::orders::OrderBook::new(order_base),
            shipments: crate::shipment::ShipmentBook::new(ticket_space),
            access_control_holder_data: seed.access_control_holder_data,
            channels,
            active_channel: None,
            pending_accounts: Vec::new(),
        }
    }

    /// The index of the channel whose operator is `operator`.
    pub fn channel_of(&self, operator: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.operator == operator)
    }

    /// Derives the channel's catalog again when the setup changed since it was derived (only
    /// outside a scope: the institution's catalog must be in place).
    fn sync_channel(&mut self, i: usize) {
        if self.active_channel.is_some() {
            return;
        }
        let at = self.last_setup_update;
        if let Some(c) = self.channels.get_mut(i) {
            if c.synced != at {
                c.catalog = crate::seed::selected(&self.catalog, &c.selection);
                c.synced = at;
            }
        }
    }

    fn swap_channel(&mut self, i: usize) {
        if let Some(c) = self.channels.get_mut(i) {
            std::mem::swap(&mut self.pos, &mut c.pos);
            std::mem::swap(&mut self.catalog, &mut c.catalog);
        }
    }

    /// The institution's whole catalog, whichever point of sale is calling: for what the
    /// selection does not restrict (the performances of a season ticket, the data printed on
    /// a ticket, the dates of an order already made).
    pub fn setup_catalog(&self) -> &CatalogData {
        match self.active_channel.and_then(|i| self.channels.get(i)) {
            Some(c) => &c.catalog,
            None => &self.catalog,
        }
    }

    /// A product of the institution's whole catalog ([`Institution::setup_catalog`]).
    pub fn setup_product(&self, id: ProductId) -> Option<&Product> {
        self.setup_catalog().products().find(|p| p.id == id)
    }

    /// The operator's channel, when the calling operator is a channel's.
    pub fn active(&self) -> Option<&Channel> {
        self.active_channel.and_then(|i| self.channels.get(i))
    }

    /// Which catalog a `getCatalogDetailed` builds (its cache and its rate limit): the
    /// institution's code for the web point of sale, `{code}/{operator}` for a channel.
    pub fn catalog_key(&self) -> String {
        match self.active() {
            Some(c) => catalog_key(&self.code, Some(&c.operator)),
            None => catalog_key(&self.code, None),
        }
    }

    pub fn product(&self, id: ProductId) -> Option<&Product> {
        self.catalog.products().find(|p| p.id == id)
    }

    /// Builds the availability item of one stock cell.
    pub fn item(&self, key: StockKey, product: &Product) -> Option<AvailabilityItem> {
        let cell = self.stock.get(&key)?;
        let (performance_id, seat_category_id, timeslot_id) = match key {
            StockKey::Performance(p, c) => (Some(p), Some(c), None),
            StockKey::Timeslot(t) => (None, None, Some(t)),
            StockKey::Product(_) => (None, None, None),
        };
        Some(level_item(
            product,
            performance_id,
            seat_category_id,
            timeslot_id,
            cell.remaining(),
            cell.capacity,
        ))
    }

    /// Sums cells into one item (the "one total over all categories" answer).
    pub fn total_item(
        &self,
        product: &Product,
        performance_id: Option<PerformanceId>,
        keys: &[StockKey],
    ) -> AvailabilityItem {
        let (remaining, capacity) = keys
            .iter()
            .filter_map(|k| self.stock.get(k))
            .fold((0, 0), |(r, c), cell| {
                (r + cell.remaining(), c + cell.capacity)
            });
        level_item(product, performance_id, None, None, remaining, capacity)
    }

    /// Records a stock change for `get*Availability` and `getUpdatedAvailabilities`.
    pub fn touch(&mut self, key: StockKey) {
        if let Some(pid) = self.stock_owner.get(&key) {
            self.product_updated.insert(*pid, now());
        }
    }

    /// Marks the setup as changed (the next `getLastSetupUpdate` tells clients to refetch).
    pub fn bump_setup(&mut self) {
        let t = now();
        // strictly increasing, even when two changes land in the same millisecond
        self.last_setup_update = if t > self.last_setup_update {
            t
        } else {
            self.last_setup_update + chrono::Duration::milliseconds(1)
        };
    }
}

/// See [`Institution::catalog_key`].
pub fn catalog_key(institution: &str, channel_operator: Option<&str>) -> String {
    match channel_operator {
        Some(op) => format!("{institution}/{op}"),
        None => institution.to_string(),
    }
}

fn level_item(
    product: &Product,
    performance_id: Option<PerformanceId>,
    seat_category_id: Option<SeatCategoryId>,
    timeslot_id: Option<TimeslotId>,
    remaining: u32,
    capacity: u32,
) -> AvailabilityItem {
    let level = AvailabilityLevel::compute(
        remaining,
        capacity,
        product.state.on_sale(),
        DEFAULT_ALERT_RATIO_PERCENT,
    );
    AvailabilityItem {
        performance_id,
        product_id: product.id,
        timeslot_id,
        seat_category_id,
        contingent_id: None,
        availability: remaining,
        capacity,
        quota: None,
        availability_level: level,
        availability_color: level.color(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(c: &CatalogData) -> Vec<String> {
        c.products().map(|p| p.code.clone()).collect()
    }

    #[test]
    fn a_channel_scope_swaps_in_and_always_back() {
        let mut inst = Institution::from_seed(crate::seed::cube());
        let web = inst.pos.clone();
        let full = codes(&inst.catalog);
        {
            let scope = ChannelScope::enter(&mut inst, "CUBE_RESELL");
            assert_eq!(scope.pos.pos_code, "CUBE_RESELL");
            assert_eq!(codes(&scope.catalog), ["NUTCRACKER", "TRAVIATA"]);
            assert_eq!(codes(scope.setup_catalog()), full);
            assert_eq!(scope.catalog_key(), "CUBE/CUBE_RESELL");
        }
        assert_eq!(inst.pos, web);
        assert_eq!(codes(&inst.catalog), full);
        assert_eq!(inst.active_channel, None);
        {
            let scope = ChannelScope::enter(&mut inst, "CUBE_WEB");
            assert_eq!(scope.pos, web);
            assert_eq!(scope.catalog_key(), "CUBE");
        }
        // a method that panics inside the scope leaves the institution as it was
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _scope = ChannelScope::enter(&mut inst, "CUBE_RESELL");
            panic!("a bug in a method");
        }));
        assert!(r.is_err());
        assert_eq!(inst.pos, web);
        assert_eq!(codes(&inst.catalog), full);
        assert_eq!(inst.active_channel, None);
    }

    #[test]
    fn the_selection_follows_setup_changes() {
        let mut inst = Institution::from_seed(crate::seed::cube());
        let _ = ChannelScope::enter(&mut inst, "CUBE_RESELL");
        for p in inst.catalog.seasons[0].products.iter_mut() {
            if p.code == "TRAVIATA" {
                p.state = s360::model::catalog::EntityState::Suspended;
            }
        }
        inst.bump_setup();
        let scope = ChannelScope::enter(&mut inst, "CUBE_RESELL");
        let traviata = scope.catalog.products().find(|p| p.code == "TRAVIATA");
        assert_eq!(
            traviata.map(|p| p.state),
            Some(s360::model::catalog::EntityState::Suspended)
        );
    }
}
