//! The Stripe client against a real localstripe process (the one scripts/common.sh installs
//! and patches: `LOCALSTRIPE_BIN`, or the venv in the cargo target dir), and against a tiny
//! recording server for what localstripe cannot show (headers, answers without a body...).
//!
//! Each test starts its own localstripe on a free loopback port, with `--from-scratch`, and
//! kills it at the end.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reseller::stripe::{
    verify_webhook, PaymentIntentStatus, RefundStatus, Stripe, StripeError, WebhookError,
    DEFAULT_WEBHOOK_TOLERANCE_SECS,
};

const KEY: &str = "sk_test_reseller";

/// A localstripe process, killed when dropped (its log printed if the test failed).
struct LocalStripe {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let mut log = String::new();
            if let Ok(mut f) = File::open(&self.log) {
                let _ = f.read_to_string(&mut log);
            }
            eprintln!("--- localstripe's log ({}):\n{log}", self.log.display());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn localstripe_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("LOCALSTRIPE_BIN") {
        // set: it must work (a wrong path fails the test rather than skipping it)
        return Some(PathBuf::from(bin));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("localstripe-venv/bin/localstripe");
    bin.exists().then_some(bin)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts localstripe, or answers None (the test is then skipped, loudly) when it is not
/// installed.
async fn localstripe() -> Option<LocalStripe> {
    let Some(bin) = localstripe_bin() else {
        eprintln!(
            "\n!!!!!! SKIPPED: localstripe is not installed (LOCALSTRIPE_BIN unset, no venv in \
             the target dir). scripts/test.sh installs it; or run \
             `source scripts/common.sh && ensure_localstripe` !!!!!!\n"
        );
        return None;
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    // another process may take the free port before localstripe does: a few tries
    for _ in 0..3 {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("reseller-localstripe-{port}.log"));
        let child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let mut ls = LocalStripe {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = ls.child.try_wait() {
                eprintln!(
                    "localstripe on port {port} stopped at once ({status}); trying another port"
                );
                break;
            }
            let ready = http
                .get(format!("{}/js.stripe.com/v3/", ls.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Some(ls);
            }
            assert!(
                Instant::now() < deadline,
                "localstripe did not answer on port {port} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("localstripe would not start")
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

#[tokio::test]
async fn a_payment_intent_confirmed_with_a_test_card_succeeds() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let pi = stripe
        .create_payment_intent(
            12000,
            "CHF",
            &[("reseller", "r1"), ("orders", "MOSA:17,CUBE:4")],
            "start-1",
        )
        .await
        .expect("created");
    assert!(pi.id.starts_with("pi_"), "{}", pi.id);
    assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
    assert_eq!((pi.amount, pi.currency.as_str()), (12000, "chf"));
    assert!(pi
        .client_secret
        .as_deref()
        .is_some_and(|s| s.starts_with(&format!("{}_secret_", pi.id))));
    assert_eq!(pi.metadata["orders"], "MOSA:17,CUBE:4");
    assert_eq!(pi.latest_charge, None);

    let again = stripe.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(again.id, pi.id);
    assert_eq!(again.metadata, pi.metadata);

    let paid = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-1")
        .await
        .expect("confirmed");
    assert_eq!(paid.status, PaymentIntentStatus::Succeeded);
    assert!(paid
        .latest_charge
        .as_deref()
        .is_some_and(|c| c.starts_with("ch_")));
    let read = stripe.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(read.status, PaymentIntentStatus::Succeeded);
    assert_eq!(read.latest_charge, paid.latest_charge);

    // paid: it can be neither confirmed again nor cancelled, and nothing was done
    let err = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-2")
        .await
        .expect_err("already paid");
    assert_eq!(err.code(), Some("payment_intent_unexpected_state"), "{err}");
    assert!(!err.may_have_been_applied());
    let err = stripe
        .cancel_payment_intent(&pi.id)
        .await
        .expect_err("paid");
    assert_eq!(err.status(), Some(400), "{err}");

    let err = stripe
        .retrieve_payment_intent("pi_doesnotexist")
        .await
        .expect_err("unknown");
    assert_eq!(err.status(), Some(404), "{err}");
}

#[tokio::test]
async fn a_declined_card_is_an_error_and_another_card_may_follow() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let pi = stripe
        .create_payment_intent(5000, "chf", &[], "start-1")
        .await
        .expect("created");
    // 4000000000000002
    let err = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa_chargeDeclined"), "confirm-1")
        .await
        .expect_err("declined");
    match &err {
        StripeError::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 402);
            assert_eq!(code.as_deref(), Some("card_declined"));
            assert_eq!(message, "Your card was declined.");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.may_have_been_applied() && !err.is_retryable());
    let read = stripe.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(read.status, PaymentIntentStatus::RequiresPaymentMethod);
    assert_eq!(
        read.last_payment_error.and_then(|e| e.code).as_deref(),
        Some("card_declined")
    );
    // the same key answers the same decline
    let replay = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa_chargeDeclined"), "confirm-1")
        .await
        .expect_err("declined again");
    assert_eq!(replay.code(), Some("card_declined"));

    // 4000000000000341
    let err = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_chargeCustomerFail"), "confirm-2")
        .await
        .expect_err("declined");
    assert_eq!(err.code(), Some("card_declined"), "{err}");

    let paid = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-3")
        .await
        .expect("another card");
    assert_eq!(paid.status, PaymentIntentStatus::Succeeded);
}

#[tokio::test]
async fn partial_refunds_add_up_and_are_listed() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let pi = stripe
        .create_payment_intent(12000, "chf", &[], "start-1")
        .await
        .expect("created");
    stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-1")
        .await
        .expect("paid");
    assert!(stripe.list_refunds(&pi.id).await.expect("list").is_empty());

    let first = stripe
        .refund(&pi.id, 2000, "refund-MOSA", &[("institution", "MOSA")])
        .await
        .expect("refunded");
    assert_eq!(first.amount, 2000);
    assert_eq!(first.status, RefundStatus::Succeeded);
    assert_eq!(first.currency, "chf");
    assert_eq!(first.payment_intent.as_deref(), Some(pi.id.as_str()));
    assert_eq!(first.metadata["institution"], "MOSA");
    // repeated with its key (a retry after no answer): the same refund, not a second one
    let retried = stripe
        .refund(&pi.id, 2000, "refund-MOSA", &[("institution", "MOSA")])
        .await
        .expect("replayed");
    assert_eq!(retried.id, first.id);
    // the same key for something else is refused
    let err = stripe
        .refund(&pi.id, 3000, "refund-MOSA", &[("institution", "MOSA")])
        .await
        .expect_err("other parameters");
    assert!(
        matches!(&err, StripeError::Api { status: 400, kind, .. } if kind == "idempotency_error"),
        "{err:?}"
    );

    let rest = stripe
        .refund(&pi.id, 10000, "refund-CUBE", &[("institution", "CUBE")])
        .await
        .expect("refunded");
    let refunds = stripe.list_refunds(&pi.id).await.expect("list");
    let mut ids: Vec<&str> = refunds.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let mut expected = vec![first.id.as_str(), rest.id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 12000);
    assert!(refunds.iter().all(|r| r.status == RefundStatus::Succeeded));
}

#[tokio::test]
async fn an_idempotency_key_reused_answers_the_same_intent() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let meta = [("reseller", "r1")];
    let a = stripe
        .create_payment_intent(3000, "chf", &meta, "start-same")
        .await
        .expect("created");
    let b = stripe
        .create_payment_intent(3000, "chf", &meta, "start-same")
        .await
        .expect("replayed");
    assert_eq!(a.id, b.id);
    assert_eq!(a.client_secret, b.client_secret);
    let err = stripe
        .create_payment_intent(3100, "chf", &meta, "start-same")
        .await
        .expect_err("another amount with the same key");
    assert_eq!(err.status(), Some(400), "{err}");
    let c = stripe
        .create_payment_intent(3000, "chf", &meta, "start-other")
        .await
        .expect("created");
    assert_ne!(a.id, c.id);
}

#[tokio::test]
async fn a_cancelled_intent_cannot_be_paid() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let pi = stripe
        .create_payment_intent(4000, "chf", &[], "start-1")
        .await
        .expect("created");
    let cancelled = stripe
        .cancel_payment_intent(&pi.id)
        .await
        .expect("cancelled");
    assert_eq!(cancelled.status, PaymentIntentStatus::Canceled);
    // a repeated cancel (same derived key) answers the first one's outcome
    let again = stripe
        .cancel_payment_intent(&pi.id)
        .await
        .expect("replayed");
    assert_eq!(again.status, PaymentIntentStatus::Canceled);
    let err = stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-1")
        .await
        .expect_err("cancelled");
    assert_eq!(err.code(), Some("payment_intent_unexpected_state"), "{err}");
    let read = stripe.retrieve_payment_intent(&pi.id).await.expect("read");
    assert_eq!(read.status, PaymentIntentStatus::Canceled);
}

#[tokio::test]
async fn a_webhook_brings_payment_intent_succeeded_signed() {
    let Some(ls) = localstripe().await else {
        return;
    };
    let stripe = Stripe::new(&ls.base, KEY);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Bytes)>();
    let app = axum::Router::new().route(
        "/stripe/webhook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let sig = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send((sig, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let secret = "whsec_reseller_test";
    stripe
        .register_localstripe_webhook(
            "reseller",
            &format!("http://{addr}/stripe/webhook"),
            secret,
            &["payment_intent.succeeded"],
        )
        .await
        .expect("registered");

    // a declined attempt first: its payment_intent.payment_failed is not for this hook
    let pi = stripe
        .create_payment_intent(12000, "chf", &[("reseller", "r1")], "start-1")
        .await
        .expect("created");
    stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa_chargeDeclined"), "confirm-1")
        .await
        .expect_err("declined");
    stripe
        .confirm_payment_intent(&pi.id, Some("pm_card_visa"), "confirm-2")
        .await
        .expect("paid");

    // localstripe sends it about 1 s after the payment
    let (sig, body) = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a webhook within 20 s")
        .expect("a delivery");
    let event = verify_webhook(
        &body,
        &sig,
        secret,
        now_unix(),
        DEFAULT_WEBHOOK_TOLERANCE_SECS,
    )
    .unwrap_or_else(|e| panic!("{e}: {sig}"));
    assert_eq!(event.type_, "payment_intent.succeeded");
    assert!(event.id.starts_with("evt_"));
    assert_eq!(event.data_object["id"], pi.id.as_str());
    let paid = event.payment_intent().expect("its payment intent");
    assert_eq!(paid.status, PaymentIntentStatus::Succeeded);
    assert_eq!(paid.amount, 12000);
    assert_eq!(paid.metadata["reseller"], "r1");
    assert_eq!(
        verify_webhook(&body, &sig, "whsec_other", now_unix(), 300),
        Err(WebhookError::SignatureMismatch)
    );
    // and no other delivery (the failed payment's event was not for this hook)
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rx.try_recv().is_err(), "an unexpected second delivery");
}

