//! Stripe's REST API, as much as the reseller needs: PaymentIntents (the card is entered in the
//! page with Stripe.js and `confirmCardPayment`), refunds, and the webhooks' signatures.
//!
//! Plain HTTPS with form-encoded bodies (no SDK). The same client talks to localstripe in tests
//! and local runs (`api_base` `http://127.0.0.1:8420`, any `sk_...` key; scripts/common.sh
//! installs it and says what it does and how we patch it). What differs there:
//! - PaymentIntents carry `latest_charge` as the whole charge object, not its id (both read);
//! - webhooks are configured through [`Stripe::register_localstripe_webhook`], not the
//!   dashboard, and only live until localstripe stops;
//! - the refunded total is not checked against the amount paid (Stripe refuses the excess).
//!
//! Errors tell the provider's refusal ([`StripeError::Api`]: nothing was done, unless the
//! status is 5xx) from a call that got no answer ([`StripeError::NoAnswer`]: it may have been
//! done); POSTs carry an `Idempotency-Key`, so repeating one with the same key is safe and
//! answers what the first did.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;

/// Stripe's own API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// The API version we speak (sent as `Stripe-Version`, so the account's default does not
/// change the shapes we read): `latest_charge` on PaymentIntents, refunds by payment_intent.
pub const API_VERSION: &str = "2024-06-20";
/// Stripe's default tolerance for a webhook's timestamp.
pub const DEFAULT_WEBHOOK_TOLERANCE_SECS: i64 = 300;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A Stripe account's API (or localstripe's). Cheap to clone.
#[derive(Clone)]
pub struct Stripe {
    api_base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl fmt::Debug for Stripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// A PaymentIntent's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// One this code does not know.
    Other(String),
}

impl PaymentIntentStatus {
    pub fn parse(s: &str) -> PaymentIntentStatus {
        match s {
            "requires_payment_method" => Self::RequiresPaymentMethod,
            "requires_confirmation" => Self::RequiresConfirmation,
            "requires_action" => Self::RequiresAction,
            "processing" => Self::Processing,
            "requires_capture" => Self::RequiresCapture,
            "canceled" => Self::Canceled,
            "succeeded" => Self::Succeeded,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::RequiresPaymentMethod => "requires_payment_method",
            Self::RequiresConfirmation => "requires_confirmation",
            Self::RequiresAction => "requires_action",
            Self::Processing => "processing",
            Self::RequiresCapture => "requires_capture",
            Self::Canceled => "canceled",
            Self::Succeeded => "succeeded",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for PaymentIntentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentIntentStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// A refund's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    Other(String),
}

impl RefundStatus {
    pub fn parse(s: &str) -> RefundStatus {
        match s {
            "pending" => Self::Pending,
            "requires_action" => Self::RequiresAction,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::RequiresAction => "requires_action",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RefundStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// Why the last attempt to pay failed (a declined card...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// A PaymentIntent, as much of it as we read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    /// For the page's Stripe.js (`confirmCardPayment`); never log it.
    #[serde(default)]
    pub client_secret: Option<String>,
    pub status: PaymentIntentStatus,
    /// In minor units (cents, Rappen).
    pub amount: i64,
    /// Lower case, as Stripe answers it (`chf`).
    pub currency: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: HashMap<String, String>,
    /// The charge of the last attempt (its id, whether the API sent the id or the object).
    #[serde(default, deserialize_with = "id_or_object")]
    pub latest_charge: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<PaymentError>,
    #[serde(default)]
    pub created: i64,
}

/// A refund, as much of it as we read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    /// In minor units.
    pub amount: i64,
    pub status: RefundStatus,
    #[serde(default)]
    pub currency: String,
    #[serde(default, deserialize_with = "id_or_object")]
    pub payment_intent: Option<String>,
    #[serde(default, deserialize_with = "id_or_object")]
    pub charge: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: HashMap<String, String>,
    #[serde(default)]
    pub created: i64,
}

/// Stripe's answer to a list request.
#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
}

/// A failed call to Stripe.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error. Nothing was done, except for a 5xx (unknown) and a 409
    /// (a request with the same idempotency key is still running).
    #[error("Stripe refused ({status}, {kind}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Api {
        /// The HTTP status (402 for a declined card, 400, 404...).
        status: u16,
        /// `card_error`, `invalid_request_error`, `idempotency_error`, `api_error`...
        kind: String,
        /// `card_declined`, `payment_intent_unexpected_state`, `resource_missing`...
        code: Option<String>,
        decline_code: Option<String>,
        param: Option<String>,
        message: String,
    },
    /// The connection could not be made: the request was never sent.
    #[error("Stripe could not be reached: {0}")]
    Unreachable(String),
    /// The request was sent (or may have been) and no answer came: it may have been done.
    /// Repeat it with the same idempotency key, or look the object up.
    #[error("no answer from Stripe: {0}")]
    NoAnswer(String),
    /// An answer we could not read (status, what was wrong with it).
    #[error("unreadable answer from Stripe ({status}): {detail}")]
    Unreadable { status: u16, detail: String },
    /// Refused here, before sending (an id with characters no Stripe id has...).
    #[error("invalid request to Stripe: {0}")]
    Invalid(String),
}

