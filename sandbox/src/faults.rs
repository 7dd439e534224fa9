//! Faults on demand, set through the admin endpoint.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Faults {
    /// Added to every backend call, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Share of calls (0-100) per service REST name that fail with HTTP 500.
    #[serde(default)]
    pub error_rate: HashMap<String, u8>,
    /// Every call is answered with the rate-limit status, whatever the bucket says.
    #[serde(default)]
    pub rate_limit_storm: bool,
    /// S-360 is down: every backend call gets HTTP 503.
    #[serde(default)]
    pub outage: bool,
    /// Payment notifications to the shop are never sent.
    #[serde(default)]
    pub drop_payment_notifications: bool,
    /// `closeOrder` / `notifyOrder` do their work, then answer only after this many milliseconds (a client
    /// with a shorter timeout sees a timeout for a call that succeeded).
    #[serde(default)]
    pub close_order_delay_ms: u64,
    /// Every call does its work, then answers only after this many milliseconds (the same as
    /// `close_order_delay_ms`, for any method: an access-control import that timed out after
    /// S-360 applied it).
    #[serde(default)]
    pub answer_delay_ms: u64,
}
