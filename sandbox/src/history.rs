//! `externalOrderHistoryService` (s360-contract.md §6): counting files, listing the tickets of
//! a product, and a buyer's orders ("my orders").
//!
//! A file is an order (`fileId` = `orderId`). History states: RUNNING for a running order,
//! SOLDED for a closed sale, ABANDONNED for an abandoned one. Files are matched on their
//! creation date; tickets on the close date of their order (when they were sold).

use chrono::{DateTime, FixedOffset};
use s360::model::history::*;
use s360::model::order::{OrderId, OrderState};
use serde_json::Value;

use crate::orders::Order;
use crate::rpc::{ok, parse, BusinessError, MethodResult, RpcError};
use crate::state::Institution;

pub fn dispatch(
    inst: &mut Institution,
    method: &str,
    body: &Value,
) -> Option<Result<MethodResult, RpcError>> {
    Some(match method {
        "countFilesByCriteria" => parse(body).map(|r| count_files(inst, r)),
        "listTicketsByCriteria" => parse(body).map(|r| list_tickets(inst, r)),
        "getContactFiles" => parse(body).map(|r| contact_files(inst, r)),
        _ => return None,
    })
}

pub fn file_state(s: OrderState) -> FileState {
    match s {
        OrderState::Running => FileState::Running,
        OrderState::Closed => FileState::Solded,
        OrderState::Abandonned => FileState::Abandonned,
    }
}

fn in_range(
    t: DateTime<FixedOffset>,
    start: Option<DateTime<FixedOffset>>,
    end: Option<DateTime<FixedOffset>>,
) -> bool {
    start.is_none_or(|s| t >= s) && end.is_none_or(|e| t < e)
}

fn check_range(
    start: Option<DateTime<FixedOffset>>,
    end: Option<DateTime<FixedOffset>>,
) -> Result<(), BusinessError> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(BusinessError::invalid(
            "endDate must not be before startDate",
        )),
        _ => Ok(()),
    }
}

fn check_pos(inst: &Institution, pos: Option<s360::ids::PosId>) -> Result<(), BusinessError> {
    match pos {
        Some(p) if p != inst.pos.pos_id => Err(BusinessError::invalid(format!(
            "pointOfSalesId {p} is not this operator's point of sale"
        ))),
        _ => Ok(()),
    }
}

/// (start, count) of a page; `maxResult` is capped at [`DEFAULT_MAX_RESULT`].
fn page(p: Option<PaginationParameter>) -> Result<(usize, usize), BusinessError> {
    let p = p.unwrap_or_default();
    let max = p.max_result.unwrap_or(DEFAULT_MAX_RESULT);
    if max == 0 {
        return Err(BusinessError::invalid(
            "paginationParameter.maxResult must be at least 1",
        ));
    }
    Ok((
        p.start_position as usize,
        max.min(DEFAULT_MAX_RESULT) as usize,
    ))
}

fn count_files(inst: &Institution, req: CountFilesByCriteriaRequest) -> MethodResult {
    check_pos(inst, req.point_of_sales_id)?;
    check_range(req.start_date, req.end_date)?;
    let matches = |o: &Order| {
        // the files of the given point of sale (a reseller's channel and the web one share
        // the institution's orders)
        req.point_of_sales_id.is_none_or(|p| o.pos_id == p)
            && in_range(o.created, req.start_date, req.end_date)
            && (req.states.is_empty() || req.states.contains(&file_state(o.state)))
            && req
                .product_id
                .is_none_or(|p| o.lines.iter().any(|l| l.op.product_id == p))
            && req.performance_id.is_none_or(|p| {
                o.lines.iter().any(|l| {
                    l.op.performance_id == Some(p)
                        || l.movements.iter().any(|m| m.data.performance_id == Some(p))
                })
            })
            && req.cultural_contact_reference.as_deref().is_none_or(|c| {
                o.purchaser.as_deref() == Some(c)
                    || o.lines.iter().flat_map(|l| l.movements.iter()).any(|m| {
                        m.data
                            .contact_data
                            .as_ref()
                            .and_then(|d| d.contact_number.as_deref())
                            == Some(c)
                    })
            })
    };
    let number_of_files = inst.orders.orders.values().filter(|o| matches(o)).count() as u64;
    ok(CountFilesResult { number_of_files })
}

