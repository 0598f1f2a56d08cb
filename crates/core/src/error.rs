//! One error type for the whole domain, classified by what the caller can do about it.
//!
//! The crate that knows what failed builds the [`Error`] and picks its [`ErrorCode`]; nobody
//! downstream matches on message text. [`AppError`] is the safe projection the UI receives:
//! it carries no source chain (that goes to the log) and never a token or secret.

use std::fmt;

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

    /// The default next step for this kind of failure, used when the failing layer has no
    /// more specific advice.
    pub fn default_suggestion(self) -> &'static str {
        match self {
            Self::Auth => "Sign in again; if it keeps failing, check the account's credentials.",
            Self::Forbidden => {
                "Ask an administrator for a role that allows this action, then retry."
            }
            Self::NotFound => "Refresh the view; the resource may have been deleted or moved.",
            Self::Throttled => "Wait a minute and retry; Azure is limiting the request rate.",
            Self::Network => "Check the network connection and proxy settings, then retry.",
            Self::InvalidInput => "Correct the highlighted value and try again.",
            Self::Conflict => "Refresh to see the current state, then try again.",
            Self::Cancelled => "Start the operation again when you are ready.",
            Self::Unavailable => {
                "Retry in a few minutes; the service reported a temporary failure."
            }
            Self::Internal => {
                "Retry; if it happens again, export a diagnostics bundle and report it."
            }
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A classified failure with the context support staff need.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// A sentence safe to show to the user. Never contains a token or secret.
    pub message: String,
    /// An action the user can take next.
    pub suggestion: String,
    /// The service's request or correlation id, when the failure came from a response.
    pub request_id: Option<String>,
    /// The underlying cause, for the log.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error with the code's default suggestion.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            suggestion: code.default_suggestion().to_owned(),
            request_id: None,
            source: None,
        }
    }

    /// Replaces the suggestion with more specific advice.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = suggestion.into();
        self
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

    /// The message followed by every cause in the chain, for logs.
    pub fn chain(&self) -> String {
        let mut out = self.message.clone();
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

/// The error as the UI receives it over IPC: code to branch on, a message and a suggestion to
/// show, and the request id behind a "details" toggle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// A sentence safe to show.
    pub message: String,
    /// What the user can do next.
    pub suggestion: String,
    /// The service's request id, if any.
    pub request_id: Option<String>,
}

impl From<&Error> for AppError {
    fn from(error: &Error) -> Self {
        Self {
            code: error.code,
            message: error.message.clone(),
            suggestion: error.suggestion.clone(),
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
        let error = Error::new(ErrorCode::NotFound, "Vault not found.")
            .with_request_id(Some("abc".into()))
            .with_source(std::io::Error::other("inner detail"));
        let json = serde_json::to_value(AppError::from(&error)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "notFound",
                "message": "Vault not found.",
                "suggestion": ErrorCode::NotFound.default_suggestion(),
                "requestId": "abc",
            })
        );
    }

    #[test]
    fn chain_lists_every_cause_for_the_log() {
        let error = Error::new(ErrorCode::Network, "Could not reach Azure.")
            .with_source(std::io::Error::other("connection refused"));
        assert_eq!(error.chain(), "Could not reach Azure.: connection refused");
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
