//! The buyer's session, typed: every key the shop keeps in it, what it holds and when it is
//! forgotten. Nothing else reads or writes session keys by string. Keys are per institution
//! (`cart.MOSA`), so one browser can shop at two institutions of the same deployment.
//!
//! | key | holds | set | forgotten |
//! |---|---|---|---|
//! | `session.created` | when the session began (absolute timeout) | first request | with the session |
//! | `user.{I}` | the logged-in buyer | login | logout, account deletion |
//! | `idp.{I}` | the third-party identity provider's host | third-party login | logout |
//! | `cart.{I}` | the running S-360 order | first ticket held | paid, expired, emptied |
//! | `cart_expired.{I}`, `cart_expired_order.{I}` | the cart that expired, to hold it again | expiry | a new cart |
//! | `checkout_applied.{I}` | the checkout choices written to S-360 | checkout | a new payment attempt |
//! | `guest_contact.{I}` | the guest's details and their S-360 contact | guest checkout | with the session |
//! | `paying.{I}`, `paying_contact.{I}`, `paying_retry.{I}`, `paying_tx` | the payment underway | payment start | order finalised |

use serde::de::DeserializeOwned;
use serde::Serialize;
use tower_sessions::Session;

use s360::model::order::OrderId;

use crate::error::Error;
use crate::model::SessionUser;
use crate::payment::Retry;

/// The key of the session's start time (the session stores see it in every record).
pub const CREATED: &str = "session.created";
const PAYING_TX: &str = "paying_tx";

/// The guest's details (first name, last name, e-mail) and the S-360 contact made for them.
pub type GuestContact = ((String, String, String), String);

/// One buyer's session at one institution.
#[derive(Clone, Debug)]
pub struct BuyerSession {
    session: Session,
    institution: String,
}

impl BuyerSession {
    pub fn new(session: Session, institution: &str) -> Self {
        BuyerSession {
            session,
            institution: institution.to_string(),
        }
    }

    /// The underlying session (to rotate its id at login and logout).
    pub fn inner(&self) -> &Session {
        &self.session
    }

    fn key(&self, name: &str) -> String {
        format!("{name}.{}", self.institution)
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.session.get::<T>(key).await.ok().flatten()
    }

    async fn set<T: Serialize + Send + Sync>(&self, key: &str, v: T) -> Result<(), Error> {
        self.session
            .insert(key, v)
            .await
            .map_err(|_| Error::Session)
    }

    async fn forget(&self, key: &str) {
        let _ = self.session.remove_value(key).await;
    }

    // -- the logged-in buyer ------------------------------------------------------------------

    pub async fn user(&self) -> Option<SessionUser> {
        self.get(&self.key("user")).await
    }

    pub async fn set_user(&self, user: &SessionUser) -> Result<(), Error> {
        self.set(&self.key("user"), user).await
    }

    pub async fn forget_user(&self) {
        self.forget(&self.key("user")).await
    }

    /// The host of the third-party identity provider the buyer logged in with.
    pub async fn provider(&self) -> Option<String> {
        self.get(&self.key("idp")).await
    }

    pub async fn set_provider(&self, host: &str) -> Result<(), Error> {
        self.set(&self.key("idp"), host).await
    }

    pub async fn forget_provider(&self) {
        self.forget(&self.key("idp")).await
    }

    // -- the cart -----------------------------------------------------------------------------

    pub async fn cart(&self) -> Option<OrderId> {
        self.get(&self.key("cart")).await
    }

    /// Makes `order_id` the buyer's cart (and forgets an expired one).
    pub async fn set_cart(&self, order_id: OrderId) -> Result<(), Error> {
        self.set(&self.key("cart"), order_id).await?;
        self.forget(&self.key("cart_expired_order")).await;
        self.set(&self.key("cart_expired"), false).await
    }

    pub async fn forget_cart(&self) {
        self.forget(&self.key("cart")).await
    }

    /// Whether the last cart expired (the cart page says so).
    pub async fn cart_expired(&self) -> bool {
        self.get(&self.key("cart_expired")).await.unwrap_or(false)
    }

    /// The expired cart's order, which the buyer may ask to hold again.
    pub async fn expired_order(&self) -> Option<OrderId> {
        self.get(&self.key("cart_expired_order")).await
    }

    pub async fn mark_expired(&self, order_id: OrderId) -> Result<(), Error> {
        self.set(&self.key("cart_expired"), true).await?;
        self.set(&self.key("cart_expired_order"), order_id).await
    }

    pub async fn forget_expired_order(&self) {
        self.forget(&self.key("cart_expired_order")).await
    }

    // -- checkout -----------------------------------------------------------------------------

