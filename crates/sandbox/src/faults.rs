//! Fault injection: latency, throttling (at a rate, or ARM's token bucket), server errors and
//! connection resets before or after a request is processed.
//!
//! Faults wrap the whole router as a tower service, so a "reset" is a real dropped connection:
//! the service returns an error and hyper closes the connection without an answer. "After" means
//! the request was processed (a write took effect) and the answer was lost, the case a client
//! must handle by looking before it retries. Every injected fault is counted; tests read the
//! counters through the admin endpoint or [`crate::Sandbox::faults`].
//!
//! The Entra token endpoint and the admin endpoint are never faulted: the first is another
//! service in real Azure, the second is how tests turn faults off.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What to inject. Rates are probabilities per request, from 0 to 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultConfig {
    /// Fixed delay before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Extra random delay, uniform in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Share of requests answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` (seconds) sent with rate-based 429s.
    pub retry_after_secs: u64,
    /// Throttle like ARM's token bucket instead: per subscription and principal, 250 reads
    /// (25/s refill) and 200 writes (10/s refill).
    pub token_bucket: bool,
    /// Share of requests answered 500/503.
    pub server_error_rate: f64,
    /// Share of requests whose connection drops before they are processed.
    pub reset_before_rate: f64,
    /// Share of requests processed, then their connection drops before the answer.
    pub reset_after_rate: f64,
    /// Seed for the dice, so a run's faults can be reproduced; random when absent.
    pub seed: Option<u64>,
    /// Long-running operations report `InProgress` for this many seconds before they finish.
    pub slow_lro_secs: u64,
    /// Share of polls of an operation's status or result URL answered 404 for a moment.
    pub poll_not_found_rate: f64,
}

impl FaultConfig {
    fn check(&self) -> Result<(), String> {
        for (name, rate) in [
            ("throttleRate", self.throttle_rate),
            ("serverErrorRate", self.server_error_rate),
            ("resetBeforeRate", self.reset_before_rate),
            ("resetAfterRate", self.reset_after_rate),
            ("pollNotFoundRate", self.poll_not_found_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        Ok(())
    }
}

/// How many faults of each kind were injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultCounts {
    /// Requests delayed.
    pub delayed: u64,
    /// 429 answers.
    pub throttled: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Connections dropped before processing.
    pub resets_before: u64,
    /// Connections dropped after processing.
    pub resets_after: u64,
    /// Operation polls answered 404.
    pub poll_not_found: u64,
}

#[derive(Default)]
struct Counters {
    delayed: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    resets_before: AtomicU64,
    resets_after: AtomicU64,
    poll_not_found: AtomicU64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The live fault settings and counters, shared by the service and the admin endpoint.
pub struct Faults {
    config: RwLock<FaultConfig>,
    counters: Counters,
    buckets: Mutex<HashMap<String, Bucket>>,
    dice: Mutex<StdRng>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            config: RwLock::default(),
            counters: Counters::default(),
            buckets: Mutex::default(),
            dice: Mutex::new(StdRng::from_os_rng()),
        }
    }
}

fn dice_for(config: &FaultConfig) -> StdRng {
    config
        .seed
        .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64)
}

impl Faults {
    /// Faults configured as `config`.
    pub fn new(config: FaultConfig) -> Result<Self, String> {
        config.check()?;
        Ok(Self {
            dice: Mutex::new(dice_for(&config)),
            config: RwLock::new(config),
            ..Self::default()
        })
    }

    /// A uniform draw in `0..1`.
    fn roll(&self) -> f64 {
        self.dice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .random::<f64>()
    }

    /// A uniform draw in `0..=max`.
    fn roll_up_to(&self, max: u64) -> u64 {
        self.dice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .random_range(0..=max)
    }

