//! The error every server function returns: a status, a message already in the buyer's
//! language, and the form's field errors. It is made once, at the edge, from the domain's
//! [`shop::Error`] (status and words come from there); pages show `message` and `fields` as
//! they are, with or without JavaScript, and never parse text.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppError {
    /// The HTTP status the server answered with (4xx: the buyer can change something).
    pub status: u16,
    /// What the buyer reads.
    pub message: String,
    /// Per form field (`first_name`, `main.town`): what is wrong with it.
    pub fields: Vec<(String, String)>,
}

impl AppError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        AppError {
            status,
            message: message.into(),
            fields: vec![],
        }
    }

    /// A fault of the shop itself (a missing context): 500, said plainly.
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::new(500, message)
    }

    /// The message of one field, if it has one.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let status = match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => 400,
            _ => 500,
        };
        AppError::new(status, value.to_string())
    }
}

/// The domain's refusal, in the language of the request being served. A script's call to a
/// server function is answered with the refusal's status (4xx for what the buyer can change);
/// a plain form post keeps Leptos' redirect back to its page, which shows the message, and a
/// page rendered on the server keeps its own status.
#[cfg(feature = "ssr")]
impl From<shop::Error> for AppError {
    fn from(e: shop::Error) -> Self {
        let lang = crate::context::request_lang();
        let status = e.status();
        if crate::context::is_server_function_call() && !crate::context::is_plain_form_post() {
            if let (Some(resp), Ok(code)) = (
                leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
                http::StatusCode::from_u16(status),
            ) {
                resp.set_status(code);
            }
        }
        AppError {
            status,
            message: e.message(lang),
            fields: e.fields().to_vec(),
        }
    }
}
