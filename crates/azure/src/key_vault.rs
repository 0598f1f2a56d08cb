//! Azure Key Vault's management plane: the vaults of a subscription with their access policies,
//! and adding to a vault's policies (`accessPolicies/add`, never a PUT of the whole list).

use safehold_core::ade::Permissions;
use safehold_core::inventory::{AccessPolicy, KeyVaultRecord, resource_id_segment};
use safehold_core::ports::KeyVaultApi;
use safehold_core::{Error, Problem, Service};
use serde_json::Value;

use crate::ArmClient;
use crate::json::{list, text};

const KEY_VAULT_API: &str = "2023-07-01";

fn permissions(entry: &Value) -> Permissions {
    let names = |pointer: &str| -> Vec<&str> {
        list(entry, pointer)
            .iter()
            .filter_map(Value::as_str)
            .collect()
    };
    Permissions::from_lists(names("/permissions/keys"), names("/permissions/secrets"))
}

/// A key vault from its JSON (list item or GET).
fn key_vault_from(vault: &Value, subscription_id: &str) -> Option<KeyVaultRecord> {
    let id = text(vault, "/id")?;
    let flag = |name: &str| {
        vault
            .pointer(&format!("/properties/{name}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    Some(KeyVaultRecord {
        name: text(vault, "/name")
            .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
        resource_group: resource_id_segment(&id, "resourceGroups")
            .unwrap_or_default()
            .to_owned(),
        subscription_id: resource_id_segment(&id, "subscriptions")
            .unwrap_or(subscription_id)
            .to_owned(),
        location: text(vault, "/location").unwrap_or_default(),
        tenant_id: text(vault, "/properties/tenantId").unwrap_or_default(),
        rbac_authorization: flag("enableRbacAuthorization"),
        enabled_for_disk_encryption: flag("enabledForDiskEncryption"),
        access_policies: list(vault, "/properties/accessPolicies")
            .iter()
            .map(|entry| AccessPolicy {
                tenant_id: text(entry, "/tenantId").unwrap_or_default(),
                object_id: text(entry, "/objectId").unwrap_or_default(),
                application_id: text(entry, "/applicationId"),
                permissions: permissions(entry),
            })
            .collect(),
        id,
    })
}

#[async_trait::async_trait]
impl KeyVaultApi for ArmClient {
    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_key_vaults(&self, subscription_id: &str) -> Result<Vec<KeyVaultRecord>, Error> {
        let path = format!("/subscriptions/{subscription_id}/providers/Microsoft.KeyVault/vaults");
        let vaults: Vec<Value> = self.list_all(self.url(&path, KEY_VAULT_API)?).await?;
        Ok(vaults
            .iter()
            .filter_map(|vault| key_vault_from(vault, subscription_id))
            .collect())
    }

    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn get_key_vault(&self, vault_id: &str) -> Result<KeyVaultRecord, Error> {
        let response = self.get(self.url(vault_id, KEY_VAULT_API)?).await?;
        let value: Value = serde_json::from_slice(response.body()).map_err(|e| {
            Error::new(
                safehold_core::ErrorCode::Internal,
                Problem::UnreadableAnswer {
                    service: Service::KeyVault,
                },
            )
            .with_source(e)
        })?;
        key_vault_from(&value, "").ok_or_else(|| {
            Error::new(
                safehold_core::ErrorCode::Internal,
                Problem::UnreadableAnswer {
                    service: Service::KeyVault,
                },
            )
        })
    }

    #[tracing::instrument(skip_all, fields(vault_id = %vault_id))]
    async fn add_access_policy(&self, vault_id: &str, entry: &AccessPolicy) -> Result<(), Error> {
        let body = serde_json::json!({"properties": {"accessPolicies": [{
            "tenantId": entry.tenant_id,
            "objectId": entry.object_id,
            "permissions": {
                "keys": entry.permissions.keys,
                "secrets": entry.permissions.secrets,
            }
        }]}});
        self.put_json(
            &format!("{}/accessPolicies/add", vault_id.trim_end_matches('/')),
            KEY_VAULT_API,
            &body,
        )
        .await
        .map(drop)
    }
}