    /// The current settings.
    pub fn config(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings (buckets start full again).
    pub fn set(&self, config: FaultConfig) -> Result<(), String> {
        config.check()?;
        *self
            .dice
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = dice_for(&config);
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        Ok(())
    }

    /// The counters so far.
    pub fn counts(&self) -> FaultCounts {
        let c = &self.counters;
        FaultCounts {
            delayed: c.delayed.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            server_errors: c.server_errors.load(Ordering::Relaxed),
            resets_before: c.resets_before.load(Ordering::Relaxed),
            resets_after: c.resets_after.load(Ordering::Relaxed),
            poll_not_found: c.poll_not_found.load(Ordering::Relaxed),
        }
    }

    /// Zeroes the counters.
    pub fn reset_counts(&self) {
        let c = &self.counters;
        for counter in [
            &c.delayed,
            &c.throttled,
            &c.server_errors,
            &c.resets_before,
            &c.resets_after,
            &c.poll_not_found,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// Takes a token for `key` from its bucket; `Err(seconds)` to wait when it is empty.
    fn take_token(&self, key: String, write: bool) -> Result<(), u64> {
        let (capacity, refill_per_sec) = if write { (200.0, 10.0) } else { (250.0, 25.0) };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill_per_sec).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / refill_per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// The decision for one request, made before it runs.
enum Decision {
    Pass,
    Throttle(u64),
    ServerError,
    ResetBefore,
    ResetAfter,
    PollNotFound,
}

fn exempt(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.starts_with(crate::admin::PREFIX)
        || lower.contains("/oauth2/")
        || lower.contains("/.well-known/")
}

/// The bucket a request draws from: its subscription and its caller, as ARM keys them.
fn bucket_key(request: &Request<Body>) -> String {
    let path = request.uri().path();
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let subscription = match (segments.next(), segments.next()) {
        (Some(first), Some(id)) if first.eq_ignore_ascii_case("subscriptions") => {
            id.to_ascii_lowercase()
        }
        _ => "tenant".to_owned(),
    };
    let caller = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.rsplit('.').next())
        .unwrap_or("anonymous");
    format!("{subscription}/{caller}")
}

fn decide(faults: &Faults, config: &FaultConfig, request: &Request<Body>) -> Decision {
    let write = !matches!(*request.method(), Method::GET | Method::HEAD);
    if config.token_bucket
        && let Err(wait) = faults.take_token(bucket_key(request), write)
    {
        return Decision::Throttle(wait);
    }
    let roll = |rate: f64| rate > 0.0 && faults.roll() < rate;
    let path = request.uri().path().to_ascii_lowercase();
    let is_poll = path.contains("/operationsstatus/") || path.contains("/operationresults/");
    if is_poll && roll(config.poll_not_found_rate) {
        return Decision::PollNotFound;
    }
    if roll(config.reset_before_rate) {
        Decision::ResetBefore
    } else if roll(config.throttle_rate) {
        Decision::Throttle(config.retry_after_secs.max(1))
    } else if roll(config.server_error_rate) {
        Decision::ServerError
    } else if roll(config.reset_after_rate) {
        Decision::ResetAfter
    } else {
        Decision::Pass
    }
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = json!({ "error": { "code": code, "message": message } }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The error a dropped connection is made of; hyper closes the connection on it.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by the sandbox's fault injection")]
pub struct InjectedReset;

/// The router wrapped with fault injection.
#[derive(Clone)]
pub struct FaultInjecting {
    inner: axum::Router,
    faults: Arc<Faults>,
}

impl FaultInjecting {
    /// Wraps `inner`.
    pub fn new(inner: axum::Router, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower::Service<Request<B>> for FaultInjecting
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response<Body>, BoxError>> + Send>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let request = request.map(Body::new);
        let inner = self.inner.clone();
        let faults = self.faults.clone();
        Box::pin(async move {
            use tower::ServiceExt as _;
            if exempt(request.uri().path()) {
                return Ok(inner.oneshot(request).await?);
            }
            let config = faults.config();
            let jitter = if config.jitter_ms > 0 {
                faults.roll_up_to(config.jitter_ms)
            } else {
                0
            };
            let delay = config.latency_ms + jitter;
            if delay > 0 {
                faults.counters.delayed.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let c = &faults.counters;
            match decide(&faults, &config, &request) {
                Decision::Pass => Ok(inner.oneshot(request).await?),
                Decision::Throttle(wait) => {
                    c.throttled.fetch_add(1, Ordering::Relaxed);
                    let mut response = arm_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "TooManyRequests",
                        "The request rate for this subscription and caller is over the limit. Retry after the number of seconds in Retry-After.",
                    );
                    response
                        .headers_mut()
                        .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(wait));
                    Ok(response)
                }
                Decision::ServerError => {
                    c.server_errors.fetch_add(1, Ordering::Relaxed);
                    let status = if faults.roll() < 0.5 {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    Ok(arm_error(
                        status,
                        "InternalServerError",
                        "The server had an internal error. Retry the request.",
                    ))
                }
                Decision::PollNotFound => {
                    c.poll_not_found.fetch_add(1, Ordering::Relaxed);
                    Ok(arm_error(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        "The operation was not found. It may not be visible yet; poll again.",
                    ))
                }
                Decision::ResetBefore => {
                    c.resets_before.fetch_add(1, Ordering::Relaxed);
                    Err(InjectedReset.into())
                }
                Decision::ResetAfter => {
                    let _processed = inner.oneshot(request).await?;
                    c.resets_after.fetch_add(1, Ordering::Relaxed);
                    Err(InjectedReset.into())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_outside_zero_to_one_are_refused() {
        let config = FaultConfig {
            throttle_rate: 1.5,
            ..FaultConfig::default()
        };
        assert!(Faults::new(config).is_err());
    }

    #[test]
    fn the_token_bucket_empties_and_names_the_wait() {
        let faults = Faults::default();
        for _ in 0..250 {
            assert!(faults.take_token("s/a".into(), false).is_ok());
        }
        assert_eq!(faults.take_token("s/a".into(), false), Err(1));
        // Another caller has its own bucket.
        assert!(faults.take_token("s/b".into(), false).is_ok());
    }
}
