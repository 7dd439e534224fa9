//! Operator tokens from `/tnai/backend-apis/v1/auth`, refreshed before they expire, with at most
//! one refresh in flight (callers wait on the same lock instead of each logging in).

use std::time::{Duration, Instant};

use base64::Engine;
use tokio::sync::Mutex;

use super::{ClientConfig, Error};
use crate::model::auth::{AuthRequest, AuthResponse, AUTH_PATH};

/// Refresh this long before the token's `exp`.
const MARGIN: Duration = Duration::from_secs(30);

pub(crate) struct TokenManager {
    current: Mutex<Option<(String, Instant)>>,
}

impl TokenManager {
    pub fn new() -> Self {
        TokenManager {
            current: Mutex::new(None),
        }
    }

    pub async fn get(
        &self,
        http: &reqwest::Client,
        config: &ClientConfig,
    ) -> Result<String, Error> {
        let mut guard = self.current.lock().await;
        if let Some((tok, refresh_at)) = guard.as_ref() {
            if Instant::now() < *refresh_at {
                return Ok(tok.clone());
            }
        }
        let resp = http
            .post(format!("{}{}", config.base_url, AUTH_PATH))
            .json(&AuthRequest {
                operator: config.operator.clone(),
                partner: Some(config.partner.clone()),
                secret: config.secret.clone(),
            })
            .send()
            .await
            .map_err(|e| Error::Unavailable(format!("auth: {e}")))?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED
            || resp.status() == reqwest::StatusCode::FORBIDDEN
        {
            return Err(Error::Unauthorized);
        }
        if !resp.status().is_success() {
            return Err(Error::Unavailable(format!("auth: HTTP {}", resp.status())));
        }
        let AuthResponse { token } = resp
            .json()
            .await
            .map_err(|e| Error::Protocol(format!("auth: {e}")))?;
        let lifetime = lifetime_of(&token).unwrap_or(Duration::from_secs(60));
        let refresh_at =
            Instant::now() + lifetime.saturating_sub(MARGIN).max(Duration::from_secs(1));
        *guard = Some((token.clone(), refresh_at));
        Ok(token)
    }

    /// Forgets `token` (after a 401) unless another caller already replaced it.
    pub async fn invalidate(&self, token: &str) {
        let mut guard = self.current.lock().await;
        if guard.as_ref().is_some_and(|(t, _)| t == token) {
            *guard = None;
        }
    }
}

/// `exp - iat` read from the JWT payload (seconds or milliseconds).
fn lifetime_of(token: &str) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let norm = |x: i64| if x > 1_000_000_000_000 { x / 1000 } else { x };
    let iat = norm(v.get("iat")?.as_i64()?);
    let exp = norm(v.get("exp")?.as_i64()?);
    (exp > iat).then(|| Duration::from_secs((exp - iat) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lifetime() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"iat":100,"exp":400}"#);
        assert_eq!(
            lifetime_of(&format!("x.{payload}.y")),
            Some(Duration::from_secs(300))
        );
        assert_eq!(lifetime_of("garbage"), None);
    }
}
