//! Clouds: where to sign in, where ARM and Graph live, which CA to trust, and the per-cloud
//! constants Backup needs.
//!
//! Azure public, US Government and China are built in; any other cloud (Azure Stack Hub, a
//! sovereign cloud, the sandbox started on its own) is described by its ARM endpoint, from which
//! [`Cloud::discover`] reads the metadata document every Azure tool uses.

use azure_core::http::Url;
use safehold_core::cloud::{CloudInfo, CloudKind};
use safehold_core::problem::MetadataDefect;
use safehold_core::{Advice, Error, ErrorCode, Problem};
use serde::Deserialize;

/// The public client id interactive sign-in uses unless a cloud is configured otherwise: the
/// Azure CLI's first-party application. It is what the official Azure Identity libraries use for
/// browser and device-code sign-in, it exists in every Entra tenant without registration, and it
/// is consented for Resource Manager, Graph, Key Vault and Storage on the user's behalf. An
/// organisation that wants its own app registration in sign-in logs sets its id per cloud.
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The Backup Management Service's application id in Azure public cloud.
pub const BACKUP_APP_ID_PUBLIC: &str = "262044b1-e2ce-469f-a196-69ab7ada62d3";
/// The Backup Management Service's application id in Azure US Government.
pub const BACKUP_APP_ID_US_GOVERNMENT: &str = "ff281ffe-705c-4f53-9f37-a40e6f2c68f3";

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
    /// Microsoft Graph endpoint.
    pub graph_endpoint: Url,
    /// The audience Graph tokens are requested for.
    pub graph_audience: String,
    /// Key Vault's DNS suffix (`vault.azure.net`).
    pub key_vault_suffix: String,
    /// Storage's DNS suffix (`core.windows.net`).
    pub storage_suffix: String,
    /// The Backup Management Service's application id, where it is published. Where it is
    /// not (Azure China, custom clouds), it is looked up in the tenant by display name.
    pub backup_app_id: Option<String>,
    /// The public client application interactive sign-in uses.
    pub public_client_id: String,
    /// A CA (PEM) trusted in addition to the system roots. Only the sandbox sets it.
    pub extra_trusted_ca_pem: Option<String>,
    /// How to reach the cloud: the system proxy, an explicit one, or none.
    pub proxy: crate::http::Proxy,
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("static URL")
}

impl Cloud {
    /// Azure public cloud.
    pub fn azure_public() -> Self {
        Self {
            kind: CloudKind::AzurePublic,
            name: "Azure".to_owned(),
            authority_host: url("https://login.microsoftonline.com"),
            arm_endpoint: url("https://management.azure.com"),
            arm_audience: "https://management.azure.com".to_owned(),
            graph_endpoint: url("https://graph.microsoft.com"),
            graph_audience: "https://graph.microsoft.com".to_owned(),
            key_vault_suffix: "vault.azure.net".to_owned(),
            storage_suffix: "core.windows.net".to_owned(),
            backup_app_id: Some(BACKUP_APP_ID_PUBLIC.to_owned()),
            public_client_id: AZURE_CLI_CLIENT_ID.to_owned(),
            extra_trusted_ca_pem: None,
            proxy: crate::http::Proxy::System,
        }
    }

    /// Azure US Government.
    pub fn azure_us_government() -> Self {
        Self {
            kind: CloudKind::AzureUsGovernment,
            name: "Azure US Government".to_owned(),
            authority_host: url("https://login.microsoftonline.us"),
            arm_endpoint: url("https://management.usgovcloudapi.net"),
            arm_audience: "https://management.usgovcloudapi.net".to_owned(),
            graph_endpoint: url("https://graph.microsoft.us"),
            graph_audience: "https://graph.microsoft.us".to_owned(),
            key_vault_suffix: "vault.usgovcloudapi.net".to_owned(),
            storage_suffix: "core.usgovcloudapi.net".to_owned(),
            backup_app_id: Some(BACKUP_APP_ID_US_GOVERNMENT.to_owned()),
            public_client_id: AZURE_CLI_CLIENT_ID.to_owned(),
            extra_trusted_ca_pem: None,
            proxy: crate::http::Proxy::System,
        }
    }