impl StripeError {
    /// Whether the call may have changed something at Stripe although it failed: a POST that
    /// got no answer, an unreadable success, a 5xx, a 409 (a twin request still running). A
    /// POST repeated with the same idempotency key is then safe and answers the first one's
    /// outcome; without a key, look the object up before doing it again.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            StripeError::NoAnswer(_) => true,
            StripeError::Unreadable { status, .. } => *status < 400 || *status >= 500,
            StripeError::Api { status, .. } => *status >= 500 || *status == 409,
            StripeError::Unreachable(_) | StripeError::Invalid(_) => false,
        }
    }

    /// Whether trying again (with the same idempotency key) may succeed: no answer, 409, 429
    /// (rate limited), 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            StripeError::NoAnswer(_) | StripeError::Unreachable(_) => true,
            StripeError::Unreadable { status, .. } => *status >= 500,
            StripeError::Api { status, .. } => *status >= 500 || *status == 409 || *status == 429,
            StripeError::Invalid(_) => false,
        }
    }

    /// Stripe's error code (`card_declined`...), when Stripe answered one.
    pub fn code(&self) -> Option<&str> {
        match self {
            StripeError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, when Stripe answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            StripeError::Api { status, .. } | StripeError::Unreadable { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    param: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Stripe {
    /// `api_base` without `/v1` (`https://api.stripe.com`, localstripe's
    /// `http://127.0.0.1:8420`); `secret_key` the account's `sk_...` (or restricted `rk_...`).
    pub fn new(api_base: impl Into<String>, secret_key: impl Into<String>) -> Stripe {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("ticket-shop-reseller/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls and timeouts builds");
        Stripe {
            api_base: api_base.into().trim_end_matches('/').to_string(),
            secret_key: secret_key.into(),
            http,
        }
    }

    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// A PaymentIntent for a card payment of `amount` minor units (`currency` in lower case,
    /// `chf`), to be confirmed in the page by Stripe.js with its `client_secret`. Metadata:
    /// at most 50 keys of up to 40 characters, values up to 500 (Stripe's limits).
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &str,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        if amount <= 0 {
            return Err(StripeError::Invalid(format!("amount {amount}")));
        }
        let mut form = vec![
            ("amount".to_string(), amount.to_string()),
            ("currency".to_string(), currency.to_ascii_lowercase()),
            // rather than automatic_payment_methods (which localstripe does not take): the
            // page has a card element only
            ("payment_method_types[]".to_string(), "card".to_string()),
        ];
        push_metadata(&mut form, metadata);
        self.post("/v1/payment_intents", &form, Some(idempotency_key))
            .await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        check_id(id)?;
        self.get(&format!("/v1/payment_intents/{id}"), &[]).await
    }

    /// Confirms a PaymentIntent on the server with a payment method (`pm_card_visa`...): for
    /// tests and tools, the buyers' payments are confirmed by Stripe.js in their browser.
    /// A declined card answers [`StripeError::Api`] with status 402, code `card_declined`.
    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        payment_method: Option<&str>,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        check_id(id)?;
        let mut form = Vec::new();
        if let Some(pm) = payment_method {
            form.push(("payment_method".to_string(), pm.to_string()));
        }
        self.post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &form,
            Some(idempotency_key),
        )
        .await
    }

    /// Cancels a PaymentIntent that is not paid (Stripe answers 400
    /// `payment_intent_unexpected_state` for one that succeeded or is already canceled). The
    /// idempotency key is `cancel-{id}`, so a repeated cancel answers the first one's outcome.
    pub async fn cancel_payment_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        check_id(id)?;
        self.post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[],
            Some(&format!("cancel-{id}")),
        )
        .await
    }

    /// Refunds `amount` minor units of a paid PaymentIntent (partial refunds add up; Stripe
    /// refuses more than was paid). The same `idempotency_key` answers the same refund.
    pub async fn refund(
        &self,
        payment_intent_id: &str,
        amount: i64,
        idempotency_key: &str,
        metadata: &[(&str, &str)],
    ) -> Result<Refund, StripeError> {
        check_id(payment_intent_id)?;
        if amount <= 0 {
            return Err(StripeError::Invalid(format!("refund of {amount}")));
        }
        let mut form = vec![
            ("payment_intent".to_string(), payment_intent_id.to_string()),
            ("amount".to_string(), amount.to_string()),
        ];
        push_metadata(&mut form, metadata);
        self.post("/v1/refunds", &form, Some(idempotency_key)).await
    }

    /// Every refund of a PaymentIntent (newest first, as Stripe lists them).
    pub async fn list_refunds(&self, payment_intent_id: &str) -> Result<Vec<Refund>, StripeError> {
        check_id(payment_intent_id)?;
        let mut refunds: Vec<Refund> = Vec::new();
        // at most 100 pages of 100: more refunds than any payment of ours has
        for _ in 0..100 {
            let mut query = vec![
                ("payment_intent", payment_intent_id.to_string()),
                ("limit", "100".to_string()),
            ];
            if let Some(last) = refunds.last() {
                query.push(("starting_after", last.id.clone()));
            }
            let page: List<Refund> = self.get("/v1/refunds", &query).await?;
            let more = page.has_more && !page.data.is_empty();
            refunds.extend(page.data);
            if !more {
                return Ok(refunds);
            }
        }
        Err(StripeError::Unreadable {
            status: 200,
            detail: "more than 10,000 refunds".into(),
        })
    }

    /// localstripe only (`POST /_config/webhooks/{id}`; Stripe has no such endpoint, its
    /// webhooks are set up in the dashboard): sends the events whose type is in `events`
    /// (every event when empty) to `url`, signed with `secret`, about 1 s after they happen.
    /// Registering the same `id` again replaces it; localstripe forgets them when it stops.
    pub async fn register_localstripe_webhook(
        &self,
        id: &str,
        url: &str,
        secret: &str,
        events: &[&str],
    ) -> Result<(), StripeError> {
        check_id(id)?;
        let mut form = vec![
            ("url".to_string(), url.to_string()),
            ("secret".to_string(), secret.to_string()),
        ];
        for e in events {
            form.push(("events[]".to_string(), e.to_string()));
        }
        let resp = self
            .http
            .post(format!("{}/_config/webhooks/{id}", self.api_base))
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body = resp.bytes().await.unwrap_or_default();
        Err(api_error(status.as_u16(), &body))
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, StripeError> {
        let req = self
            .http
            .get(format!("{}{path}", self.api_base))
            .query(query);
        self.send(req).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.api_base))
            .form(form);
        if let Some(key) = idempotency_key {
            if key.is_empty() || key.len() > 255 {
                return Err(StripeError::Invalid(format!(
                    "idempotency key of {} characters",
                    key.len()
                )));
            }
            req = req.header("Idempotency-Key", key);
        }
        self.send(req).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let resp = req
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION)
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| StripeError::NoAnswer(format!("the answer ({status}) broke off: {e}")))?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&body).map_err(|e| StripeError::Unreadable {
                status,
                detail: e.to_string(),
            })
        } else {
            Err(api_error(status, &body))
        }
    }
}

