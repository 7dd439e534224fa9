//! Checkout and payment: the guest or logged-in buyer, the S-PAY transaction, the registry of
//! started payments and the exactly-once finalisation of a paid order.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use s360::model::contact::CulturalContactData;
use s360::model::order::*;

use super::*;

/// Who pays: a guest (a contact is created) or the logged-in buyer's S-360 contact.
pub enum Buyer {
    Guest(Guest),
    Contact(String),
}

/// Validated guest details.
pub struct Guest {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

impl Guest {
    pub fn parse(first: &str, last: &str, email: &str) -> Result<Guest, BuyerError> {
        let (first, last, email) = (first.trim(), last.trim(), email.trim());
        if first.is_empty() || last.is_empty() {
            return Err(BuyerError("Please enter your first and last name.".into()));
        }
        if first.chars().count() > 50 || last.chars().count() > 50 {
            return Err(BuyerError("Names are limited to 50 characters.".into()));
        }
        let valid_email = email.len() <= 254
            && email.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.contains(char::is_whitespace);
        if !valid_email {
            return Err(BuyerError(
                "Please enter a valid e-mail address, such as name@example.com.".into(),
            ));
        }
        Ok(Guest {
            first_name: first.into(),
            last_name: last.into(),
            email: email.to_ascii_lowercase(),
        })
    }
}

/// What the payment page needs: the transaction and where the widget comes from.
pub struct PaymentStart {
    pub order_id: OrderId,
    pub transaction_id: String,
    pub widget_origin: String,
}

fn pending_key(tenant: &Tenant) -> String {
    format!("paying.{}", tenant.code)
}

/// Creates the guest contact and the S-PAY payment for the cart; the hold cannot expire while
/// the payment is in progress (the platform freezes it).
pub async fn start_payment(
    tenant: &Tenant,
    session: &Session,
    buyer: Buyer,
    shop_origin: &str,
) -> Result<PaymentStart, BuyerError> {
    let snap = snapshot(tenant)?;
    let client = tenant.catalog.client();
    let order_id = session_get::<OrderId>(session, &cart_key(tenant))
        .await
        .ok_or_else(|| BuyerError("Your cart is empty.".into()))?;
    let d = client
        .get_order_details(order_id, None)
        .await
        .map_err(s360_error)?;
    if d.order_state != OrderState::Running || d.operation_datas.is_empty() {
        return Err(BuyerError(
            "Your cart has expired. Please choose your tickets again.".into(),
        ));
    }
    // a second submit (double click, back button) must not start a second payment
    if matches!(
        d.payment_state,
        PaymentState::InProgress | PaymentState::Paid
    ) {
        return Err(BuyerError(
            "Your payment for this cart is already being processed. Please wait for its confirmation."
                .into(),
        ));
    }
    if let (Some(paying), Some(tx)) = (
        session_get::<OrderId>(session, &pending_key(tenant)).await,
        session_get::<String>(session, "paying_tx").await,
    ) {
        let open = d.payments.iter().any(|p| {
            p.payment_state == PaymentState::Waiting
                && p.transaction_id.as_deref() == Some(tx.as_str())
        });
        if paying == order_id && open {
            return Ok(PaymentStart {
                order_id,
                transaction_id: tx,
                widget_origin: client.config().base_url.clone(),
            });
        }
    }
    let contact = match buyer {
        Buyer::Contact(number) => number,
        Buyer::Guest(guest) => {
            let created = client
                .create_cultural_contacts(vec![CulturalContactData {
                    identifier: "buyer".into(),
                    contact_number: None,
                    first_name: guest.first_name,
                    last_name: guest.last_name,
                    email: guest.email,
                    create_login: false,
                }])
                .await
                .map_err(s360_error)?;
            created
                .identifier_contact_map
                .get("buyer")
                .cloned()
                .ok_or_else(|| {
                    BuyerError("The ticketing system did not create your contact.".into())
                })?
        }
    };
    let method = snap
        .pos
        .payment_methods
        .iter()
        .filter(|m| m.for_payment && m.payment_type == "CREDIT_CARD")
        .min_by_key(|m| m.rank)
        .ok_or_else(|| BuyerError("No card payment is available in this shop.".into()))?;
    let mut params = HashMap::new();
    params.insert(
        ORDER_IDENTIFIER.to_string(),
        format!("{}-{}", tenant.code, order_id.0),
    );
    params.insert(
        RETURN_URL.to_string(),
        format!("{shop_origin}/payment/return"),
    );
    params.insert(
        NOTIFY_URL.to_string(),
        format!("{shop_origin}/payment/notify/{}", tenant.code),
    );
    let started = client
        .create_payments_and_close_order(&CreatePaymentsAndCloseOrderRequest {
            request_id: None,
            order_id,
            is_converted_reservation: false,
            create_token: false,
            payments: vec![PaymentInput {
                amount: d.sale_amount,
                payment_method_id: method.id,
            }],
            payment_params: PaymentParams {
                contact_number: Some(contact.clone()),
                total_amount: Some(d.sale_amount),
                payment_parameters_map: params,
            },
            order_type: OrderType::Sale,
            max_waiting_time: None,
            purchasers_info: vec![PurchaserInfo {
                contact_reference: contact,
            }],
        })
        .await
        .map_err(s360_error)?;
    let transaction_id = started
        .transaction_id
        .ok_or_else(|| BuyerError("The payment could not be started.".into()))?;
    register_payment(tenant, order_id);
    session_set(session, &pending_key(tenant), order_id).await?;
    session_set(session, &secret_key(tenant), d.order_secret_id.clone()).await?;
    session_set(session, "paying_tx", transaction_id.clone()).await?;
    Ok(PaymentStart {
        order_id,
        transaction_id,
        widget_origin: client.config().base_url.clone(),
    })
}

fn secret_key(tenant: &Tenant) -> String {
    format!("paying_secret.{}", tenant.code)
}

/// The secret of the order the buyer is paying for, kept so the return page can link to the
/// order page even while S-360 cannot be reached.
pub async fn paying_order_secret(tenant: &Tenant, session: &Session) -> Option<String> {
    session_get(session, &secret_key(tenant)).await
}

/// Orders whose payment was started, per S-360 host and institution, for the reconciliation
/// task (the shop keeps no business data: only ids, re-read from S-360 every time).
type PaymentRegistry = Mutex<HashMap<(String, String), HashMap<i64, std::time::Instant>>>;

fn payment_registry() -> &'static PaymentRegistry {
    static REGISTRY: OnceLock<PaymentRegistry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn registry_key(tenant: &Tenant) -> (String, String) {
    (
        tenant.catalog.client().config().base_url.clone(),
        tenant.code.clone(),
    )
}

/// Remembers that a payment was started for this order.
pub fn register_payment(tenant: &Tenant, order_id: OrderId) {
    let mut r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    r.entry(registry_key(tenant))
        .or_default()
        .insert(order_id.0, std::time::Instant::now());
}

/// The orders with a started payment not yet seen final, with when the payment started.
pub fn registered_payments(tenant: &Tenant) -> Vec<(OrderId, std::time::Instant)> {
    let r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    r.get(&registry_key(tenant))
        .map(|m| m.iter().map(|(id, t)| (OrderId(*id), *t)).collect())
        .unwrap_or_default()
}

/// Forgets an order once it is final (closed or released) or too old to matter.
pub fn forget_payment(tenant: &Tenant, order_id: OrderId) {
    let mut r = payment_registry().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(m) = r.get_mut(&registry_key(tenant)) {
        m.remove(&order_id.0);
    }
}

/// The order the buyer is paying for in this session.
pub async fn paying_order(tenant: &Tenant, session: &Session) -> Option<OrderId> {
    session_get(session, &pending_key(tenant)).await
}

/// Per-order locks: the buyer's return, a reload, a second tab and the server notification
/// may all arrive at once; one of them finalises, the others see the result.
fn order_lock(order_id: OrderId) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if locks.len() > 10_000 {
        locks.retain(|_, l| Arc::strong_count(l) > 1);
    }
    locks.entry(order_id.0).or_default().clone()
}

