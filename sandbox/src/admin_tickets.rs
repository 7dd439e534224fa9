//! The back office's hand on tickets, for gate tests: list them, cancel one, reprint one.
//! HTTP under `/__admin/tickets*` (the admin bearer token, like `/__admin/faults`) and the
//! same as methods of [`Sandbox`] for in-process tests.
//!
//! - `GET /__admin/tickets?institution=PLAY&performance=M01&limit=50`: `[AdminTicket]`, in
//!   issue order (`limit` defaults to 100, at most 1,000).
//! - `POST /__admin/tickets/cancel {institution, barcode, cause}`: the ticket, now invalid
//!   (`cause` CANCELLED, TECHNICAL, STOLEN or REFUNDED); the next incremental `exportList`
//!   returns it with `valid=false` and that cause. It does not give the seat back to sale.
//! - `POST /__admin/tickets/reprint {institution, barcode}`: `{oldBarcode, newBarcode}`: the
//!   old barcode INVALIDATED (cause REPRINTED), a new valid one on the same seat; a grey
//!   list gives the new one followed by the old one.
//!
//! Refusals: 404 for an unknown institution or barcode, 409 for a ticket already invalid,
//! 400 for a malformed request, each with a sentence.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use s360::model::ticket::{AcNameValue, TicketState};
use serde::{Deserialize, Serialize};

use crate::tickets::{TicketError, TicketRecord};
use crate::Sandbox;

/// What `GET /__admin/tickets` lists of a ticket. `holderData` is the holder as the sandbox
/// knows it, whether or not the institution sends it to access control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminTicket {
    pub barcode: String,
    pub tax_number: String,
    pub valid: bool,
    pub state: TicketState,
    /// When not valid: CANCELLED, TECHNICAL, STOLEN, REFUNDED or REPRINTED.
    pub cancellation_cause: Option<String>,
    pub audience_sub_category_code: String,
    pub entrance_code: Option<String>,
    pub product_code: String,
    pub performance_code: Option<String>,
    pub area_code: Option<String>,
    pub block_code: Option<String>,
    pub row_number: Option<String>,
    pub seat_number: Option<String>,
    pub holder_data: Vec<AcNameValue>,
}

impl From<&TicketRecord> for AdminTicket {
    fn from(t: &TicketRecord) -> Self {
        let i = &t.info;
        AdminTicket {
            barcode: t.barcode.clone(),
            tax_number: t.tax_number.clone(),
            valid: t.is_valid(),
            state: t.state,
            cancellation_cause: (!t.is_valid())
                .then(|| t.cancellation_cause.clone())
                .flatten(),
            audience_sub_category_code: i.audience_sub_category_code.clone(),
            entrance_code: i.entrance_code.clone(),
            product_code: i.product_code.clone(),
            performance_code: i.performance_code.clone(),
            area_code: i.seat.area_code.clone(),
            block_code: i.seat.block_code.clone(),
            row_number: i.seat.row.clone(),
            seat_number: i.seat.number.clone(),
            holder_data: i.holder.name_values(),
        }
    }
}

/// Why the back office cancels a ticket (the blacklist causes of §11 other than REPRINTED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CancelCause {
    Cancelled,
    Technical,
    Stolen,
    Refunded,
}

impl CancelCause {
    pub fn as_str(self) -> &'static str {
        match self {
            CancelCause::Cancelled => "CANCELLED",
            CancelCause::Technical => "TECHNICAL",
            CancelCause::Stolen => "STOLEN",
            CancelCause::Refunded => "REFUNDED",
        }
    }
}

/// A reprint's barcodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reprinted {
    pub old_barcode: String,
    pub new_barcode: String,
}

/// Why an admin ticket operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("unknown institution {0}")]
    UnknownInstitution(String),
    #[error(transparent)]
    Ticket(#[from] TicketError),
}