fn push_metadata(form: &mut Vec<(String, String)>, metadata: &[(&str, &str)]) {
    for (k, v) in metadata {
        form.push((format!("metadata[{k}]"), v.to_string()));
    }
}

/// Stripe's ids are ASCII letters, digits and `_` (we let `-` through too, for localstripe's
/// webhook ids): anything else could change the URL's path.
fn check_id(id: &str) -> Result<(), StripeError> {
    if id.is_empty()
        || id.len() > 255
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(StripeError::Invalid(format!("id {id:?}")));
    }
    Ok(())
}

fn transport_error(e: reqwest::Error) -> StripeError {
    if e.is_connect() {
        // the connection was never made: nothing was sent
        StripeError::Unreachable(error_chain(&e))
    } else if e.is_builder() {
        StripeError::Invalid(error_chain(&e))
    } else {
        StripeError::NoAnswer(error_chain(&e))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn api_error(status: u16, body: &[u8]) -> StripeError {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error: e }) => StripeError::Api {
            status,
            kind: e.kind.unwrap_or_else(|| "api_error".into()),
            code: e.code,
            decline_code: e.decline_code,
            param: e.param,
            message: e.message.unwrap_or_default(),
        },
        Err(_) => StripeError::Unreadable {
            status,
            detail: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An expandable field: Stripe sends the id, or the object when expanded (localstripe always
/// sends the object for `latest_charge`).
fn id_or_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(id)) => Ok(Some(id)),
        Some(serde_json::Value::Object(o)) => match o.get("id") {
            Some(serde_json::Value::String(id)) => Ok(Some(id.clone())),
            _ => Err(D::Error::custom("an expanded object without an id")),
        },
        Some(other) => Err(D::Error::custom(format!("an id or an object, not {other}"))),
    }
}

