//! Operator authentication: the token endpoint and Bearer JWT verification (HS256, signed with
//! the operator's secret). Both forged and issued tokens are accepted, with `iat`/`exp` in
//! seconds or milliseconds and ±60 s of clock skew.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use s360::model::auth::{institution_of, Claims};

/// How long an issued token lives.
pub const TOKEN_TTL_SECS: i64 = 300;
const SKEW_SECS: i64 = 60;

/// Who a verified call comes from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub institution: String,
    pub operator: String,
}

pub fn issue(operator: &str, secret: &str, partner: Option<&str>, now_secs: i64) -> String {
    let claims = Claims {
        sub: institution_of(operator).to_string(),
        aud: operator.to_string(),
        iss: partner.map(str::to_string),
        iat: now_secs,
        exp: now_secs + TOKEN_TTL_SECS,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 encoding of plain claims cannot fail")
}

fn to_secs(v: i64) -> i64 {
    if v > 1_000_000_000_000 {
        v / 1000
    } else {
        v
    }
}

/// Verifies `token`; `secret_of` finds an operator's secret.
pub fn verify(
    token: &str,
    now_secs: i64,
    secret_of: impl Fn(&str) -> Option<String>,
) -> Option<Caller> {
    // Read the operator first (unverified) to know which secret signs it.
    let mut peek = Validation::new(Algorithm::HS256);
    peek.insecure_disable_signature_validation();
    peek.validate_exp = false;
    peek.validate_aud = false;
    peek.required_spec_claims.clear();
    let unverified =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(b""), &peek).ok()?;
    let secret = secret_of(&unverified.claims.aud)?;

    let mut strict = Validation::new(Algorithm::HS256);
    strict.validate_exp = false; // checked below: the platform accepts millis too
    strict.validate_aud = false;
    strict.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &strict,
    )
    .ok()?;
    let c = data.claims;
    let (iat, exp) = (to_secs(c.iat), to_secs(c.exp));
    if exp + SKEW_SECS < now_secs || iat - SKEW_SECS > now_secs || exp < iat {
        return None;
    }
    if !c.sub.eq_ignore_ascii_case(institution_of(&c.aud)) {
        return None;
    }
    Some(Caller {
        institution: c.sub.to_ascii_uppercase(),
        operator: c.aud,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(op: &str) -> Option<String> {
        (op == "MOSA_WEB").then(|| "sandbox".to_string())
    }

    #[test]
    fn issued_token_verifies() {
        let tok = issue("MOSA_WEB", "sandbox", Some("shop"), 1_000_000);
        let c = verify(&tok, 1_000_010, secrets).unwrap();
        assert_eq!(c.institution, "MOSA");
        assert!(verify(&tok, 1_000_000 + TOKEN_TTL_SECS + 61, secrets).is_none());
    }

    #[test]
    fn wrong_secret_or_operator_fails() {
        let tok = issue("MOSA_WEB", "nope", None, 1_000_000);
        assert!(verify(&tok, 1_000_000, secrets).is_none());
        let tok = issue("CUBE_WEB", "sandbox", None, 1_000_000);
        assert!(verify(&tok, 1_000_000, secrets).is_none());
        assert!(verify("garbage", 1_000_000, secrets).is_none());
    }

    #[test]
    fn millis_are_accepted() {
        let claims = Claims {
            sub: "MOSA".into(),
            aud: "MOSA_WEB".into(),
            iss: Some("Partner 1".into()),
            iat: 1_600_695_485_000,
            exp: 1_600_695_515_000,
        };
        let tok = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"sandbox"),
        )
        .unwrap();
        assert!(verify(&tok, 1_600_695_490, secrets).is_some());
    }
}