    /// The checkout choices last written to S-360 (serialised), so the same form twice writes
    /// nothing twice.
    pub async fn checkout_applied(&self) -> Option<String> {
        self.get(&self.key("checkout_applied")).await
    }

    pub async fn set_checkout_applied(&self, choices: &str) -> Result<(), Error> {
        self.set(&self.key("checkout_applied"), choices).await
    }

    pub async fn guest_contact(&self) -> Option<GuestContact> {
        self.get(&self.key("guest_contact")).await
    }

    pub async fn set_guest_contact(&self, guest: &GuestContact) -> Result<(), Error> {
        self.set(&self.key("guest_contact"), guest).await
    }

    // -- the payment underway -----------------------------------------------------------------

    /// The order whose payment this session started.
    pub async fn paying(&self) -> Option<OrderId> {
        self.get(&self.key("paying")).await
    }

    /// The buyer's S-360 contact of the payment underway.
    pub async fn paying_contact(&self) -> Option<String> {
        self.get(&self.key("paying_contact")).await
    }

    /// The S-PAY transaction of the payment underway.
    pub async fn paying_transaction(&self) -> Option<String> {
        self.get(PAYING_TX).await
    }

    /// Records a started payment: its order, contact and transaction.
    pub async fn start_paying(
        &self,
        order_id: OrderId,
        contact: &str,
        transaction_id: &str,
    ) -> Result<(), Error> {
        self.set(&self.key("paying"), order_id).await?;
        self.set(&self.key("paying_contact"), contact).await?;
        self.set(PAYING_TX, transaction_id).await
    }

    /// Why the current payment is a new attempt, shown until it is paid.
    pub async fn retry(&self) -> Option<Retry> {
        self.get(&self.key("paying_retry")).await
    }

    pub async fn set_retry(&self, retry: Option<Retry>) -> Result<(), Error> {
        match retry {
            Some(r) => self.set(&self.key("paying_retry"), r).await,
            None => {
                self.forget(&self.key("paying_retry")).await;
                Ok(())
            }
        }
    }

    /// The order `order_id` is finalised: it is no longer the cart nor the payment underway.
    /// `false` when this session was not paying for it.
    pub async fn order_finalised(&self, order_id: OrderId) -> bool {
        if self.cart().await == Some(order_id) {
            self.forget_cart().await;
        }
        if self.paying().await != Some(order_id) {
            return false;
        }
        self.forget(&self.key("paying")).await;
        self.forget(&self.key("paying_contact")).await;
        self.forget(&self.key("paying_retry")).await;
        self.forget(PAYING_TX).await;
        true
    }
}

/// When the session began (unix seconds), for the absolute timeout.
pub async fn created_at(session: &Session) -> Option<i64> {
    session.get::<i64>(CREATED).await.ok().flatten()
}

/// Marks the session as beginning at `unix` seconds.
pub async fn set_created_at(session: &Session, unix: i64) -> Result<(), Error> {
    session
        .insert(CREATED, unix)
        .await
        .map_err(|_| Error::Session)
}

/// Removes the session's start time and returns it (to tell whether anything else is left).
pub async fn take_created_at(session: &Session) -> Option<i64> {
    session.remove::<i64>(CREATED).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    fn session() -> Session {
        Session::new(None, Arc::new(MemoryStore::default()), None)
    }

    #[tokio::test]
    async fn keys_are_per_institution_and_the_cart_lifecycle_holds() {
        let raw = session();
        let mosa = BuyerSession::new(raw.clone(), "MOSA");
        let cube = BuyerSession::new(raw, "CUBE");
        mosa.set_cart(OrderId(7)).await.unwrap();
        assert_eq!(mosa.cart().await, Some(OrderId(7)));
        assert_eq!(cube.cart().await, None);
        mosa.mark_expired(OrderId(7)).await.unwrap();
        assert!(mosa.cart_expired().await);
        assert_eq!(mosa.expired_order().await, Some(OrderId(7)));
        // a new cart forgets the expired one
        mosa.set_cart(OrderId(8)).await.unwrap();
        assert!(!mosa.cart_expired().await);
        assert_eq!(mosa.expired_order().await, None);
        // finalising an order this session was not paying for changes nothing else
        mosa.start_paying(OrderId(8), "C1", "TX1").await.unwrap();
        assert!(!mosa.order_finalised(OrderId(9)).await);
        assert_eq!(mosa.paying().await, Some(OrderId(8)));
        assert!(mosa.order_finalised(OrderId(8)).await);
        assert_eq!(mosa.cart().await, None);
        assert_eq!(mosa.paying_transaction().await, None);
    }
}
