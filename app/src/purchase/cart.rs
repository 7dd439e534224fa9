//! The cart: the buyer's running S-360 order, its id kept in the session.

use s360::model::order::*;
use s360::PerformanceId;

use rust_i18n::t;

use super::*;

pub(crate) fn cart_key(tenant: &Tenant) -> String {
    format!("cart.{}", tenant.code)
}

pub(crate) fn expired_key(tenant: &Tenant) -> String {
    format!("cart_expired.{}", tenant.code)
}

/// Adds tickets for one performance, seat category and tariff (best available seats).
pub async fn add_to_cart(
    tenant: &Tenant,
    session: &Session,
    performance_id: i64,
    seat_category_id: i64,
    tariff_id: i64,
    quantity: u32,
) -> Result<(), BuyerError> {
    let snap = snapshot(tenant)?;
    let max = snap.pos.max_seats_per_performance;
    if quantity == 0 || quantity > max {
        return Err(BuyerError(
            t!("error.quantity", locale = lang(), max = max).into_owned(),
        ));
    }
    let perf = snap
        .catalog
        .products()
        .filter(|p| p.state.on_sale())
        .flat_map(|p| p.event.iter().flat_map(|e| e.performances.iter()))
        .find(|p| p.id == PerformanceId(performance_id) && p.state.on_sale())
        .ok_or_else(|| BuyerError::tr("error.not_on_sale"))?;
    let priced = perf.prices.iter().any(|p| {
        p.seat_cat_id == SeatCategoryId(seat_category_id)
            && p.aud_sub_cat_id == AudienceSubCategoryId(tariff_id)
    });
    if !priced {
        return Err(BuyerError::tr("error.tariff"));
    }
    let client = tenant.catalog.client();
    let mut order_id: Option<OrderId> = session_get(session, &cart_key(tenant)).await;
    if let Some(id) = order_id {
        // a cart that expired or was paid cannot take more items: start a new one
        match client.get_order_details(id, None).await {
            Ok(d)
                // a refused or cancelled card leaves the order open with its seats held
                if d.order_state == OrderState::Running
                    && matches!(
                        d.payment_state,
                        PaymentState::Waiting
                            | PaymentState::Failed
                            | PaymentState::FailedRejected
                            | PaymentState::CancelledByUser
                    ) => {}
            Ok(d) => {
                if d.order_state == OrderState::Abandonned {
                    session_set(session, &expired_key(tenant), true).await?;
                }
                order_id = None;
            }
            Err(S360Error::NotFound(_)) => order_id = None,
            Err(e) => return Err(s360_error(e)),
        }
    }
    let req = CreateOrUpdateOrderRequest {
        point_of_sales_id: Some(snap.pos.pos_id),
        order_id,
        single_entry_operations: vec![SingleEntryOperation {
            performance_id: perf.id,
            seat_category_id: SeatCategoryId(seat_category_id),
            audience_sub_category_id: AudienceSubCategoryId(tariff_id),
            quantity,
            contingent_id: None,
            price_level_id: None,
            seat_ids: None,
        }],
        ..Default::default()
    };
    let updated = client
        .create_or_update_order(&req)
        .await
        .map_err(s360_error)?;
    session_set(session, &cart_key(tenant), updated.order_id).await?;
    session_set(session, &expired_key(tenant), false).await?;
    Ok(())
}

pub async fn cart_view(
    tenant: &Tenant,
    session: &Session,
    locale: &str,
) -> Result<CartView, BuyerError> {
    let snap = snapshot(tenant)?;
    let shop = shop_info(tenant, &snap, locale);
    let mut expired: bool = session_get(session, &expired_key(tenant))
        .await
        .unwrap_or(false);
    let empty = |expired| CartView {
        shop: shop.clone(),
        order_id: None,
        lines: vec![],
        fees: vec![],
        total: s360::Amount::ZERO.format(&snap.pos.institution_currency, locale),
        expires_at_ms: None,
        expired,
        paying: false,
    };
    let Some(order_id) = session_get::<OrderId>(session, &cart_key(tenant)).await else {
        return Ok(empty(expired));
    };
    let d = match tenant
        .catalog
        .client()
        .get_order_details(order_id, Some(Granularity::Movements))
        .await
    {
        Ok(d) => d,
        Err(S360Error::NotFound(_)) => return Ok(empty(false)),
        Err(e) => return Err(s360_error(e)),
    };
    if d.order_state != OrderState::Running {
        if d.order_state == OrderState::Abandonned && d.payment_state == PaymentState::Waiting {
            expired = true;
            session_set(session, &expired_key(tenant), true).await?;
        }
        let _ = session.remove::<OrderId>(&cart_key(tenant)).await;
        return Ok(empty(expired));
    }
    Ok(CartView {
        shop,
        order_id: Some(order_id.0),
        lines: lines_of(&d, &snap, locale),
        fees: d
            .charges
            .iter()
            .map(|c| {
                (
                    c.external_name.clone(),
                    c.amount.format(&d.currency, locale),
                )
            })
            .collect(),
        total: d.sale_amount.format(&d.currency, locale),
        expires_at_ms: d.expiration_date.map(|e| e.timestamp_millis()),
        expired: false,
        paying: matches!(
            d.payment_state,
            PaymentState::InProgress | PaymentState::Paid
        ),
    })
}

pub async fn remove_from_cart(
    tenant: &Tenant,
    session: &Session,
    movement_ids: Vec<i64>,
) -> Result<(), BuyerError> {
    let Some(order_id) = session_get::<OrderId>(session, &cart_key(tenant)).await else {
        return Err(BuyerError::tr("error.cart_empty"));
    };
    tenant
        .catalog
        .client()
        .abandon_movements(order_id, movement_ids.into_iter().map(MovementId).collect())
        .await
        .map_err(s360_error)?;
    Ok(())
}