/// Brings the order to its final state from what S-360 says (never from the browser):
/// PAID -> notifyOrder(SUCCESS) closes it (idempotent, once even under concurrency);
/// refused or cancelled -> notifyOrder(FAILURE) releases it. Returns the order as it ends.
pub async fn finalize(tenant: &Tenant, order_id: OrderId) -> Result<OrderDetailsData, BuyerError> {
    let lock = order_lock(order_id);
    let _guard = lock.lock().await;
    let client = tenant.catalog.client();
    let d = client
        .get_order_details(order_id, None)
        .await
        .map_err(s360_error)?;
    if d.order_state != OrderState::Running {
        return Ok(d);
    }
    // the payment that carries the order's payment state (not merely the last one listed)
    let Some(payment) = d
        .payments
        .iter()
        .rev()
        .find(|p| p.payment_state == d.payment_state)
        .or(d.payments.last())
    else {
        return Ok(d);
    };
    let status = match d.payment_state {
        PaymentState::Paid => NotifyStatus::Success,
        PaymentState::Failed
        | PaymentState::FailedRejected
        | PaymentState::CancelledByUser
        | PaymentState::Abandoned => NotifyStatus::Failure,
        _ => return Ok(d),
    };
    client
        .notify_order(order_id, payment.payment_id, status)
        .await
        .map_err(s360_error)
}

/// Forgets the cart once its order is closed.
pub async fn clear_cart(tenant: &Tenant, session: &Session, order_id: OrderId) {
    // only that order's cart: the buyer may already have started a new one
    if session_get::<OrderId>(session, &cart_key(tenant)).await == Some(order_id) {
        let _ = session.remove::<OrderId>(&cart_key(tenant)).await;
    }
    if session_get::<OrderId>(session, &pending_key(tenant)).await != Some(order_id) {
        return;
    }
    let _ = session.remove::<OrderId>(&pending_key(tenant)).await;
    let _ = session.remove::<String>(&secret_key(tenant)).await;
    let _ = session.remove::<String>("paying_tx").await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_details_are_validated() {
        assert!(Guest::parse("Ada", "Lovelace", "ada@example.com").is_ok());
        assert!(Guest::parse("", "Lovelace", "ada@example.com").is_err());
        assert!(Guest::parse("Ada", "Lovelace", "ada@example").is_err());
        assert!(Guest::parse("Ada", "Lovelace", "ada example@x.com").is_err());
        assert_eq!(
            Guest::parse(" Ada ", "L", "ADA@Example.com").unwrap().email,
            "ada@example.com"
        );
    }
}
