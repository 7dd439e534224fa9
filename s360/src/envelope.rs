//! The result envelope every S-360 method returns, and the services' addresses.

use serde::{Deserialize, Serialize};

/// `statusCode` of a successful call.
pub const SUCCESS: &str = "success";
/// `statusCode` of an asynchronous computation still running: poll again with the same `requestId`.
pub const IN_PROGRESS: &str = "in_progress";
/// Stock is missing for an order line.
pub const ERROR_AVAILABILITY: &str = "error.order.availability";
/// The shipment was already sent.
pub const ERROR_SHIPMENT_SENT: &str = "error.shipmentSent";
/// A generic failure.
pub const FAILED: &str = "failed";
/// An unexpected server-side failure.
pub const ERROR_TECHNICAL: &str = "error.technical";
/// A request that names something that does not exist (OUR DESIGN).
pub const ERROR_NOT_FOUND: &str = "error.notFound";
/// A request whose parameters break a business rule (OUR DESIGN).
pub const ERROR_INVALID: &str = "error.invalidParameter";

/// `{statusCode, statusDetail, requestId, ...payload}`: the payload's fields sit beside the status.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub status_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    #[serde(flatten)]
    pub data: T,
}

impl<T> Envelope<T> {
    pub fn success(data: T, request_id: Option<i64>) -> Self {
        Envelope {
            status_code: SUCCESS.into(),
            status_detail: None,
            request_id,
            data,
        }
    }
}

impl<T: Default> Envelope<T> {
    pub fn error(code: &str, detail: impl Into<String>, request_id: Option<i64>) -> Self {
        Envelope {
            status_code: code.into(),
            status_detail: Some(detail.into()),
            request_id,
            data: T::default(),
        }
    }
}

/// Only the status part, to read an envelope whatever its payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub status_code: String,
    #[serde(default)]
    pub status_detail: Option<String>,
    #[serde(default)]
    pub request_id: Option<i64>,
}

/// A backend service: its module, REST name and the version we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Catalog,
    Setup,
    Availability,
    ExternalOrderFacade,
    ExternalOrder,
    OrderHistory,
    Contact,
    Shipment,
    Production,
    AccessControl,
}

impl Service {
    pub const ALL: [Service; 10] = [
        Service::Catalog,
        Service::Setup,
        Service::Availability,
        Service::ExternalOrderFacade,
        Service::ExternalOrder,
        Service::OrderHistory,
        Service::Contact,
        Service::Shipment,
        Service::Production,
        Service::AccessControl,
    ];

    /// The `tn*` module that hosts the service.
    pub fn module(self) -> &'static str {
        match self {
            Service::Contact => "tnco",
            Service::Shipment | Service::Production => "tnpsb",
            Service::AccessControl => "tnci",
            _ => "tnseb",
        }
    }

    /// The service's name in REST paths.
    pub fn name(self) -> &'static str {
        match self {
            Service::Catalog => "catalogService",
            Service::Setup => "setupService",
            Service::Availability => "availabilityService",
            Service::ExternalOrderFacade => "externalOrderFacade",
            Service::ExternalOrder => "externalOrderService",
            Service::OrderHistory => "externalOrderHistoryService",
            Service::Contact => "contactInformationPublicService",
            Service::Shipment => "shipmentPublicService",
            Service::Production => "productionPublicService",
            Service::AccessControl => "externalAccessControlService",
        }
    }

    /// The version this client speaks (the sandbox accepts any `v1_xx`/`v2_xx`).
    pub fn version(self) -> &'static str {
        match self {
            Service::OrderHistory => "v1_34",
            Service::Contact => "v2_21",
            Service::Shipment => "v1_18",
            Service::Production => "v1_0",
            Service::AccessControl => "v1_6",
            _ => "v1_33",
        }
    }

    /// `/{module}/backend-apis/{service}/{version}/{method}`
    pub fn path(self, method: &str) -> String {
        format!(
            "/{}/backend-apis/{}/{}/{}",
            self.module(),
            self.name(),
            self.version(),
            method
        )
    }

    /// Finds the service from the module and REST name of a path.
    pub fn from_path(module: &str, name: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.module() == module && s.name() == name)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_flattens_payload() {
        #[derive(Serialize, Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct P {
            last_setup_update: String,
        }
        let e = Envelope::success(
            P {
                last_setup_update: "x".into(),
            },
            Some(7),
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"statusCode":"success","requestId":7,"lastSetupUpdate":"x"})
        );
    }

    #[test]
    fn paths_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::from_path(s.module(), s.name()), Some(s));
        }
        assert_eq!(
            Service::Catalog.path("getPOSConfig"),
            "/tnseb/backend-apis/catalogService/v1_33/getPOSConfig"
        );
    }
}
