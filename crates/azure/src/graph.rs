//! Microsoft Graph: the tenant's service principals, through the same pipeline as ARM
//! (retries, bearer tokens for the cloud's Graph audience, redacted logs).

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use safehold_core::inventory::{DirectoryKind, DirectoryName};
use safehold_core::ports::DirectoryApi;
use safehold_core::{Error, ErrorCode, Problem, Service};

use crate::{ArmClient, Cloud};

/// Microsoft Graph for one tenant.
pub struct GraphClient {
    inner: ArmClient,
}

impl GraphClient {
    /// A client for `cloud`'s Graph endpoint, authorised by `credential`.
    pub fn new(cloud: &Cloud, credential: Arc<dyn TokenCredential>) -> Result<Self, Error> {
        Ok(Self {
            inner: ArmClient::for_service(
                cloud,
                credential,
                cloud.graph_endpoint.clone(),
                cloud.graph_scope(),
                Service::Graph,
            )?,
        })
    }
}

#[derive(serde::Deserialize)]
struct Principals {
    #[serde(default)]
    value: Vec<Principal>,
}

#[derive(serde::Deserialize)]
struct Principal {
    id: String,
}

#[derive(serde::Deserialize)]
struct Objects {
    #[serde(default)]
    value: Vec<Object>,
}

#[derive(serde::Deserialize)]
struct Object {
    id: String,
    #[serde(rename = "@odata.type", default)]
    kind: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
}

/// Graph takes at most this many ids per `getByIds`.
const IDS_PER_REQUEST: usize = 1_000;

#[async_trait::async_trait]
impl DirectoryApi for GraphClient {
    #[tracing::instrument(skip_all, fields(app_id = %app_id))]
    async fn service_principal_by_app_id(&self, app_id: &str) -> Result<Option<String>, Error> {
        if uuid::Uuid::parse_str(app_id).is_err() {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                Problem::NotAnApplicationId {
                    value: app_id.to_owned(),
                },
            ));
        }
        let mut url = self
            .inner
            .endpoint()
            .join("/v1.0/servicePrincipals")
            .map_err(Error::internal)?;
        url.query_pairs_mut()
            .append_pair("$filter", &format!("appId eq '{app_id}'"))
            .append_pair("$select", "id,appId,displayName");
        let response = self.inner.get(url).await?;
        let principals: Principals = serde_json::from_slice(response.body()).map_err(|e| {
            Error::new(
                ErrorCode::Internal,
                Problem::UnreadableAnswer {
                    service: Service::Graph,
                },
            )
            .with_source(e)
        })?;
        Ok(principals.value.into_iter().next().map(|p| p.id))
    }

    #[tracing::instrument(skip_all, fields(ids = ids.len()))]
    async fn names(&self, ids: &[String]) -> Result<Vec<DirectoryName>, Error> {
        let url = self
            .inner
            .endpoint()
            .join("/v1.0/directoryObjects/getByIds")
            .map_err(Error::internal)?;
        let batches = ids.chunks(IDS_PER_REQUEST).map(|batch| {
            let url = url.clone();
            async move {
                let body = serde_json::json!({
                    "ids": batch,
                    "types": ["user", "group", "servicePrincipal"],
                });
                let response = self.inner.post_read(url, &body).await?;
                serde_json::from_slice::<Objects>(response.body()).map_err(|e| {
                    Error::new(
                        ErrorCode::Internal,
                        Problem::UnreadableAnswer {
                            service: Service::Graph,
                        },
                    )
                    .with_source(e)
                })
            }
        });
        let found = futures::future::try_join_all(batches).await?;
        Ok(found
            .into_iter()
            .flat_map(|o| o.value)
            .map(|o| DirectoryName {
                kind: match o.kind.rsplit('.').next().unwrap_or_default() {
                    "user" => DirectoryKind::User,
                    "group" => DirectoryKind::Group,
                    "servicePrincipal" => DirectoryKind::ServicePrincipal,
                    _ => DirectoryKind::Other,
                },
                display_name: o.display_name.unwrap_or_else(|| o.id.clone()),
                id: o.id,
            })
            .collect())
    }
}
