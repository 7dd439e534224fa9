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
    // the owner looking at an order with money taken: finalise it (or, when the money came
    // after the seats were released, report it)
    if d.order_state != OrderState::Closed && paid_payment(&d).is_some() {
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
                    when: t.performance_start.as_ref().map(|w| when(w, locale)),
                    place,
                    tariff: t.audience_sub_category,
                    barcode: t.barcode,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let paid_too_late = d.order_state == OrderState::Abandonned && paid_payment(&d).is_some();
    let being_confirmed = d.payments.iter().any(|p| {
        matches!(
            p.payment_state,
            PaymentState::InProgress | PaymentState::Paid | PaymentState::Authorized
        )
    });
    let held_until = d.expiration_date.map(|e| clock(tenant, e));
    let retry = match (d.order_state, d.payment_state) {
        (OrderState::Running, PaymentState::Failed | PaymentState::FailedRejected)
            if !being_confirmed =>
        {
            Some(Retry::Refused)
        }
        (OrderState::Running, PaymentState::CancelledByUser) if !being_confirmed => {
            Some(Retry::Cancelled)
        }
        _ => None,
    };
    let special = if paid_too_late {
        Some((
            "ABANDONNED",
            rust_i18n::t!(
                "payment.paid_too_late",
                locale = locale,
                shop = shop_info(tenant, &snap, locale).name
            )
            .into_owned(),
        ))
    } else {
        retry.map(|r| ("RUNNING", retry_message(r, held_until.as_deref(), locale)))
    };
    let (state, state_text) = match (d.order_state, d.payment_state) {
        _ if special.is_some() => special.unwrap_or_default(),
        (OrderState::Running, _) if being_confirmed => {
            ("RUNNING", "Your payment is being confirmed".into())
        }
        (OrderState::Closed, _) => ("CLOSED", "Paid and confirmed".into()),
        (OrderState::Abandonned, PaymentState::Failed | PaymentState::FailedRejected) => (
            "ABANDONNED",
            "The payment was refused; the seats were released".into(),
        ),
        (OrderState::Abandonned, PaymentState::CancelledByUser) => (
            "ABANDONNED",
            "The payment was cancelled; the seats were released".into(),
        ),
        (OrderState::Abandonned, _) => (
            "ABANDONNED",
            "This order expired; the seats were released".into(),
        ),
        (OrderState::Running, _) => ("RUNNING", "Waiting for payment".into()),
    };
    // the page looks again while a card is being confirmed
    let payment_state = if being_confirmed && d.order_state == OrderState::Running {
        "InProgress".to_string()
    } else {
        format!("{:?}", d.payment_state)
    };
    Ok(Some(OrderView {
        shop: shop_info(tenant, &snap, locale),
        order_id,
        state: state.into(),
        state_text,
        payment_state,
        lines: lines_of(&d, &snap, locale),
        total: d.sale_amount.format(&d.currency, locale),
        tickets,
        access: d.order_secret_id,
        can_retry: retry.is_some(),
    }))
}
