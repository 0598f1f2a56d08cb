//! The Azure Resource Manager client: list calls with `nextLink` paging, over one pipeline.
//!
//! Wire types here are this crate's own and read only the fields Safehold uses; unknown fields
//! are ignored so newer api-versions keep working.

use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, Method, Pipeline, PipelineSendOptions, RawResponse, Request,
    RetryOptions, Url,
};
use safehold_core::inventory::{Subscription, Tenant};
use safehold_core::ports::ResourceManagerApi;
use safehold_core::{Advice, Error, ErrorCode, Problem, Service};
use serde::Deserialize;

use crate::cloud::Cloud;
use crate::errors::{from_answer, from_azure, service_for_path};

const SUBSCRIPTIONS_API: &str = "2022-12-01";
/// A bound on `nextLink` chains, so a service that keeps answering with links cannot loop us.
const MAX_PAGES: usize = 10_000;

/// ARM over an azure_core pipeline with a bearer-token policy.
pub struct ArmClient {
    pipeline: Pipeline,
    /// The same, without retries: for requests that must not be repeated blindly.
    once: Pipeline,
    endpoint: Url,
    service: Service,
}

/// A page's items (its `nextLink` is read by [`NextLink`] first).
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
}

/// Only a page's `nextLink`; its items are skipped without being read.
#[derive(Deserialize)]
struct NextLink {
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionWire {
    subscription_id: String,
    display_name: Option<String>,
    state: Option<String>,
    tenant_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantWire {
    tenant_id: String,
    display_name: Option<String>,
    default_domain: Option<String>,
}

impl ArmClient {
    /// A client for `cloud`'s ARM endpoint, authorised by `credential`.
    pub fn new(cloud: &Cloud, credential: Arc<dyn TokenCredential>) -> Result<Self, Error> {
        Self::for_service(
            cloud,
            credential,
            cloud.arm_endpoint.clone(),
            cloud.arm_scope(),
            Service::ResourceManager,
        )
    }

    /// A client for another service of the cloud that speaks the same conventions (Graph).
    pub(crate) fn for_service(
        cloud: &Cloud,
        credential: Arc<dyn TokenCredential>,
        endpoint: Url,
        scope: String,
        service: Service,
    ) -> Result<Self, Error> {
        let options = crate::http::client_options(cloud)?;
        let auth: Arc<dyn Policy> =
            Arc::new(BearerTokenAuthorizationPolicy::new(credential, [scope]));
        // Requests that change something and are not idempotent (trigger a backup or a restore,
        // start a deployment) go through a pipeline that never re-sends them: after a timeout,
        // a reset or a 5xx the request may have reached the service, and a second one would
        // start a second job. The caller looks for the job or operation first.
        let once_options = ClientOptions {
            retry: RetryOptions::none(),
            ..options.clone()
        };
        let pipeline = Pipeline::new(
            Some(env!("CARGO_PKG_NAME")),
            Some(env!("CARGO_PKG_VERSION")),
            options,
            Vec::new(),
            vec![auth.clone()],
            None,
        );
        let once = Pipeline::new(
            Some(env!("CARGO_PKG_NAME")),
            Some(env!("CARGO_PKG_VERSION")),
            once_options,
            Vec::new(),
            vec![auth],
            None,
        );
        Ok(Self {
            pipeline,
            once,
            endpoint,
            service,
        })
    }

    /// The service's endpoint.
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub(crate) fn url(&self, path: &str, api_version: &str) -> Result<Url, Error> {
        let mut url = self.endpoint.join(path).map_err(|e| {
            Error::new(
                ErrorCode::InvalidInput,
                Problem::NotAResourcePath {
                    value: path.to_owned(),
                },
            )
            .with_source(e)
        })?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    /// GETs `url` and returns the body of a 2xx answer, or the classified ARM error.
    pub(crate) async fn get(&self, url: Url) -> Result<RawResponse, Error> {
        let mut request = Request::new(url, Method::Get);
        let response = self.send(&self.pipeline, &mut request).await?;
        self.success(response, &request)
    }

    /// Sends a request that must not be repeated blindly (`POST …/backup`, `…/restore`, a
    /// deployment `PUT`) exactly once: no retry on a timeout, a reset, a 5xx or a 429. A failure
    /// whose outcome is unknown says to look for the job before sending it again. `path` is
    /// relative to the ARM endpoint; a 2xx answer is returned whole (202s carry the headers to
    /// follow).
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: &serde_json::Value,
    ) -> Result<RawResponse, Error> {
        let mut request = self.json_request(method, path, api_version, body)?;
        let response = self
            .send(&self.once, &mut request)
            .await
            .map_err(|e| e.with_advice(Advice::LookBeforeResending))?;
        let status = u16::from(response.status());
        if response.status().is_success() {
            Ok(response)
        } else if status >= 500 {
            Err(self
                .error_from(&response, &request)
                .with_advice(Advice::LookBeforeResending))
        } else {
            Err(self.error_from(&response, &request))
        }
    }

    /// Sends an idempotent write (`PUT`) through the retrying pipeline; a 2xx answer or the
    /// classified error.
    pub(crate) async fn put_json(
        &self,
        path: &str,
        api_version: &str,
        body: &serde_json::Value,
    ) -> Result<RawResponse, Error> {
        let mut request = self.json_request(Method::Put, path, api_version, body)?;
        let response = self.send(&self.pipeline, &mut request).await?;
        self.success(response, &request)
    }

    /// POSTs `body` to `url` through the retrying pipeline, for requests that only read
    /// (Graph's `getByIds`); a 2xx answer or the classified error.
    pub(crate) async fn post_read(
        &self,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<RawResponse, Error> {
        let mut request = Self::with_json_body(Request::new(url, Method::Post), body)?;
        let response = self.send(&self.pipeline, &mut request).await?;
        self.success(response, &request)
    }

    /// Sends `request` through `pipeline`, leaving the status to the caller: any answer is
    /// `Ok`; only a transport or credential failure is an error.
    async fn send(&self, pipeline: &Pipeline, request: &mut Request) -> Result<RawResponse, Error> {
        pipeline
            .send(
                &Context::new(),
                request,
                Some(PipelineSendOptions {
                    skip_checks: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| from_azure(e, self.service))
    }

    /// A JSON request to `path` (relative to the endpoint) carrying `body`.
    fn json_request(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: &serde_json::Value,
    ) -> Result<Request, Error> {
        Self::with_json_body(Request::new(self.url(path, api_version)?, method), body)
    }

    /// `request` carrying `body` as JSON.
    fn with_json_body(mut request: Request, body: &serde_json::Value) -> Result<Request, Error> {
        request.insert_header("content-type", "application/json");
        request.set_body(serde_json::to_vec(body).map_err(Error::internal)?);
        Ok(request)
    }

    /// A 2xx answer as it is; any other as the classified error.
    fn success(&self, response: RawResponse, request: &Request) -> Result<RawResponse, Error> {
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.error_from(&response, request))
        }
    }

    /// The refusal in `response` to `request`, with what the service said as data. On the
    /// Resource Manager endpoint the refusing service is named by the request's provider.
    fn error_from(&self, response: &RawResponse, request: &Request) -> Error {
        let request_id = ["x-ms-correlation-request-id", "x-ms-request-id"]
            .into_iter()
            .find_map(|h| {
                response
                    .headers()
                    .get_optional_string(&azure_core::http::headers::HeaderName::from_static(h))
            });
        let service = match self.service {
            Service::ResourceManager => service_for_path(request.url().path()),
            other => other,
        };
        from_answer(service, response.status(), response.body(), request_id)
    }

    /// Follows `nextLink`s from `first` and collects every item.
    ///
    /// Pages are pipelined: the next page's address is skimmed from the current one (no
    /// allocation), the next page is requested, and the current one is read on the blocking
    /// pool while that request travels. A long chain then costs its round trips, not its round
    /// trips plus the reading of every page.
    pub(crate) async fn list_all<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, Error> {
        self.list_all_with(first, |body| {
            serde_json::from_slice::<Page<T>>(body).map(|page| page.value)
        })
        .await
    }

    /// [`Self::list_all`], with each page's items read by `read` from the page's bytes.
    pub(crate) async fn list_all_with<T: Send + 'static>(
        &self,
        first: Url,
        read: fn(&[u8]) -> Result<Vec<T>, serde_json::Error>,
    ) -> Result<Vec<T>, Error> {
        let service = self.service;
        let unreadable = |e: serde_json::Error| {
            Error::new(ErrorCode::Internal, Problem::UnreadableAnswer { service }).with_source(e)
        };
        let mut items = Vec::new();
        let mut response = Some(self.get(first).await?);
        let mut pages = 0;
        while let Some(current) = response.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::new(
                    ErrorCode::Internal,
                    Problem::TooManyPages { service },
                ));
            }
            let body = current.into_body();
            let link: NextLink = serde_json::from_slice(&body).map_err(unreadable)?;
            let next = link
                .next_link
                .filter(|l| !l.is_empty())
                .map(|l| self.next_link(&l))
                .transpose()?;
            let read = tokio::task::spawn_blocking(move || read(&body));
            let (page, following) = match next {
                Some(url) => {
                    let (page, following) = futures::join!(read, self.get(url));
                    (page, Some(following?))
                }
                None => (read.await, None),
            };
            let page = page.map_err(Error::internal)?.map_err(unreadable)?;
            items.extend(page);
            response = following;
        }
        Ok(items)
    }

    /// A `nextLink` must stay on the same origin: the bearer token must never be sent elsewhere.
    fn next_link(&self, link: &str) -> Result<Url, Error> {
        let service = self.service;
        let url = Url::parse(link).map_err(|e| {
            Error::new(ErrorCode::Internal, Problem::UnreadableAnswer { service }).with_source(e)
        })?;
        if url.origin() != self.endpoint.origin() {
            return Err(Error::new(
                ErrorCode::Internal,
                Problem::ForeignNextLink { service },
            ));
        }
        Ok(url)
    }
}

#[async_trait]
impl ResourceManagerApi for ArmClient {
    #[tracing::instrument(skip_all)]
    async fn list_tenants(&self) -> Result<Vec<Tenant>, Error> {
        let url = self.url("/tenants", SUBSCRIPTIONS_API)?;
        let wires: Vec<TenantWire> = self.list_all(url).await?;
        Ok(wires
            .into_iter()
            .map(|w| Tenant {
                display_name: w.display_name.unwrap_or_else(|| w.tenant_id.clone()),
                default_domain: w.default_domain.unwrap_or_default(),
                tenant_id: w.tenant_id,
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    async fn list_subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        let url = self.url("/subscriptions", SUBSCRIPTIONS_API)?;
        let wires: Vec<SubscriptionWire> = self.list_all(url).await?;
        Ok(wires
            .into_iter()
            .map(|w| Subscription {
                display_name: w.display_name.unwrap_or_else(|| w.subscription_id.clone()),
                state: w.state.unwrap_or_else(|| "Unknown".to_owned()),
                tenant_id: w.tenant_id.unwrap_or_default(),
                subscription_id: w.subscription_id,
            })
            .collect())
    }
}