    /// Azure operated by 21Vianet. Microsoft does not publish the Backup Management Service's
    /// application id for it, so Safehold finds the service principal by its display name.
    pub fn azure_china() -> Self {
        Self {
            kind: CloudKind::AzureChina,
            name: "Azure China (21Vianet)".to_owned(),
            authority_host: url("https://login.chinacloudapi.cn"),
            arm_endpoint: url("https://management.chinacloudapi.cn"),
            arm_audience: "https://management.chinacloudapi.cn".to_owned(),
            graph_endpoint: url("https://microsoftgraph.chinacloudapi.cn"),
            graph_audience: "https://microsoftgraph.chinacloudapi.cn".to_owned(),
            key_vault_suffix: "vault.azure.cn".to_owned(),
            storage_suffix: "core.chinacloudapi.cn".to_owned(),
            backup_app_id: None,
            public_client_id: AZURE_CLI_CLIENT_ID.to_owned(),
            extra_trusted_ca_pem: None,
            proxy: crate::http::Proxy::System,
        }
    }

    /// The embedded sandbox at `arm_endpoint`, whose server certificate `ca_pem` signs.
    ///
    /// Tokens are requested for the public cloud's audiences, as the sandbox accepts them: the
    /// same scopes then work against both. Graph is served from the ARM origin.
    pub fn sandbox(arm_endpoint: Url, authority_host: Url, ca_pem: String) -> Self {
        Self {
            kind: CloudKind::Sandbox,
            name: "Sandbox".to_owned(),
            authority_host,
            graph_endpoint: arm_endpoint.clone(),
            arm_endpoint,
            arm_audience: "https://management.azure.com".to_owned(),
            graph_audience: "https://graph.microsoft.com".to_owned(),
            key_vault_suffix: "vault.azure.net".to_owned(),
            storage_suffix: "core.windows.net".to_owned(),
            backup_app_id: Some(BACKUP_APP_ID_PUBLIC.to_owned()),
            public_client_id: safehold_sandbox_public_client_id().to_owned(),
            extra_trusted_ca_pem: Some(ca_pem),
            // The sandbox is on loopback: a system proxy must not intercept it.
            proxy: crate::http::Proxy::None,
        }
    }

    /// A built-in cloud by kind; `None` for the sandbox and custom clouds, which need endpoints.
    pub fn builtin(kind: CloudKind) -> Option<Self> {
        match kind {
            CloudKind::AzurePublic => Some(Self::azure_public()),
            CloudKind::AzureUsGovernment => Some(Self::azure_us_government()),
            CloudKind::AzureChina => Some(Self::azure_china()),
            CloudKind::Sandbox | CloudKind::Custom => None,
        }
    }

