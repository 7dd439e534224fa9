//! Identifiers. S-360 ids are `long` on the wire (real values have ~14 digits), so every id is a
//! newtype over `i64`; mixing a performance id with a product id is a compile error.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// A point of sale (`posId`, sent as `pointOfSalesId`).
    PosId,
    /// A sales channel.
    SalesChannelId,
    /// An organization inside an institution.
    OrganizationId,
    /// A season (`seasons[].id`).
    SeasonId,
    /// A product of any family.
    ProductId,
    /// A dated performance of an event product.
    PerformanceId,
    /// A seat category of a performance.
    SeatCategoryId,
    /// An audience category (FULL / REDUCED / FREE group of tariffs).
    AudienceCategoryId,
    /// An audience sub-category: the tariff a buyer picks.
    AudienceSubCategoryId,
    /// A price level.
    PriceLevelId,
    /// An item of a pass product.
    ItemId,
    /// A time slot of a visit pass.
    TimeslotId,
    /// A payment method of the point of sale.
    PaymentMethodId,
    /// A product family of the point of sale.
    ProductFamilyId,
    /// A VAT code.
    VatCodeId,
    /// A topic (grouping of products in a season).
    TopicId,
    /// A contingent (quota of seats).
    ContingentId,
    /// An area (block or standing zone) of a venue.
    AreaId,
    /// A seat.
    SeatId,
);
