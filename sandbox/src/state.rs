//! The sandbox's state per institution: catalog, setup date, stock.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use s360::ids::*;
use s360::model::availability::{AvailabilityItem, AvailabilityLevel, DEFAULT_ALERT_RATIO_PERCENT};
use s360::model::catalog::{CatalogData, PosConfigData, Product};

use crate::seed::{InstitutionSeed, Operator, Venue};

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
