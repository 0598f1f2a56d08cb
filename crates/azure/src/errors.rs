//! Classifying azure_core errors and ARM error responses into Safehold's error codes.

use azure_core::error::ErrorKind;
use azure_core::http::StatusCode;
use safehold_core::{Error, ErrorCode};

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

/// An azure_core error (transport or credential) as a Safehold error.
pub fn from_azure(error: azure_core::Error, service: &str) -> Error {
    let (code, message, suggestion) = match error.kind() {
        ErrorKind::Credential => (
            ErrorCode::Auth,
            format!("Signing in to {service} failed."),
            "Check the account's credentials and that the tenant is right, then sign in again.",
        ),
        ErrorKind::Connection | ErrorKind::Io => (
            ErrorCode::Network,
            format!("{service} could not be reached."),
            ErrorCode::Network.default_suggestion(),
        ),
        ErrorKind::DataConversion => (
            ErrorCode::Internal,
            format!("{service} sent an answer Safehold could not read."),
            ErrorCode::Internal.default_suggestion(),
        ),
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = code_for_status(*status);
            let detail = error_code.clone().unwrap_or_else(|| status.to_string());
            return Error::new(code, format!("{service} refused the request ({detail})."))
                .with_source(error);
        }
        _ => (
            ErrorCode::Internal,
            format!("A request to {service} failed unexpectedly."),
            ErrorCode::Internal.default_suggestion(),
        ),
    };
    Error::new(code, message)
        .with_suggestion(suggestion)
        .with_source(error)
}

/// Specific advice for well-known ARM error codes.
pub fn suggestion_for_arm_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "AuthorizationFailed" => {
            "Ask an administrator for a role with read access (for example Reader) on this scope, then refresh."
        }
        "InvalidAuthenticationToken" | "ExpiredAuthenticationToken" | "AuthenticationFailed" => {
            "Sign in again."
        }
        "InvalidAuthenticationTokenAudience" => {
            "Safehold asked for a token for the wrong service; check the cloud's endpoints in Settings."
        }
        "SubscriptionNotFound" => {
            "Check that the subscription exists and belongs to the signed-in tenant."
        }
        "InvalidApiVersionParameter" | "NoRegisteredProviderFound" => {
            "This cloud does not support the API version Safehold uses; check the cloud's endpoints."
        }
        "MissingSubscriptionRegistration" => {
            "Register the resource provider in the subscription (Subscriptions > Resource providers), then retry."
        }
        "InvalidAuthenticationTokenTenant" => {
            "The subscription belongs to another tenant: choose that tenant for this account in Accounts."
        }
        "BMSUserErrorBackupOperationInProgress" | "UserErrorBackupOperationInProgress" => {
            "A backup of this VM is already running: follow it in Jobs instead of starting another."
        }
        _ => return None,
    })
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
        let mapped = from_azure(error, "Sandbox");
        assert_eq!(mapped.code, ErrorCode::Auth);
        assert!(mapped.chain().contains("AADSTS7000215"));
    }

    #[test]
    fn connection_failures_are_network_errors() {
        let error = azure_core::Error::with_message(ErrorKind::Connection, "refused");
        assert_eq!(from_azure(error, "Azure").code, ErrorCode::Network);
    }
}