    /// A custom cloud described by the metadata document at `arm_endpoint`
    /// (`/metadata/endpoints?api-version=2022-09-01`). `extra_ca_pem` is trusted in addition
    /// to the system roots, for clouds with a private CA.
    pub async fn discover(
        arm_endpoint: &str,
        extra_ca_pem: Option<String>,
        proxy: crate::http::Proxy,
    ) -> Result<Self, Error> {
        let arm = Url::parse(arm_endpoint.trim())
            .ok()
            .filter(|u| u.scheme() == "https" && u.host().is_some())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidInput,
                    Problem::NotAnHttpsAddress {
                        value: arm_endpoint.to_owned(),
                    },
                )
                .with_advice(Advice::EnterArmEndpoint)
            })?;
        let mut probe = Self::azure_public();
        probe.extra_trusted_ca_pem = extra_ca_pem.clone();
        probe.proxy = proxy.clone();
        let client = crate::http::reqwest_client(&probe)?;
        let mut metadata_url = arm.clone();
        metadata_url.set_path("/metadata/endpoints");
        metadata_url.set_query(Some("api-version=2022-09-01"));
        let unreachable = |e: reqwest::Error| {
            Error::new(
                ErrorCode::Network,
                Problem::MetadataUnreachable {
                    url: metadata_url.to_string(),
                },
            )
            .with_source(e)
        };
        let response = client
            .get(metadata_url.clone())
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(Error::new(
                ErrorCode::Network,
                Problem::MetadataRefused {
                    url: metadata_url.to_string(),
                    status: response.status().as_u16(),
                },
            )
            .with_advice(Advice::CheckMetadataAddress));
        }
        let body = response.bytes().await.map_err(unreachable)?;
        let mut cloud = Self::from_metadata(&arm, &body, extra_ca_pem)?;
        cloud.proxy = proxy;
        Ok(cloud)
    }

    /// Builds a custom cloud from a metadata document; malformed documents are refused with
    /// what is missing.
    pub fn from_metadata(
        arm_endpoint: &Url,
        document: &[u8],
        extra_ca_pem: Option<String>,
    ) -> Result<Self, Error> {
        let malformed = |defect: MetadataDefect, field: Option<&str>| {
            Error::new(
                ErrorCode::InvalidInput,
                Problem::MetadataUnusable {
                    defect,
                    field: field.map(str::to_owned),
                },
            )
            .with_advice(Advice::CheckMetadataAddress)
        };
        let m: Metadata = serde_json::from_slice(document)
            .map_err(|e| malformed(MetadataDefect::NotTheDocument, None).with_source(e))?;
        let https = |field: &str, value: &str| {
            Url::parse(value)
                .ok()
                .filter(|u| u.scheme() == "https")
                .ok_or_else(|| malformed(MetadataDefect::NotHttps, Some(field)))
        };
        let authority_host = https(
            "authentication.loginEndpoint",
            &m.authentication.login_endpoint,
        )?;
        let first_audience =
            m.authentication.audiences.first().ok_or_else(|| {
                malformed(MetadataDefect::Missing, Some("authentication.audiences"))
            })?;
        // Tokens are scoped by audience, not by where they are sent: a cloud that names Azure's
        // audience gets tokens Azure's Resource Manager accepts, whatever its login endpoint.
        // So the judgement is on the audience alone. (Azure Stack Hub with Entra ID signs in at
        // the public login endpoint yet has its own audience, and is fine.) Of the audiences a
        // document lists, the first one no other cloud owns is used; when every one belongs to
        // a built-in cloud whose Resource Manager this is not, the cloud is refused.
        let audience = m
            .authentication
            .audiences
            .iter()
            .find(|audience| foreign_owner(audience, arm_endpoint).is_none())
            .cloned()
            .ok_or_else(|| {
                let owner = foreign_owner(first_audience, arm_endpoint).unwrap_or_default();
                Error::new(
                    ErrorCode::InvalidInput,
                    Problem::CloudBorrowsAudience {
                        audience: first_audience.clone(),
                        owner,
                    },
                )
                .with_advice(Advice::UseTheCloudsOwnAudience)
            })?;
        let graph = m
            .microsoft_graph_resource_id
            .unwrap_or_else(|| "https://graph.microsoft.com/".to_owned());
        Ok(Self {
            kind: CloudKind::Custom,
            name: m
                .name
                .unwrap_or_else(|| arm_endpoint.host_str().unwrap_or("Custom cloud").to_owned()),
            authority_host,
            arm_endpoint: arm_endpoint.clone(),
            arm_audience: audience.trim_end_matches('/').to_owned(),
            graph_endpoint: https("microsoftGraphResourceId", &graph)?,
            graph_audience: graph.trim_end_matches('/').to_owned(),
            key_vault_suffix: m.suffixes.key_vault_dns.unwrap_or_default(),
            storage_suffix: m.suffixes.storage.unwrap_or_default(),
            backup_app_id: None,
            public_client_id: AZURE_CLI_CLIENT_ID.to_owned(),
            extra_trusted_ca_pem: extra_ca_pem,
            proxy: crate::http::Proxy::System,
        })
    }

    /// The scope for ARM access tokens.
    pub fn arm_scope(&self) -> String {
        format!("{}/.default", self.arm_audience.trim_end_matches('/'))
    }

    /// The scope for Microsoft Graph access tokens.
    pub fn graph_scope(&self) -> String {
        format!("{}/.default", self.graph_audience.trim_end_matches('/'))
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

/// The hosts of each built-in cloud's Resource Manager token audiences: the current one and the
/// classic `management.core.` one, which Entra ID still honours for the same service.
const BUILT_IN_AUDIENCE_HOSTS: [(CloudKind, &[&str]); 3] = [
    (
        CloudKind::AzurePublic,
        &["management.azure.com", "management.core.windows.net"],
    ),
    (
        CloudKind::AzureUsGovernment,
        &[
            "management.usgovcloudapi.net",
            "management.core.usgovcloudapi.net",
        ],
    ),
    (
        CloudKind::AzureChina,
        &[
            "management.chinacloudapi.cn",
            "management.core.chinacloudapi.cn",
        ],
    ),
];

/// The name of the built-in cloud that owns `audience`, unless `arm_endpoint` is that cloud's
/// own Resource Manager (its metadata legitimately names its own audience). An audience is
/// owned by host, so a path or a trailing slash does not make it another one.
fn foreign_owner(audience: &str, arm_endpoint: &Url) -> Option<String> {
    let host = Url::parse(audience.trim())
        .ok()?
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let (kind, _) = BUILT_IN_AUDIENCE_HOSTS
        .iter()
        .find(|(_, hosts)| hosts.contains(&host.as_str()))?;
    let owner = Cloud::builtin(*kind)?;
    let arm_host = arm_endpoint
        .host_str()
        .map(|host| host.trim_end_matches('.').to_ascii_lowercase());
    (arm_host.as_deref() != owner.arm_endpoint.host_str()).then_some(owner.name)
}

/// The public client id the sandbox registers for Safehold.
fn safehold_sandbox_public_client_id() -> &'static str {
    "5afe4010-da7a-4c1e-9b3d-5a4d0b0c1e11"
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    name: Option<String>,
    authentication: MetadataAuthentication,
    microsoft_graph_resource_id: Option<String>,
    #[serde(default)]
    suffixes: MetadataSuffixes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataAuthentication {
    login_endpoint: String,
    audiences: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataSuffixes {
    key_vault_dns: Option<String>,
    storage: Option<String>,
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
        assert_eq!(
            Cloud::azure_us_government().graph_scope(),
            "https://graph.microsoft.us/.default"
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

    #[test]
    fn backup_app_ids_are_known_where_published() {
        assert_eq!(
            Cloud::azure_public().backup_app_id.as_deref(),
            Some(BACKUP_APP_ID_PUBLIC)
        );
        assert_eq!(
            Cloud::azure_us_government().backup_app_id.as_deref(),
            Some(BACKUP_APP_ID_US_GOVERNMENT)
        );
        assert_eq!(Cloud::azure_china().backup_app_id, None);
    }

    fn metadata(login: &str, audiences: &[&str]) -> Vec<u8> {
        serde_json::json!({
            "name": "Test",
            "authentication": { "loginEndpoint": login, "audiences": audiences },
        })
        .to_string()
        .into_bytes()
    }

    fn borrowed(arm: &str, audiences: &[&str]) -> Option<(String, String)> {
        let arm = Url::parse(arm).unwrap();
        let doc = metadata("https://login.microsoftonline.com/", audiences);
        match Cloud::from_metadata(&arm, &doc, None) {
            Ok(_) => None,
            Err(error) => {
                assert_eq!(error.code, ErrorCode::InvalidInput);
                assert_eq!(error.advice, Advice::UseTheCloudsOwnAudience);
                match error.problem {
                    Problem::CloudBorrowsAudience { audience, owner } => Some((audience, owner)),
                    other => panic!("unexpected problem {other:?}"),
                }
            }
        }
    }

    #[test]
    fn a_custom_cloud_may_not_name_a_built_in_clouds_audience() {
        let evil = "https://management.evil.example";
        for (audience, owner) in [
            ("https://management.core.windows.net/", "Azure"),
            ("https://management.azure.com/", "Azure"),
            ("https://MANAGEMENT.azure.com", "Azure"),
            ("https://management.azure.com/some/path", "Azure"),
            (
                "https://management.usgovcloudapi.net/",
                "Azure US Government",
            ),
            (
                "https://management.core.usgovcloudapi.net/",
                "Azure US Government",
            ),
            (
                "https://management.chinacloudapi.cn/",
                "Azure China (21Vianet)",
            ),
            (
                "https://management.core.chinacloudapi.cn/",
                "Azure China (21Vianet)",
            ),
        ] {
            assert_eq!(
                borrowed(evil, &[audience]),
                Some((audience.to_owned(), owner.to_owned())),
                "{audience}"
            );
        }
        // Every audience listed belongs to another cloud.
        assert_eq!(
            borrowed(
                evil,
                &[
                    "https://management.core.windows.net/",
                    "https://management.azure.com/"
                ]
            ),
            Some((
                "https://management.core.windows.net/".to_owned(),
                "Azure".to_owned()
            ))
        );
    }

    #[test]
    fn a_built_in_clouds_own_metadata_and_its_own_audiences_are_accepted() {
        // Azure's own metadata, read as a custom cloud, is Azure.
        assert_eq!(
            borrowed(
                "https://management.azure.com",
                &[
                    "https://management.core.windows.net/",
                    "https://management.azure.com/"
                ]
            ),
            None
        );
        assert_eq!(
            borrowed(
                "https://management.usgovcloudapi.net/",
                &["https://management.core.usgovcloudapi.net/"]
            ),
            None
        );
        // Azure Stack Hub signs in at the public login endpoint with an audience of its own.
        assert_eq!(
            borrowed(
                "https://management.region.azurestack.contoso.com",
                &[
                    "https://management.contoso.onmicrosoft.com/4c9f7f4e-5d8f-4f57-8a3a-9b2b1f0e6d21"
                ]
            ),
            None
        );
    }

    #[test]
    fn of_several_audiences_the_clouds_own_is_used() {
        let arm = Url::parse("https://127.0.0.1:8443").unwrap();
        let doc = metadata(
            "https://127.0.0.1:8443",
            &[
                "https://management.azure.com/",
                "https://management.core.windows.net/",
                "https://127.0.0.1:8443/",
            ],
        );
        let cloud = Cloud::from_metadata(&arm, &doc, None).unwrap();
        assert_eq!(cloud.arm_scope(), "https://127.0.0.1:8443/.default");
    }

    #[test]
    fn metadata_makes_a_custom_cloud_and_malformed_metadata_says_what_is_wrong() {
        let arm = Url::parse("https://management.local.azurestack.external").unwrap();
        let doc = br#"{"name":"AzureStackUser","authentication":{"loginEndpoint":"https://login.local/","audiences":["https://management.adfs.local/abc"]},
            "microsoftGraphResourceId":"https://graph.local/","suffixes":{"keyVaultDns":"vault.local","storage":"local"}}"#;
        let cloud = Cloud::from_metadata(&arm, doc, None).unwrap();
        assert_eq!(cloud.kind, CloudKind::Custom);
        assert_eq!(cloud.name, "AzureStackUser");
        assert_eq!(
            cloud.arm_scope(),
            "https://management.adfs.local/abc/.default"
        );
        assert_eq!(cloud.key_vault_suffix, "vault.local");
        assert_eq!(cloud.backup_app_id, None);

        for (doc, defect, field) in [
            (
                &b"<html>portal</html>"[..],
                MetadataDefect::NotTheDocument,
                None,
            ),
            (
                br#"{"authentication":{"loginEndpoint":"http://login.local","audiences":["a"]}}"#,
                MetadataDefect::NotHttps,
                Some("authentication.loginEndpoint"),
            ),
            (
                br#"{"authentication":{"loginEndpoint":"https://login.local","audiences":[]}}"#,
                MetadataDefect::Missing,
                Some("authentication.audiences"),
            ),
        ] {
            let error = Cloud::from_metadata(&arm, doc, None).unwrap_err();
            assert_eq!(
                error.problem,
                Problem::MetadataUnusable {
                    defect,
                    field: field.map(str::to_owned)
                }
            );
            assert_eq!(error.advice, Advice::CheckMetadataAddress);
        }
    }
}
