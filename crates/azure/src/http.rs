//! The HTTP transport and client options shared by every Azure client.

use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use safehold_core::{Advice, Error, ErrorCode, Problem};

use crate::cloud::Cloud;

/// How requests reach a cloud.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "mode", content = "url")]
pub enum Proxy {
    /// The system's proxy settings (`HTTPS_PROXY`, `NO_PROXY`, …).
    #[default]
    System,
    /// This proxy, e.g. `http://proxy.contoso.com:8080`.
    Explicit(String),
    /// Direct connections only.
    None,
}

/// A reqwest client trusting the system roots plus the cloud's extra CA, if it has one, and
/// going through the cloud's proxy setting. It never follows redirects: Azure's APIs do not
/// send them, and a token must not be carried to another host.
pub(crate) fn reqwest_client(cloud: &Cloud) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120));
    builder = match &cloud.proxy {
        Proxy::System => builder,
        Proxy::None => builder.no_proxy(),
        Proxy::Explicit(url) => builder.proxy(reqwest::Proxy::all(url).map_err(|e| {
            Error::new(
                ErrorCode::InvalidInput,
                Problem::ProxyInvalid {
                    value: url.to_string(),
                },
            )
            .with_advice(Advice::EnterProxyAsUrl)
            .with_source(e)
        })?),
    };
    if let Some(pem) = &cloud.extra_trusted_ca_pem {
        let certs =
            reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(Error::internal)?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(Error::internal)
}

/// Client options for any azure_core or azure_identity client talking to `cloud`.
pub fn client_options(cloud: &Cloud) -> Result<ClientOptions, Error> {
    let mut custom = CustomConfiguration::default();
    custom.authority_host = cloud
        .authority_host
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let cloud_config: CloudConfiguration = custom.into();
    let retry = ExponentialRetryOptions {
        max_retries: 4,
        initial_delay: azure_core::time::Duration::milliseconds(500),
        max_total_elapsed: azure_core::time::Duration::seconds(45),
        ..ExponentialRetryOptions::default()
    };
    Ok(ClientOptions {
        transport: Some(Transport::new(Arc::new(reqwest_client(cloud)?))),
        cloud: Some(Arc::new(cloud_config)),
        retry: RetryOptions::exponential(retry),
        ..ClientOptions::default()
    })
}