/// A webhook's event, once its signature was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_...`: the same event may be delivered more than once.
    pub id: String,
    /// `payment_intent.succeeded`...
    pub type_: String,
    pub created: i64,
    pub livemode: bool,
    /// The object the event is about (`data.object`), as it was when the event happened.
    pub data_object: serde_json::Value,
}

impl Event {
    /// The PaymentIntent of a `payment_intent.*` event.
    pub fn payment_intent(&self) -> Option<PaymentIntent> {
        if !self.type_.starts_with("payment_intent.") {
            return None;
        }
        serde_json::from_value(self.data_object.clone()).ok()
    }
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    type_: String,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: RawEventData,
}

#[derive(Deserialize)]
struct RawEventData {
    object: serde_json::Value,
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("no webhook secret configured")]
    NoSecret,
    #[error("the Stripe-Signature header is missing or malformed")]
    MalformedHeader,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("no v1 signature matches")]
    SignatureMismatch,
    #[error("the signature's timestamp is {age_secs} s old (tolerance {tolerance_secs} s)")]
    TooOld { age_secs: i64, tolerance_secs: i64 },
    #[error("the signed payload is not an event: {0}")]
    InvalidPayload(String),
}

/// Checks a webhook as Stripe's libraries do, and reads its event: the header
/// (`Stripe-Signature: t=<unix time>,v1=<hex>,v1=<hex>,v0=...`) must have a timestamp and at
/// least one `v1` that is the HMAC-SHA256 with `secret` of `"{t}.{payload}"` (compared in
/// constant time; other schemes are ignored), and the timestamp may be at most
/// `tolerance_secs` older than `now_unix` (use [`DEFAULT_WEBHOOK_TOLERANCE_SECS`]; 0 or less
/// checks no age, as Stripe's libraries do). `payload` is the request body exactly as
/// received.
pub fn verify_webhook(
    payload: &[u8],
    signature_header: &str,
    secret: &str,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<Event, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<&str> = Vec::new();
    for item in signature_header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            return Err(WebhookError::MalformedHeader);
        };
        match key {
            "t" => {
                let t = value
                    .parse::<i64>()
                    .map_err(|_| WebhookError::MalformedHeader)?;
                if timestamp.replace(t).is_some() {
                    return Err(WebhookError::MalformedHeader);
                }
            }
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return Err(WebhookError::MalformedHeader);
    };
    if signatures.is_empty() {
        return Err(WebhookError::NoSignature);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    let matches = signatures.iter().any(|sig| match hex::decode(sig) {
        // verify_slice compares in constant time
        Ok(sig) => mac.clone().verify_slice(&sig).is_ok(),
        Err(_) => false,
    });
    if !matches {
        return Err(WebhookError::SignatureMismatch);
    }
    if tolerance_secs > 0 && now_unix - t > tolerance_secs {
        return Err(WebhookError::TooOld {
            age_secs: now_unix - t,
            tolerance_secs,
        });
    }
    let raw: RawEvent =
        serde_json::from_slice(payload).map_err(|e| WebhookError::InvalidPayload(e.to_string()))?;
    Ok(Event {
        id: raw.id,
        type_: raw.type_,
        created: raw.created,
        livemode: raw.livemode,
        data_object: raw.data.object,
    })
}

