//! The order page: state, lines and tickets, for whoever holds the order's secret.

use s360::model::order::*;

use super::*;

/// The order page's data, for whoever holds the order's secret.
pub async fn order_view(
    tenant: &Tenant,
    order_id: i64,
    access: &str,
    locale: &str,
) -> Result<Option<OrderView>, BuyerError> {
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let mut d = match client
        .get_order_details(OrderId(order_id), Some(Granularity::Movements))
        .await
    {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(s360_error(e)),
    };
    if !s360::constant_time_eq(d.order_secret_id.as_bytes(), access.as_bytes()) {
        return Ok(None);
    }
    // the owner looking at a running order: finalise it if its payment is settled
    if d.order_state == OrderState::Running && d.payment_state != PaymentState::Waiting {
        let movements = std::mem::take(&mut d.movements);
        d = finalize(tenant, OrderId(order_id)).await?;
        if d.movements.is_empty() {
            d.movements = movements;
        }
    }
    let tickets = if d.order_state == OrderState::Closed {
        client
            .get_tickets(&s360::model::ticket::GetTicketsRequest {
                order_id: Some(order_id),
                ..Default::default()
            })
            .await
            .map_err(s360_error)?
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.ticket_state,
                    s360::model::ticket::TicketState::Cancelled
                        | s360::model::ticket::TicketState::Invalidated
                )
            })
            .map(|t| {
                let place = [
                    t.seat.block_code.as_ref().map(|b| format!("Block {b}")),
                    t.seat.row.as_ref().map(|r| format!("row {r}")),
                    t.seat.number.as_ref().map(|n| format!("seat {n}")),
                    t.entrance_code.as_ref().map(|g| format!("entrance {g}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                TicketRow {
                    ticket_id: t.ticket_id,
                    product: t.product_name,
                    when: t.performance_start.as_ref().map(when),
                    place,
                    tariff: t.audience_sub_category,
                    barcode: t.barcode,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let (state, state_text) = match (d.order_state, d.payment_state) {
        (OrderState::Closed, _) => ("CLOSED", "Paid and confirmed"),
        (OrderState::Abandonned, PaymentState::Failed | PaymentState::FailedRejected) => (
            "ABANDONNED",
            "The payment was refused; the seats were released",
        ),
        (OrderState::Abandonned, PaymentState::CancelledByUser) => (
            "ABANDONNED",
            "The payment was cancelled; the seats were released",
        ),
        (OrderState::Abandonned, _) => {
            ("ABANDONNED", "This order expired; the seats were released")
        }
        (OrderState::Running, PaymentState::InProgress | PaymentState::Paid) => {
            ("RUNNING", "Your payment is being confirmed")
        }
        (OrderState::Running, _) => ("RUNNING", "Waiting for payment"),
    };
    Ok(Some(OrderView {
        shop: shop_info(tenant, &snap, locale),
        order_id,
        state: state.into(),
        state_text: state_text.into(),
        payment_state: format!("{:?}", d.payment_state),
        lines: lines_of(&d, &snap, locale),
        total: d.sale_amount.format(&d.currency, locale),
        tickets,
        access: d.order_secret_id,
    }))
}
