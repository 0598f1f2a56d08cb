//! One error type for the whole domain, classified by what the caller can do about it.
//!
//! The crate that knows what failed builds the [`Error`]: its [`ErrorCode`], the [`Problem`]
//! and [`Advice`] the UI words, and what the service said as data ([`ServiceError`]); nobody
//! downstream matches on message text. [`AppError`] is the safe projection the UI receives.

use std::fmt;

use crate::problem::{Advice, Problem, Service};

/// What kind of failure happened, in terms of what the user or the UI can do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// Sign-in failed or the token was refused: sign in again or fix the credential.
    Auth,
    /// Signed in, but not allowed to do this: needs a role or permission.
    Forbidden,
    /// The resource does not exist (any more).
    NotFound,
    /// The service asked us to slow down; retrying later works.
    Throttled,
    /// The service could not be reached; retrying may work.
    Network,
    /// The request or a value in it was not valid.
    InvalidInput,
    /// The resource changed underneath us or already exists.
    Conflict,
    /// The user cancelled; the UI shows nothing.
    Cancelled,
    /// The service answered with a server-side failure; retrying may work.
    Unavailable,
    /// A bug or an answer we could not understand.
    Internal,
}

impl ErrorCode {
    /// Whether trying the same request again later can succeed without a change by the user.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Throttled | Self::Network | Self::Unavailable)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a service itself said when it refused a request: its own code as data (never
/// searched for in text), for the troubleshooting catalogue to branch on and for support staff.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ServiceError {
    /// The HTTP status, when the answer had one.
    pub status: Option<u16>,
    /// The service's symbolic code: ARM's `error.code`, Key Vault's `error.code`, Backup's
    /// `errorCode`, Entra ID's `error` (`invalid_grant`).
    pub code: Option<String>,
    /// Inner codes, outermost first: ARM's `details[].code`, Key Vault's `innererror.code`.
    pub inner_codes: Vec<String>,
    /// A numeric code: Backup's integer error code, or Entra ID's AADSTS number.
    pub number: Option<i32>,
    /// The service's own message, shown as its words.
    pub message: Option<String>,
}

impl ServiceError {
    /// Whether the service's code or any inner code is `code` (codes compare without case).
    pub fn has_code(&self, code: &str) -> bool {
        self.code
            .iter()
            .chain(&self.inner_codes)
            .any(|c| c.eq_ignore_ascii_case(code))
    }
}

/// A classified failure with the context support staff need.
#[derive(Debug, thiserror::Error)]
#[error("{problem}")]
pub struct Error {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What went wrong, as an id with parameters.
    pub problem: Problem,
    /// What the person can do next.
    pub advice: Advice,
    /// Which service refused, and what it said, when one did.
    pub service: Option<Box<(Service, ServiceError)>>,
    /// The service's request or correlation id, when the failure came from a response.
    pub request_id: Option<String>,
    /// The underlying cause, for the log.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error with the code's default advice.
    pub fn new(code: ErrorCode, problem: Problem) -> Self {
        Self {
            code,
            problem,
            advice: Advice::for_code(code),
            service: None,
            request_id: None,
            source: None,
        }
    }

    /// A cancellation: nothing to show but that it stopped.
    pub fn cancelled(problem: Problem) -> Self {
        Self::new(ErrorCode::Cancelled, problem)
    }

    /// Something inside Safehold failed; `source` goes to the log.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::new(ErrorCode::Internal, Problem::Internal).with_source(source)
    }

    /// Replaces the advice with more specific advice.
    #[must_use]
    pub fn with_advice(mut self, advice: Advice) -> Self {
        self.advice = advice;
        self
    }

    /// Attaches what the service said; its code picks the advice when it is a known one.
    #[must_use]
    pub fn with_service(mut self, service: Service, said: ServiceError) -> Self {
        if let Some(advice) = said.code.as_deref().and_then(Advice::for_service_code) {
            self.advice = advice;
        }
        self.service = Some(Box::new((service, said)));
        self
    }

    /// Whether the service answered with `code` (or has it among its inner codes).
    pub fn service_code_is(&self, code: &str) -> bool {
        self.service.as_ref().is_some_and(|s| s.1.has_code(code))
    }

    /// Attaches the service's request id.
    #[must_use]
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The problem, what the service said, and every cause in the chain, for logs.
    pub fn chain(&self) -> String {
        let mut out = self.problem.to_string();
        if let Some((service, said)) = self.service.as_deref() {
            out.push_str(&format!(" [{service}: {said:?}]"));
        }
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            out.push_str(": ");
            out.push_str(&cause.to_string());
            next = cause.source();
        }
        out
    }
}