/// What localstripe cannot show: the headers and the form we send, and what a failure without
/// Stripe's answer becomes.
#[tokio::test]
async fn the_requests_carry_the_key_the_version_and_the_idempotency_key() {
    type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;
    let seen: Seen = Arc::default();
    let recorder = seen.clone();
    let app = axum::Router::new()
        .route(
            "/v1/payment_intents",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let recorder = recorder.clone();
                async move {
                    recorder.lock().expect("lock").push((headers, body));
                    (
                        StatusCode::OK,
                        r#"{"id": "pi_wire", "object": "payment_intent", "amount": 12000,
                           "currency": "chf", "status": "requires_payment_method",
                           "client_secret": "pi_wire_secret_x", "metadata": {"reseller": "r1"},
                           "latest_charge": null}"#,
                    )
                }
            }),
        )
        .route(
            "/v1/payment_intents/{id}",
            axum::routing::get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"error": {"type": "api_error", "message": "An unknown error occurred"}}"#,
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let stripe = Stripe::new(format!("http://{addr}/"), "sk_test_wire");
    let pi = stripe
        .create_payment_intent(12000, "CHF", &[("reseller", "r1")], "start-abc")
        .await
        .expect("created");
    assert_eq!(pi.id, "pi_wire");
    let (headers, body) = seen.lock().expect("lock").pop().expect("a request");
    assert_eq!(headers["authorization"], "Bearer sk_test_wire");
    assert_eq!(headers["idempotency-key"], "start-abc");
    assert_eq!(headers["stripe-version"], reseller::stripe::API_VERSION);
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(
        body,
        "amount=12000&currency=chf&payment_method_types%5B%5D=card&metadata%5Breseller%5D=r1"
    );

    let err = stripe
        .retrieve_payment_intent("pi_wire")
        .await
        .expect_err("500");
    assert!(
        matches!(err, StripeError::Api { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.may_have_been_applied() && err.is_retryable());

    // a server that takes the request and closes the connection without an answer
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let silent_addr = silent.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = silent.accept().await {
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).await;
            drop(conn);
        }
    });
    let err = Stripe::new(format!("http://{silent_addr}"), "sk_test_wire")
        .refund("pi_wire", 100, "refund-1", &[])
        .await
        .expect_err("no answer");
    assert!(matches!(err, StripeError::NoAnswer(_)), "{err:?}");
    assert!(err.may_have_been_applied());

    // nobody listening: nothing was sent
    let closed = free_port();
    let err = Stripe::new(format!("http://127.0.0.1:{closed}"), "sk_test_wire")
        .refund("pi_wire", 100, "refund-1", &[])
        .await
        .expect_err("unreachable");
    assert!(matches!(err, StripeError::Unreachable(_)), "{err:?}");
    assert!(!err.may_have_been_applied() && err.is_retryable());
}