/// The `Stripe-Signature` header Stripe would send for `payload` at time `t` (for tests).
pub fn sign_webhook(payload: &[u8], secret: &str, t: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_780_000_000;

    fn event_json() -> Vec<u8> {
        serde_json::json!({
            "id": "evt_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": NOW - 2,
            "livemode": false,
            "data": {"object": {
                "id": "pi_1", "object": "payment_intent", "amount": 12000, "currency": "chf",
                "status": "succeeded", "client_secret": "pi_1_secret_x",
                "metadata": {"reseller": "r1"},
                "latest_charge": {"id": "ch_1", "object": "charge"}
            }}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_good_signature_gives_the_event() {
        let body = event_json();
        let header = sign_webhook(&body, SECRET, NOW - 2);
        let event = verify_webhook(&body, &header, SECRET, NOW, DEFAULT_WEBHOOK_TOLERANCE_SECS)
            .expect("valid");
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.type_, "payment_intent.succeeded");
        assert_eq!(event.data_object["id"], "pi_1");
        let pi = event.payment_intent().expect("a payment intent");
        assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
        assert_eq!(pi.latest_charge.as_deref(), Some("ch_1"));
        assert_eq!(pi.metadata.get("reseller").map(String::as_str), Some("r1"));
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let body = event_json();
        let header = sign_webhook(&body, SECRET, NOW);
        let mut tampered = body.clone();
        let i = tampered.len() / 2;
        tampered[i] ^= 1;
        assert_eq!(
            verify_webhook(&tampered, &header, SECRET, NOW, 300),
            Err(WebhookError::SignatureMismatch)
        );
        // the signature covers the timestamp too
        let other_t = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW - 1), 1);
        assert_eq!(
            verify_webhook(&body, &other_t, SECRET, NOW, 300),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn another_secret_is_refused() {
        let body = event_json();
        let header = sign_webhook(&body, "whsec_other", NOW);
        assert_eq!(
            verify_webhook(&body, &header, SECRET, NOW, 300),
            Err(WebhookError::SignatureMismatch)
        );
        assert_eq!(
            verify_webhook(&body, &header, "", NOW, 300),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn an_old_timestamp_is_refused() {
        let body = event_json();
        let header = sign_webhook(&body, SECRET, NOW - 301);
        assert_eq!(
            verify_webhook(&body, &header, SECRET, NOW, 300),
            Err(WebhookError::TooOld {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        // at the limit, and without a tolerance (as Stripe's libraries), it passes
        let header = sign_webhook(&body, SECRET, NOW - 300);
        assert!(verify_webhook(&body, &header, SECRET, NOW, 300).is_ok());
        let header = sign_webhook(&body, SECRET, NOW - 100_000);
        assert!(verify_webhook(&body, &header, SECRET, NOW, 0).is_ok());
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let body = event_json();
        let good = sign_webhook(&body, SECRET, NOW);
        let good_v1 = good.split_once(",v1=").expect("v1").1;
        let bad_v1 = sign_webhook(&body, "whsec_rolled", NOW)
            .split_once(",v1=")
            .expect("v1")
            .1
            .to_string();
        let header = format!("t={NOW},v1={bad_v1},v1=zz-not-hex,v0=abc,v1={good_v1}");
        assert!(verify_webhook(&body, &header, SECRET, NOW, 300).is_ok());
        // spaces after the commas are tolerated
        let header = format!("t={NOW}, v1={bad_v1}, v1={good_v1}");
        assert!(verify_webhook(&body, &header, SECRET, NOW, 300).is_ok());
        let header = format!("t={NOW},v1={bad_v1}");
        assert_eq!(
            verify_webhook(&body, &header, SECRET, NOW, 300),
            Err(WebhookError::SignatureMismatch)
        );
    }

    #[test]
    fn a_malformed_header_is_refused() {
        let body = event_json();
        let good = sign_webhook(&body, SECRET, NOW);
        let v1 = good.split_once(",v1=").expect("v1").1;
        for header in [
            "".to_string(),
            "garbage".to_string(),
            format!("v1={v1}"),
            format!("t=,v1={v1}"),
            format!("t=soon,v1={v1}"),
            format!("t={NOW},t={NOW},v1={v1}"),
            format!("t={NOW};v1={v1}"),
        ] {
            assert_eq!(
                verify_webhook(&body, &header, SECRET, NOW, 300),
                Err(WebhookError::MalformedHeader),
                "{header:?}"
            );
        }
        for header in [format!("t={NOW}"), format!("t={NOW},v0={v1}")] {
            assert_eq!(
                verify_webhook(&body, &header, SECRET, NOW, 300),
                Err(WebhookError::NoSignature),
                "{header:?}"
            );
        }
    }

    #[test]
    fn a_signed_body_that_is_no_event_is_refused() {
        let body = br#"{"hello": "world"}"#;
        let header = sign_webhook(body, SECRET, NOW);
        assert!(matches!(
            verify_webhook(body, &header, SECRET, NOW, 300),
            Err(WebhookError::InvalidPayload(_))
        ));
    }

    #[test]
    fn payment_intents_read_from_stripe_and_localstripe() {
        let stripe: PaymentIntent = serde_json::from_value(serde_json::json!({
            "id": "pi_1", "object": "payment_intent", "amount": 500, "currency": "chf",
            "status": "requires_payment_method", "client_secret": "pi_1_secret_x",
            "metadata": {}, "latest_charge": "ch_1", "payment_method": null,
            "last_payment_error": {"code": "card_declined", "decline_code": "generic_decline",
                                   "message": "Your card was declined.", "type": "card_error"},
            "created": 1
        }))
        .expect("Stripe's shape");
        assert_eq!(stripe.latest_charge.as_deref(), Some("ch_1"));
        assert_eq!(
            stripe.last_payment_error.and_then(|e| e.decline_code),
            Some("generic_decline".into())
        );
        let local: PaymentIntent = serde_json::from_value(serde_json::json!({
            "id": "pi_2", "amount": 500, "currency": "chf", "status": "requires_something_new",
            "metadata": null, "latest_charge": {"id": "ch_2", "amount": 500}
        }))
        .expect("localstripe's shape");
        assert_eq!(local.latest_charge.as_deref(), Some("ch_2"));
        assert_eq!(
            local.status,
            PaymentIntentStatus::Other("requires_something_new".into())
        );
        assert!(local.metadata.is_empty());
        assert_eq!(local.client_secret, None);
    }

    #[test]
    fn errors_say_whether_something_may_have_been_done() {
        let declined = api_error(
            402,
            br#"{"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}"#,
        );
        assert_eq!(declined.code(), Some("card_declined"));
        assert!(!declined.may_have_been_applied());
        assert!(!declined.is_retryable());
        assert!(api_error(500, br#"{"error": {"type": "api_error"}}"#).may_have_been_applied());
        let html = api_error(502, b"<html>Bad Gateway</html>");
        assert!(matches!(html, StripeError::Unreadable { status: 502, .. }));
        assert!(html.may_have_been_applied() && html.is_retryable());
        assert!(!api_error(404, b"{}").may_have_been_applied());
        assert!(StripeError::NoAnswer("timeout".into()).may_have_been_applied());
        assert!(!StripeError::Unreachable("refused".into()).may_have_been_applied());
    }

    #[test]
    fn ids_cannot_change_the_path() {
        for id in ["", "../v1/customers", "pi_1/cancel", "pi_1?x=1", "pi 1"] {
            assert!(
                matches!(check_id(id), Err(StripeError::Invalid(_))),
                "{id:?}"
            );
        }
        assert!(check_id("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
    }
}
