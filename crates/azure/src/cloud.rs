//! Cloud endpoints: where to sign in, where ARM lives, and what extra CA (if any) to trust.

use azure_core::http::Url;
use safehold_core::cloud::{CloudInfo, CloudKind};

/// Everything the clients need to know about one cloud.
#[derive(Clone, Debug)]
pub struct Cloud {
    /// Which cloud.
    pub kind: CloudKind,
    /// Display name.
    pub name: String,
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: Url,
    /// Azure Resource Manager endpoint, e.g. `https://management.azure.com`.
    pub arm_endpoint: Url,
    /// The audience ARM tokens are requested for (`{audience}/.default`).
    pub arm_audience: String,
    /// A CA (PEM) trusted in addition to the system roots. Only the sandbox sets it.
    pub extra_trusted_ca_pem: Option<String>,
}

impl Cloud {
    /// Azure public cloud.
    pub fn azure_public() -> Self {
        Self {
            kind: CloudKind::AzurePublic,
            name: "Azure".to_owned(),
            authority_host: Url::parse("https://login.microsoftonline.com").expect("static URL"),
            arm_endpoint: Url::parse("https://management.azure.com").expect("static URL"),
            arm_audience: "https://management.azure.com".to_owned(),
            extra_trusted_ca_pem: None,
        }
    }

    /// The embedded sandbox at `arm_endpoint`, whose server certificate `ca_pem` signs.
    ///
    /// Tokens are requested for the public cloud's ARM audience, as the sandbox accepts it: the
    /// same scopes then work against both.
    pub fn sandbox(arm_endpoint: Url, authority_host: Url, ca_pem: String) -> Self {
        Self {
            kind: CloudKind::Sandbox,
            name: "Sandbox".to_owned(),
            authority_host,
            arm_endpoint,
            arm_audience: "https://management.azure.com".to_owned(),
            extra_trusted_ca_pem: Some(ca_pem),
        }
    }

    /// The scope for ARM access tokens.
    pub fn arm_scope(&self) -> String {
        format!("{}/.default", self.arm_audience.trim_end_matches('/'))
    }

    /// What the UI shows about this cloud.
    pub fn info(&self) -> CloudInfo {
        CloudInfo {
            kind: self.kind,
            name: self.name.clone(),
            arm_endpoint: self.arm_endpoint.as_str().trim_end_matches('/').to_owned(),
            simulated: self.kind == CloudKind::Sandbox,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_scope_is_the_audience_with_default() {
        assert_eq!(
            Cloud::azure_public().arm_scope(),
            "https://management.azure.com/.default"
        );
    }

    #[test]
    fn only_the_sandbox_is_labelled_simulated() {
        assert!(!Cloud::azure_public().info().simulated);
        let url = Url::parse("https://127.0.0.1:1").unwrap();
        let sandbox = Cloud::sandbox(url.clone(), url, String::new());
        assert!(sandbox.info().simulated);
        assert_eq!(sandbox.info().arm_endpoint, "https://127.0.0.1:1");
    }
}
