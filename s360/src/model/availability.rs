//! Availability service (`availabilityService`). The item shape and the levels are OUR DESIGN
//! (s360-contract.md §4): one item per performance / seat category / time slot / product.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::ids::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AvailabilityLevel {
    Unknown,
    NotVisible,
    SoldOut,
    OutsideSalePeriod,
    Good,
    Optionable,
    Limited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AvailabilityColor {
    Green,
    Orange,
    Red,
    Grey,
}

/// Default share of the capacity under which a level turns LIMITED.
pub const DEFAULT_ALERT_RATIO_PERCENT: u32 = 10;

impl AvailabilityLevel {
    /// The level for `remaining` units out of `capacity`, with the alert threshold in percent.
    pub fn compute(remaining: u32, capacity: u32, on_sale: bool, alert_ratio_percent: u32) -> Self {
        if !on_sale {
            AvailabilityLevel::OutsideSalePeriod
        } else if remaining == 0 {
            AvailabilityLevel::SoldOut
        } else if (remaining as u64) * 100 <= (capacity as u64) * alert_ratio_percent as u64 {
            AvailabilityLevel::Limited
        } else {
            AvailabilityLevel::Good
        }
    }

    pub fn color(self) -> AvailabilityColor {
        match self {
            AvailabilityLevel::Good => AvailabilityColor::Green,
            AvailabilityLevel::Limited | AvailabilityLevel::Optionable => AvailabilityColor::Orange,
            AvailabilityLevel::SoldOut => AvailabilityColor::Red,
            _ => AvailabilityColor::Grey,
        }
    }

    /// Whether a buyer can still add it to a cart.
    pub fn buyable(self) -> bool {
        matches!(
            self,
            AvailabilityLevel::Good | AvailabilityLevel::Limited | AvailabilityLevel::Optionable
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityItem {
    #[serde(default)]
    pub performance_id: Option<PerformanceId>,
    pub product_id: ProductId,
    #[serde(default)]
    pub timeslot_id: Option<TimeslotId>,
    #[serde(default)]
    pub seat_category_id: Option<SeatCategoryId>,
    #[serde(default)]
    pub contingent_id: Option<ContingentId>,
    /// Remaining sellable units.
    pub availability: u32,
    /// Total capacity the level is computed from (OUR DESIGN).
    #[serde(default)]
    pub capacity: u32,
    #[serde(default)]
    pub quota: Option<u32>,
    pub availability_level: AvailabilityLevel,
    pub availability_color: AvailabilityColor,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAvailabilityRequest {
    pub point_of_sales_id: Option<PosId>,
    #[serde(default)]
    pub event_ids: Vec<ProductId>,
    #[serde(default)]
    pub performance_ids: Vec<PerformanceId>,
    /// Empty: one total over all categories; `[-1]`: each category separately; else only those.
    #[serde(default)]
    pub seat_category_ids: Vec<SeatCategoryId>,
    #[serde(default)]
    pub contingent_ids: Vec<ContingentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composed_product_id: Option<ProductId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAvailabilityResult {
    #[serde(default)]
    pub event_availability_data: Option<EventAvailabilityData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAvailabilityData {
    #[serde(default)]
    pub event_availabilities: Vec<AvailabilityItem>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceAvailabilityResult {
    #[serde(default)]
    pub performance_availability_data: Option<PerformanceAvailabilityData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceAvailabilityData {
    #[serde(default)]
    pub performance_availabilities: Vec<AvailabilityItem>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAvailabilityRequest {
    pub point_of_sales_id: Option<PosId>,
    #[serde(default)]
    pub product_ids: Vec<ProductId>,
    #[serde(default)]
    pub timeslot_ids: Vec<TimeslotId>,
    /// `YYYY-MM-DD`: only the time slots of that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composed_product_id: Option<ProductId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAvailabilityResult {
    #[serde(default)]
    pub product_availability_data: Option<ProductAvailabilityData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductAvailabilityData {
    #[serde(default)]
    pub product_availabilities: Vec<AvailabilityItem>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedAvailabilitiesRequest {
    pub point_of_sales_id: Option<PosId>,
    pub product_ids: Vec<ProductId>,
    pub reference_date: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedAvailabilitiesResult {
    #[serde(default)]
    pub availability_update_data: Vec<AvailabilityUpdate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityUpdate {
    pub product_id: ProductId,
    pub last_update: DateTime<FixedOffset>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        use AvailabilityLevel::*;
        assert_eq!(AvailabilityLevel::compute(0, 100, true, 10), SoldOut);
        assert_eq!(AvailabilityLevel::compute(10, 100, true, 10), Limited);
        assert_eq!(AvailabilityLevel::compute(11, 100, true, 10), Good);
        assert_eq!(
            AvailabilityLevel::compute(50, 100, false, 10),
            OutsideSalePeriod
        );
        assert_eq!(Limited.color(), AvailabilityColor::Orange);
        assert!(!SoldOut.buyable());
    }
}

// ---------------------------------------------------------------------------------------------
// getAvailableThemeAndLanguage (visit passes: guided-tour themes and languages per time slot)

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThemeAndLanguageRequest {
    pub pass_id: ProductId,
    #[serde(default)]
    pub timeslot_ids: Vec<TimeslotId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThemeAndLanguage {
    pub language_code: String,
    pub theme_id: i64,
    pub timeslot_id: TimeslotId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThemeAndLanguageResult {
    #[serde(default)]
    pub list_theme_and_language: Vec<ThemeAndLanguage>,
}