fn list_tickets(inst: &Institution, req: ListTicketsByCriteriaRequest) -> MethodResult {
    let c = &req.ticket_filter_criteria;
    check_pos(inst, c.point_of_sales_id)?;
    check_range(Some(c.start_date), Some(c.end_date))?;
    let (start, max) = page(req.pagination_parameter)?;
    let mut all: Vec<TicketSummary> = inst
        .tickets
        .all()
        .iter()
        .filter(|t| t.info.product_id == c.product_id)
        .filter_map(|t| {
            let o = inst.orders.orders.get(&OrderId(t.info.order_id))?;
            if c.point_of_sales_id.is_some_and(|p| o.pos_id != p) {
                return None;
            }
            let sold = o.closed_at?;
            if !in_range(sold, Some(c.start_date), Some(c.end_date)) {
                return None;
            }
            let (line, m) = o.lines.iter().find_map(|l| {
                l.movements
                    .iter()
                    .find(|m| m.data.movement_id.0 == t.info.movement_id)
                    .map(|m| (l, m))
            })?;
            Some(TicketSummary {
                ticket_id: t.ticket_id,
                ticket_state: t.state,
                performance_id: t.info.performance_id,
                seat_category_id: m.data.seat_category_id,
                audience_sub_category_id: line.op.audience_sub_category_id,
                audience_sub_category: line.op.audience_sub_category.clone(),
                price_level_id: None,
                price: t.info.price,
            })
        })
        .collect();
    all.sort_by_key(|t| t.ticket_id);
    let truncated = all.len() > start.saturating_add(max);
    let ticket_summaries = all.into_iter().skip(start).take(max).collect();
    ok(ListTicketsResult {
        truncated,
        ticket_summaries,
    })
}

fn file(inst: &Institution, o: &Order) -> FileData {
    let perf_start = |id| {
        inst.setup_catalog()
            .products()
            .filter_map(|p| p.event.as_ref())
            .flat_map(|e| e.performances.iter())
            .find(|p| p.id == id)
            .map(|p| p.start)
    };
    FileData {
        file_id: o.id.0,
        order_id: o.id,
        state: file_state(o.state),
        payment_state: o.payment_state,
        creation_date: o.created,
        close_date: o.closed_at,
        total_amount: o.sale_amount(),
        currency: inst.pos.institution_currency.clone(),
        operations: o
            .lines
            .iter()
            .map(|l| FileOperation {
                operation_id: l.op.operation_id,
                product_id: l.op.product_id,
                product: l.op.product.clone(),
                product_code: l.op.product_code.clone(),
                performance_id: l.op.performance_id,
                performance_start: l
                    .op
                    .performance_start
                    .or_else(|| l.op.performance_id.and_then(perf_start))
                    .or_else(|| {
                        l.op.performance_ids
                            .iter()
                            .filter_map(|p| perf_start(*p))
                            .min()
                    }),
                quantity: l.op.quantity,
                amount: l.op.total_amount,
            })
            .collect(),
    }
}

fn contact_files(inst: &Institution, req: GetContactFilesRequest) -> MethodResult {
    let number = req.contact_number.trim();
    if number.is_empty() {
        return Err(BusinessError::invalid("contactNumber is mandatory"));
    }
    check_range(req.start_date, req.end_date)?;
    let (start, max) = page(req.pagination_parameter)?;
    let mut orders: Vec<&Order> = inst
        .orders
        .orders
        .values()
        .filter(|o| o.purchaser.as_deref() == Some(number))
        .filter(|o| in_range(o.created, req.start_date, req.end_date))
        .collect();
    // newest first; the id breaks ties (ids grow with time)
    orders.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    let truncated = orders.len() > start.saturating_add(max);
    let files = orders
        .into_iter()
        .skip(start)
        .take(max)
        .map(|o| file(inst, o))
        .collect();
    ok(ContactFilesResult { truncated, files })
}