/// The domain's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the service said, as the UI receives it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ServiceWords {
    /// Which service.
    pub service: Service,
    /// What it said.
    #[serde(flatten)]
    pub said: ServiceError,
}

/// The error as the UI receives it over IPC: a code to branch on, the problem and advice for
/// the UI to word, what the service said, and the request id behind a "details" toggle. No
/// source chain (that goes to the log), never a token or secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What went wrong.
    pub problem: Problem,
    /// What to do next.
    pub advice: Advice,
    /// What the service said, when one refused.
    pub service: Option<ServiceWords>,
    /// The service's request id, if any.
    pub request_id: Option<String>,
}

impl From<&Error> for AppError {
    fn from(error: &Error) -> Self {
        Self {
            code: error.code,
            problem: error.problem.clone(),
            advice: error.advice,
            service: error
                .service
                .as_deref()
                .map(|(service, said)| ServiceWords {
                    service: *service,
                    said: said.clone(),
                }),
            request_id: error.request_id.clone(),
        }
    }
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::from(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_error_serializes_in_camel_case_without_the_source() {
        let error = Error::new(ErrorCode::NotFound, Problem::VaultNotInInventory)
            .with_request_id(Some("abc".into()))
            .with_source(std::io::Error::other("inner detail"));
        let json = serde_json::to_value(AppError::from(&error)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "notFound",
                "problem": {"id": "vaultNotInInventory"},
                "advice": "refresh",
                "service": null,
                "requestId": "abc",
            })
        );
    }

    #[test]
    fn what_the_service_said_is_data_and_its_known_codes_pick_the_advice() {
        let error = Error::new(
            ErrorCode::Forbidden,
            Problem::ServiceRefused {
                service: Service::ResourceManager,
            },
        )
        .with_service(
            Service::ResourceManager,
            ServiceError {
                status: Some(403),
                code: Some("AuthorizationFailed".into()),
                inner_codes: vec!["Inner".into()],
                number: None,
                message: Some("The client has no permission.".into()),
            },
        );
        assert_eq!(error.advice, Advice::AskForReader);
        assert!(error.service_code_is("authorizationfailed"));
        assert!(error.service_code_is("INNER"));
        assert!(!error.service_code_is("Other"));
        let json = serde_json::to_value(AppError::from(&error)).unwrap();
        assert_eq!(json["service"]["service"], "resourceManager");
        assert_eq!(json["service"]["code"], "AuthorizationFailed");
        assert_eq!(json["service"]["innerCodes"][0], "Inner");
    }

    #[test]
    fn chain_lists_the_problem_what_the_service_said_and_every_cause_for_the_log() {
        let error = Error::new(
            ErrorCode::Network,
            Problem::ServiceUnreachable {
                service: Service::ResourceManager,
            },
        )
        .with_source(std::io::Error::other("connection refused"));
        assert_eq!(
            error.chain(),
            "ServiceUnreachable { service: ResourceManager }: connection refused"
        );
    }

    #[test]
    fn an_error_stays_small_enough_to_return_by_value() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn only_throttling_network_and_server_failures_are_transient() {
        let transient: Vec<_> = [
            ErrorCode::Auth,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Throttled,
            ErrorCode::Network,
            ErrorCode::InvalidInput,
            ErrorCode::Conflict,
            ErrorCode::Cancelled,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ]
        .into_iter()
        .filter(|c| c.is_transient())
        .collect();
        assert_eq!(
            transient,
            [
                ErrorCode::Throttled,
                ErrorCode::Network,
                ErrorCode::Unavailable
            ]
        );
    }
}
