//! Classifying azure_core errors and ARM error responses into Safehold's error codes.

use azure_core::error::ErrorKind;
use azure_core::http::StatusCode;
use safehold_core::{Advice, Error, ErrorCode, Problem, Service, ServiceError};

/// Code for an HTTP status from an Azure service.
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match u16::from(status) {
        401 => ErrorCode::Auth,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 | 412 => ErrorCode::Conflict,
        429 => ErrorCode::Throttled,
        400 | 405 | 413 | 415 | 422 => ErrorCode::InvalidInput,
        408 | 500..=599 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    }
}

/// The service a Resource Manager path belongs to, for naming who refused: Backup for Recovery
/// Services, Key Vault, Compute, Storage and networking by their providers; Resource Manager
/// for everything else.
pub fn service_for_path(path: &str) -> Service {
    let provider = path
        .split('/')
        .collect::<Vec<_>>()
        .windows(2)
        .rfind(|w| w[0].eq_ignore_ascii_case("providers"))
        .map(|w| w[1])
        .unwrap_or_default();
    const BY_PROVIDER: &[(&str, Service)] = &[
        ("Microsoft.RecoveryServices", Service::Backup),
        ("Microsoft.KeyVault", Service::KeyVault),
        ("Microsoft.Compute", Service::Compute),
        ("Microsoft.ClassicCompute", Service::Compute),
        ("Microsoft.Storage", Service::Storage),
        ("Microsoft.Network", Service::Network),
    ];
    BY_PROVIDER
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(provider))
        .map_or(Service::ResourceManager, |(_, service)| *service)
}

#[derive(serde::Deserialize)]
struct Envelope {
    error: Option<Body>,
}

/// The error body Resource Manager, Key Vault and Graph share: a code, a message, and inner
/// codes in `details` (ARM) or a chain of `innererror` (Key Vault, Graph).
#[derive(serde::Deserialize)]
struct Body {
    code: Option<String>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<Body>,
    #[serde(alias = "innerError")]
    innererror: Option<Box<Body>>,
}

impl Body {
    fn inner_codes(&self, into: &mut Vec<String>) {
        for inner in self.details.iter().chain(self.innererror.as_deref()) {
            into.extend(inner.code.clone());
            inner.inner_codes(into);
        }
    }
}

/// What a service said in a refusal, read from its error envelope. A body in another shape
/// (or none) still gives the status.
pub fn service_words(status: StatusCode, body: &[u8]) -> ServiceError {
    let parsed = serde_json::from_slice::<Envelope>(body)
        .ok()
        .and_then(|e| e.error);
    let mut said = ServiceError {
        status: Some(u16::from(status)),
        ..ServiceError::default()
    };
    if let Some(body) = parsed {
        body.inner_codes(&mut said.inner_codes);
        said.code = body.code;
        said.message = body.message;
    }
    said
}

/// A refusal from `service` (HTTP `status`, error envelope `body`) as a Safehold error.
pub fn from_answer(
    service: Service,
    status: StatusCode,
    body: &[u8],
    request_id: Option<String>,
) -> Error {
    Error::new(code_for_status(status), Problem::ServiceRefused { service })
        .with_service(service, service_words(status, body))
        .with_request_id(request_id)
}

