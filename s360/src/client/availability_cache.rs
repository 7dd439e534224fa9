//! The availability cache: items per product (per performance and seat category, per time slot,
//! or per product), filled in batches and kept fresh by `getUpdatedAvailabilities` at most once
//! a minute. Concurrent readers of a missing product share one upstream call (single-flight).
//! The order call stays the final authority: a stale level can never oversell.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use moka::future::Cache;

use super::{Client, Error};
use crate::ids::*;
use crate::model::availability::*;
use crate::model::catalog::Product;
use crate::model::order::{SeatsAvailabilityData, SeatsAvailabilityRequest};

pub type Items = Arc<Vec<AvailabilityItem>>;

/// How long a seat map stays cached: seats change fast during an on-sale, and the order call
/// re-checks every seat anyway.
pub const SEAT_MAP_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct AvailabilityCache {
    client: Client,
    pos: PosId,
    items: Cache<ProductId, Items>,
    seat_maps: Cache<PerformanceId, Arc<SeatsAvailabilityData>>,
    last_check: Arc<tokio::sync::Mutex<DateTime<FixedOffset>>>,
}

impl AvailabilityCache {
    /// `max_age` bounds staleness even if the incremental check misses something.
    pub fn new(client: Client, pos: PosId, max_age: Duration) -> Self {
        AvailabilityCache {
            client,
            pos,
            items: Cache::builder()
                .time_to_live(max_age)
                .max_capacity(100_000)
                .build(),
            seat_maps: Cache::builder()
                .time_to_live(SEAT_MAP_TTL)
                .max_capacity(1_000)
                .build(),
            last_check: Arc::new(tokio::sync::Mutex::new(Utc::now().fixed_offset())),
        }
    }

    /// The items of one product, from the cache or (once for all concurrent callers) S-360.
    pub async fn get(&self, product: &Product) -> Result<Items, Error> {
        if let Some(v) = self.items.get(&product.id).await {
            self.client.record_cache(true);
            return Ok(v);
        }
        self.client.record_cache(false);
        let me = self.clone();
        let p = product.clone();
        self.items
            .try_get_with(product.id, async move {
                me.fetch(&[&p])
                    .await
                    .map(|mut v| v.pop().map(|(_, i)| i).unwrap_or_default())
            })
            .await
            .map_err(|e: Arc<Error>| (*e).clone())
    }

    /// Seat-by-seat availability of a performance (the seat map), cached for [`SEAT_MAP_TTL`];
    /// concurrent readers of a missing map share one upstream call.
    pub async fn seat_map(
        &self,
        performance: PerformanceId,
    ) -> Result<Arc<SeatsAvailabilityData>, Error> {
        if let Some(v) = self.seat_maps.get(&performance).await {
            self.client.record_cache(true);
            return Ok(v);
        }
        self.client.record_cache(false);
        let client = self.client.clone();
        let pos = self.pos;
        self.seat_maps
            .try_get_with(performance, async move {
                client
                    .get_seats_availability(
                        pos,
                        &SeatsAvailabilityRequest {
                            point_of_sales_id: Some(pos),
                            performance_id: Some(performance),
                            seat_category_ids: vec![],
                            area_ids: vec![],
                        },
                    )
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e: Arc<Error>| (*e).clone())
    }

    /// Forgets the cached seat map of `performance` (this shop just changed who holds its
    /// seats): the next [`AvailabilityCache::seat_map`] asks S-360 again.
    pub async fn forget_seat_map(&self, performance: PerformanceId) {
        self.seat_maps.invalidate(&performance).await;
    }

    /// Forgets the cached items of `products` (this shop just held or released some of their
    /// places): the next [`AvailabilityCache::get`] asks S-360 again, so every page that counts
    /// places shows the change at once instead of after the next incremental check.
    pub async fn forget(&self, products: &[ProductId]) {
        for id in products {
            self.items.invalidate(id).await;
        }
    }

    /// Fetches `products` in as few calls as possible (one per family) and stores them.
    pub async fn load(&self, products: &[&Product]) -> Result<(), Error> {
        for (id, items) in self.fetch(products).await? {
            self.items.insert(id, items).await;
        }
        Ok(())
    }

    async fn fetch(&self, products: &[&Product]) -> Result<Vec<(ProductId, Items)>, Error> {
        let events: Vec<ProductId> = products
            .iter()
            .filter(|p| p.event.is_some())
            .map(|p| p.id)
            .collect();
        let others: Vec<ProductId> = products
            .iter()
            .filter(|p| p.event.is_none())
            .map(|p| p.id)
            .collect();
        let mut all = Vec::new();
        if !events.is_empty() {
            all.extend(
                self.client
                    .get_event_availability(&EventAvailabilityRequest {
                        point_of_sales_id: Some(self.pos),
                        event_ids: events,
                        seat_category_ids: vec![SeatCategoryId(-1)],
                        ..Default::default()
                    })
                    .await?,
            );
        }
        if !others.is_empty() {
            all.extend(
                self.client
                    .get_product_availability(&ProductAvailabilityRequest {
                        point_of_sales_id: Some(self.pos),
                        product_ids: others,
                        ..Default::default()
                    })
                    .await?,
            );
        }
        Ok(products
            .iter()
            .map(|p| {
                let mine: Vec<AvailabilityItem> = all
                    .iter()
                    .filter(|i| i.product_id == p.id)
                    .cloned()
                    .collect();
                (p.id, Arc::new(mine))
            })
            .collect())
    }

    /// One incremental check: asks which of `products` changed since the last check and
    /// refetches only those. Returns the ids refreshed.
    pub async fn refresh_changed(&self, products: &[&Product]) -> Result<Vec<ProductId>, Error> {
        if products.is_empty() {
            return Ok(vec![]);
        }
        let mut last = self.last_check.lock().await;
        // overlap a little: a change stamped just before our previous check is not missed
        let reference = *last - chrono::Duration::seconds(5);
        let now = Utc::now().fixed_offset();
        let updates = self
            .client
            .get_updated_availabilities(&UpdatedAvailabilitiesRequest {
                point_of_sales_id: Some(self.pos),
                product_ids: products.iter().map(|p| p.id).collect(),
                reference_date: Some(reference),
            })
            .await?;
        *last = now;
        drop(last);
        let changed: HashSet<ProductId> = updates.iter().map(|u| u.product_id).collect();
        let to_fetch: Vec<&Product> = products
            .iter()
            .copied()
            .filter(|p| changed.contains(&p.id))
            .collect();
        if !to_fetch.is_empty() {
            self.load(&to_fetch).await?;
        }
        Ok(to_fetch.iter().map(|p| p.id).collect())
    }

    /// Drops everything (after a catalog change, for instance).
    pub fn clear(&self) {
        self.items.invalidate_all();
    }
}
