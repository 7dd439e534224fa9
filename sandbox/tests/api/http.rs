//! Platform rules of the sandbox, over real HTTP: auth, envelope, status codes, rate limits.

use std::sync::Arc;

use reqwest::StatusCode;
use sandbox::{Config, Sandbox};
use serde_json::{json, Value};

async fn start(config: Config) -> (Arc<Sandbox>, String) {
    let sb = Sandbox::new(config);
    let addr = sb.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    (sb, format!("http://{addr}"))
}

async fn token(base: &str, operator: &str) -> String {
    let r: Value = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}/tnai/backend-apis/v1/auth"))
        .json(&json!({"operator": operator, "partner": "tests", "secret": "sandbox"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_string()
}

async fn post(base: &str, token: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

const POS_CONFIG: &str = "/tnseb/backend-apis/catalogService/v1_33/getPOSConfig";

#[tokio::test]
async fn auth_is_required_and_checked() {
    let (_sb, base) = start(Config::default()).await;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}{POS_CONFIG}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post(&base, "not-a-jwt", POS_CONFIG, json!({})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .post(format!("{base}/tnai/backend-apis/v1/auth"))
        .json(&json!({"operator": "MOSA_WEB", "secret": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let tok = token(&base, "MOSA_WEB").await;
    let v: Value = post(&base, &tok, POS_CONFIG, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["statusCode"], "success");
    assert_eq!(v["posConfigData"]["institCode"], "MOSA");
    // any version of the service is served
    let r = post(
        &base,
        &tok,
        "/tnseb/backend-apis/catalogService/v1_19/getPOSConfig",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn self_forged_jwt_is_accepted() {
    let (_sb, base) = start(Config::default()).await;
    let now = chrono::Utc::now().timestamp();
    let tok = sandbox::auth::issue("CUBE_WEB", "sandbox", Some("Partner 1"), now);
    let v: Value = post(&base, &tok, POS_CONFIG, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["posConfigData"]["institCode"], "CUBE");
}

#[tokio::test]
async fn the_61st_call_in_a_minute_is_refused_with_509() {
    let (_sb, base) = start(Config::default()).await;
    let tok = token(&base, "PLAY_WEB").await;
    for i in 0..60 {
        let r = post(&base, &tok, POS_CONFIG, json!({})).await;
        assert_eq!(r.status(), StatusCode::OK, "call {}", i + 1);
    }
    let r = post(&base, &tok, POS_CONFIG, json!({})).await;
    assert_eq!(r.status().as_u16(), 509);
    assert!(r.headers().get("retry-after").is_some());
    // counted per service: another service still answers
    let r = post(
        &base,
        &tok,
        "/tnseb/backend-apis/setupService/v1_33/listSeasons",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_status_can_be_429_and_catalog_detailed_is_once_per_10_minutes() {
    let (_sb, base) = start(Config {
        use_429: true,
        ..Config::default()
    })
    .await;
    let tok = token(&base, "MOSA_WEB").await;
    let path = "/tnseb/backend-apis/catalogService/v1_33/getCatalogDetailed";
    assert_eq!(
        post(&base, &tok, path, json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        post(&base, &tok, path, json!({})).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn malformed_requests_get_400_naming_the_field() {
    let (_sb, base) = start(Config::default()).await;
    let tok = token(&base, "CUBE_WEB").await;
    let path = "/tnseb/backend-apis/availabilityService/v1_33/getPerformanceAvailability";
    let r = post(
        &base,
        &tok,
        path,
        json!({"pointOfSalesId": 1, "performanceIds": ["x"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["statusDetail"]
            .as_str()
            .unwrap()
            .contains("performanceIds"),
        "{v}"
    );

    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .post(format!("{base}{path}"))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = post(
        &base,
        &tok,
        "/tnseb/backend-apis/catalogService/v1_33/noSuchMethod",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn business_errors_are_http_200_with_a_dotted_code() {
    let (_sb, base) = start(Config::default()).await;
    let tok = token(&base, "CUBE_WEB").await;
    let path = "/tnseb/backend-apis/availabilityService/v1_33/getPerformanceAvailability";
    let r = post(
        &base,
        &tok,
        path,
        json!({"pointOfSalesId": 1, "performanceIds": [1], "requestId": 42}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["statusCode"], "error.invalidParameter");
    assert_eq!(v["requestId"], 42);
}

#[tokio::test]
async fn admin_endpoint_is_off_without_its_token() {
    let (_sb, base) = start(Config::default()).await;
    let r = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .get(format!("{base}/__admin/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_sb, base) = start(Config {
        admin_token: Some("t0k".into()),
        ..Config::default()
    })
    .await;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let r = http
        .get(format!("{base}/__admin/faults"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .put(format!("{base}/__admin/faults"))
        .bearer_auth("t0k")
        .json(&json!({"outage": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tok = sandbox::auth::issue("CUBE_WEB", "sandbox", None, chrono::Utc::now().timestamp());
    assert_eq!(
        post(&base, &tok, POS_CONFIG, json!({})).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
