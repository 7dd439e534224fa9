//! What resellers owe (seed 000, OUR DESIGN): every order closed with a PENDING_ACCOUNT
//! payment is recorded with its point of sale, and the balance is summed per point of sale
//! and currency. The back office's view of it, for tests:
//!
//! - `GET /__admin/pending-accounts?institution=CUBE` (the admin bearer token, like
//!   `/__admin/tickets`; without it 404): [`PendingAccounts`] as JSON,
//!   `{institution, balances: [{posId, posCode, currency, amount, orders}], entries: [{orderId,
//!   posId, posCode, amount, currency, date}]}`, amounts in thousandths like every S-360
//!   amount; 404 for an unknown institution, 400 for a malformed query.
//! - [`Sandbox::pending_accounts`] in process.
//!
//! An order is recorded once, when `closeOrder` closes it; closing it again answers the closed
//! order and records nothing. Nothing settles a balance (the sandbox has no
//! `settlePendingAccountPayment`).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset};
use s360::ids::PosId;
use s360::model::order::OrderId;
use s360::money::Amount;
use serde::{Deserialize, Serialize};

use crate::admin_tickets::AdminError;
use crate::state::Institution;
use crate::Sandbox;

/// One order closed with a PENDING_ACCOUNT payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEntry {
    pub order_id: OrderId,
    /// The point of sale that sold (and closed) the order.
    pub pos_id: PosId,
    pub pos_code: String,
    /// What the PENDING_ACCOUNT payments of the order add up to (thousandths).
    pub amount: Amount,
    /// ISO 4217 code (`EUR`).
    pub currency: String,
    /// When the order was closed.
    pub date: DateTime<FixedOffset>,
}

/// What one point of sale owes in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingBalance {
    pub pos_id: PosId,
    pub pos_code: String,
    pub currency: String,
    /// The sum of the entries' amounts (thousandths).
    pub amount: Amount,
    /// How many orders it sums.
    pub orders: u32,
}

/// The pending account balances of an institution and their entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingAccounts {
    pub institution: String,
    /// One per (point of sale, currency) having entries, by point of sale id.
    pub balances: Vec<PendingBalance>,
    /// In the order the orders were closed.
    pub entries: Vec<PendingEntry>,
}

/// Records what the order closed by the calling point of sale (`inst.pos`) leaves on the
/// pending account.
pub(crate) fn record(
    inst: &mut Institution,
    order_id: OrderId,
    amount: Amount,
    date: DateTime<FixedOffset>,
) {
    let entry = PendingEntry {
        order_id,
        pos_id: inst.pos.pos_id,
        pos_code: inst.pos.pos_code.clone(),
        amount,
        currency: inst.pos.institution_currency.currency_code.clone(),
        date,
    };
    inst.pending_accounts.push(entry);
}

fn summary(inst: &Institution) -> PendingAccounts {
    let mut balances: Vec<PendingBalance> = Vec::new();
    for e in &inst.pending_accounts {
        match balances
            .iter_mut()
            .find(|b| b.pos_id == e.pos_id && b.currency == e.currency)
        {
            Some(b) => {
                b.amount = Amount(b.amount.0 + e.amount.0);
                b.orders += 1;
            }
            None => balances.push(PendingBalance {
                pos_id: e.pos_id,
                pos_code: e.pos_code.clone(),
                currency: e.currency.clone(),
                amount: e.amount,
                orders: 1,
            }),
        }
    }
    balances.sort_by(|a, b| (a.pos_id, &a.currency).cmp(&(b.pos_id, &b.currency)));
    PendingAccounts {
        institution: inst.code.clone(),
        balances,
        entries: inst.pending_accounts.clone(),
    }
}

impl Sandbox {
    /// The pending account balances of `institution` (per point of sale and currency) and the
    /// orders they sum: what its resellers owe.
    pub fn pending_accounts(&self, institution: &str) -> Result<PendingAccounts, AdminError> {
        let inst = self
            .institution(institution)
            .ok_or_else(|| AdminError::UnknownInstitution(institution.to_string()))?;
        let inst = inst.lock().expect("institution lock");
        Ok(summary(&inst))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PendingQuery {
    institution: String,
}

pub(crate) async fn list(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    query: Result<Query<PendingQuery>, QueryRejection>,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("invalid query (institution): {e}"),
            )
                .into_response()
        }
    };
    match sb.pending_accounts(&q.institution) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