impl AdminError {
    fn status(&self) -> StatusCode {
        match self {
            AdminError::UnknownInstitution(_) | AdminError::Ticket(TicketError::Unknown(_)) => {
                StatusCode::NOT_FOUND
            }
            AdminError::Ticket(TicketError::NotValid { .. }) => StatusCode::CONFLICT,
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

/// The most tickets one listing returns.
pub const MAX_LIST: usize = 1000;

impl Sandbox {
    /// Up to `limit` (at most [`MAX_LIST`]) tickets of `institution`, of one performance code
    /// when given, in issue order, valid or not.
    pub fn tickets(
        &self,
        institution: &str,
        performance: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AdminTicket>, AdminError> {
        let inst = self
            .institution(institution)
            .ok_or_else(|| AdminError::UnknownInstitution(institution.to_string()))?;
        let inst = inst.lock().expect("institution lock");
        Ok(inst
            .tickets
            .all()
            .iter()
            .filter(|t| performance.is_none() || t.info.performance_code.as_deref() == performance)
            .take(limit.min(MAX_LIST))
            .map(AdminTicket::from)
            .collect())
    }

    /// Cancels a valid ticket (by barcode or tax number) with `cause`, as the back office
    /// would; the next incremental `exportList` returns it invalid with that cause.
    pub fn cancel_ticket(
        &self,
        institution: &str,
        barcode: &str,
        cause: CancelCause,
    ) -> Result<AdminTicket, AdminError> {
        let inst = self
            .institution(institution)
            .ok_or_else(|| AdminError::UnknownInstitution(institution.to_string()))?;
        let mut inst = inst.lock().expect("institution lock");
        let t = inst.tickets.cancel(barcode, cause.as_str())?;
        Ok(AdminTicket::from(t))
    }

    /// Reprints a valid ticket (by barcode or tax number): its barcode becomes INVALIDATED
    /// (cause REPRINTED) and a new valid one replaces it on the same seat and medium.
    pub fn reprint_ticket(
        &self,
        institution: &str,
        barcode: &str,
    ) -> Result<Reprinted, AdminError> {
        let inst = self
            .institution(institution)
            .ok_or_else(|| AdminError::UnknownInstitution(institution.to_string()))?;
        let mut inst = inst.lock().expect("institution lock");
        let old_barcode = inst
            .tickets
            .get(barcode)
            .map(|t| t.barcode.clone())
            .ok_or_else(|| TicketError::Unknown(barcode.to_string()))?;
        let new_id = inst.tickets.reprint(&old_barcode)?;
        let new_barcode = inst
            .tickets
            .by_id(new_id)
            .map(|t| t.barcode.clone())
            .ok_or_else(|| TicketError::Unknown(barcode.to_string()))?;
        Ok(Reprinted {
            old_barcode,
            new_barcode,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    institution: String,
    #[serde(default)]
    performance: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

pub(crate) async fn list(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("invalid query (institution, performance, limit): {e}"),
            )
                .into_response()
        }
    };
    let performance = q.performance.as_deref().filter(|p| !p.is_empty());
    match sb.tickets(&q.institution, performance, q.limit.unwrap_or(100)) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    institution: String,
    barcode: String,
    cause: CancelCause,
}

pub(crate) async fn cancel(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<CancelBody>(&body) {
        Ok(b) => match sb.cancel_ticket(&b.institution, &b.barcode, b.cause) {
            Ok(t) => Json(t).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!(
                "invalid body (institution, barcode, cause: CANCELLED|TECHNICAL|STOLEN|REFUNDED): {e}"
            ),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReprintBody {
    institution: String,
    barcode: String,
}

pub(crate) async fn reprint(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !sb.admin_allowed(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::from_slice::<ReprintBody>(&body) {
        Ok(b) => match sb.reprint_ticket(&b.institution, &b.barcode) {
            Ok(r) => Json(r).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("invalid body (institution, barcode): {e}"),
        )
            .into_response(),
    }
}