/// Our own error inside an azure_core error (a credential of ours failed inside a pipeline),
/// copied out whole.
fn ours(error: &azure_core::Error) -> Option<Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = error
        .get_ref()
        .map(|e| e as &(dyn std::error::Error + 'static));
    while let Some(cause) = next {
        if let Some(found) = cause.downcast_ref::<Error>() {
            let mut copy = Error::new(found.code, found.problem.clone()).with_advice(found.advice);
            copy.service = found.service.clone();
            copy.request_id = found.request_id.clone();
            return Some(copy);
        }
        next = cause.source();
    }
    None
}

/// An azure_core error (transport or credential) as a Safehold error.
pub fn from_azure(error: azure_core::Error, service: Service) -> Error {
    if let Some(found) = ours(&error) {
        return found.with_source(error);
    }
    let (code, problem) = match error.kind() {
        ErrorKind::Credential => (ErrorCode::Auth, Problem::ServiceSignInFailed { service }),
        ErrorKind::Connection | ErrorKind::Io => {
            (ErrorCode::Network, Problem::ServiceUnreachable { service })
        }
        ErrorKind::DataConversion => (ErrorCode::Internal, Problem::UnreadableAnswer { service }),
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let said = ServiceError {
                status: Some(u16::from(*status)),
                code: error_code.clone(),
                ..ServiceError::default()
            };
            return Error::new(
                code_for_status(*status),
                Problem::ServiceRefused { service },
            )
            .with_service(service, said)
            .with_source(error);
        }
        _ => (ErrorCode::Internal, Problem::RequestFailed { service }),
    };
    if code == ErrorCode::Auth {
        // The identity service's answer, as azure_identity passes it on (AADSTS number and
        // description): its words, shown as such.
        let said = ServiceError {
            message: Some(error.to_string()),
            ..ServiceError::default()
        };
        return Error::new(code, problem)
            .with_service(Service::EntraId, said)
            .with_advice(Advice::CheckPrincipalDetails)
            .with_source(error);
    }
    Error::new(code, problem).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_what_the_user_can_do() {
        assert_eq!(code_for_status(StatusCode::Unauthorized), ErrorCode::Auth);
        assert_eq!(code_for_status(StatusCode::Forbidden), ErrorCode::Forbidden);
        assert_eq!(code_for_status(StatusCode::NotFound), ErrorCode::NotFound);
        assert_eq!(code_for_status(StatusCode::Conflict), ErrorCode::Conflict);
        assert_eq!(
            code_for_status(StatusCode::TooManyRequests),
            ErrorCode::Throttled
        );
        assert_eq!(
            code_for_status(StatusCode::BadRequest),
            ErrorCode::InvalidInput
        );
        assert_eq!(
            code_for_status(StatusCode::ServiceUnavailable),
            ErrorCode::Unavailable
        );
    }

    #[test]
    fn credential_failures_are_auth_errors() {
        let error =
            azure_core::Error::with_message(ErrorKind::Credential, "AADSTS7000215: bad secret");
        let mapped = from_azure(error, Service::ResourceManager);
        assert_eq!(mapped.code, ErrorCode::Auth);
        assert!(mapped.chain().contains("AADSTS7000215"));
    }

    #[test]
    fn connection_failures_are_network_errors() {
        let error = azure_core::Error::with_message(ErrorKind::Connection, "refused");
        assert_eq!(
            from_azure(error, Service::ResourceManager).code,
            ErrorCode::Network
        );
    }

    #[test]
    fn a_refusal_keeps_the_services_code_and_inner_codes_as_data() {
        let body = br#"{"error":{"code":"DeploymentFailed","message":"At least one resource failed.","details":[{"code":"Conflict","message":"x","details":[{"code":"RoleAssignmentExists"}]}]}}"#;
        let error = from_answer(
            Service::ResourceManager,
            StatusCode::Conflict,
            body,
            Some("req-1".into()),
        );
        assert_eq!(error.code, ErrorCode::Conflict);
        let (service, said) = error.service.as_deref().unwrap();
        assert_eq!(*service, Service::ResourceManager);
        assert_eq!(said.code.as_deref(), Some("DeploymentFailed"));
        assert_eq!(said.inner_codes, ["Conflict", "RoleAssignmentExists"]);
        assert_eq!(said.status, Some(409));
        assert!(error.service_code_is("roleassignmentexists"));
        assert_eq!(error.request_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn key_vaults_inner_error_chain_is_read() {
        let body = br#"{"error":{"code":"Forbidden","message":"no","innererror":{"code":"ForbiddenByPolicy"}}}"#;
        let error = from_answer(Service::KeyVault, StatusCode::Forbidden, body, None);
        assert!(error.service_code_is("ForbiddenByPolicy"));
    }

    #[test]
    fn a_body_in_another_shape_still_gives_the_status() {
        let error = from_answer(Service::Graph, StatusCode::BadGateway, b"<html>", None);
        assert_eq!(error.code, ErrorCode::Unavailable);
        assert_eq!(error.service.as_deref().unwrap().1.status, Some(502));
        assert_eq!(error.service.as_deref().unwrap().1.code, None);
    }

    #[test]
    fn paths_name_the_service_that_owns_them() {
        assert_eq!(
            service_for_path(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.RecoveryServices/vaults/v/backupJobs"
            ),
            Service::Backup
        );
        assert_eq!(
            service_for_path(
                "/subscriptions/s/resourceGroups/r/providers/microsoft.keyvault/vaults/kv/providers/Microsoft.Authorization/roleAssignments"
            ),
            Service::ResourceManager
        );
        assert_eq!(service_for_path("/subscriptions"), Service::ResourceManager);
    }
}
