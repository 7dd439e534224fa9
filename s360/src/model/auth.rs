//! `POST /tnai/backend-apis/v1/auth`.

use serde::{Deserialize, Serialize};

/// The path of the token endpoint.
pub const AUTH_PATH: &str = "/tnai/backend-apis/v1/auth";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthResponse {
    pub token: String,
}

/// The claims of an S-360 JWT: `sub` = institution, `aud` = virtual operator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    #[serde(default)]
    pub iss: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

/// The institution code of an operator (`MOSA_WEB` -> `MOSA`; a leading `C` of the
/// `CMOSA_HELLO` form is kept, as the real platform does not strip it either).
pub fn institution_of(operator: &str) -> &str {
    operator.split('_').next().unwrap_or(operator)
}
