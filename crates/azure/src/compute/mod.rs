//! Azure Compute: VMs (models, then instance views with `statusOnly=true`), classic VMs and
//! managed disks, each one list per subscription.
//!
//! Items are read one by one from the page's JSON: an item the service describes oddly
//! (a missing field, an unknown value, odd casing) becomes a record saying what could not be
//! read, and never fails the whole list.

mod wire;

use std::collections::HashMap;

use safehold_core::Error;
use safehold_core::ade::{
    AgentState, DiskKeys, DiskKind, ExtensionFacts, OsType, VaultObject, VmFacts,
};
use safehold_core::inventory::{DiskRecord, ReadProblem, VmRecord, resource_id_segment};
use safehold_core::ports::ComputeApi;
use serde_json::Value;

use crate::ArmClient;
use crate::json::text;
use wire::{Item, present};

const COMPUTE_API: &str = "2024-07-01";
const CLASSIC_COMPUTE_API: &str = "2016-04-01";
const DISKS_API: &str = "2024-03-02";

/// The BEK and KEK of an `encryptionSettings` object (VM model, instance view or disk).
fn keys_of(settings: &wire::EncryptionSettings) -> DiskKeys {
    fn vault(r: Option<&wire::IdRef>) -> Option<&str> {
        r.and_then(|v| present(v.id.as_ref()))
    }
    DiskKeys {
        secret: settings.disk_encryption_key.as_ref().and_then(|k| {
            present(k.secret_url.as_ref())
                .map(|url| VaultObject::new(url, vault(k.source_vault.as_ref())))
        }),
        key: settings.key_encryption_key.as_ref().and_then(|k| {
            present(k.key_url.as_ref())
                .map(|url| VaultObject::new(url, vault(k.source_vault.as_ref())))
        }),
    }
}

/// Lower-cased resource id, for joining lists.
fn key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

fn owned(text: Option<&String>) -> Option<String> {
    present(text).map(str::to_owned)
}

/// A VM's record from its model.
fn vm_from_model(model: &wire::Vm) -> VmRecord {
    let id = owned(model.id.as_ref()).unwrap_or_default();
    let mut problems = vec![];
    if id.is_empty() {
        problems.push(ReadProblem::NoId);
    }
    let storage = model
        .properties
        .as_ref()
        .and_then(|p| p.storage_profile.as_ref());
    let os_disk = storage.and_then(|s| s.os_disk.as_ref());
    let os = match os_disk.and_then(|d| present(d.os_type.as_ref())) {
        Some(t) if t.eq_ignore_ascii_case("windows") => Some(OsType::Windows),
        Some(t) if t.eq_ignore_ascii_case("linux") => Some(OsType::Linux),
        Some(other) => {
            problems.push(ReadProblem::UnknownOsType {
                value: other.to_owned(),
            });
            None
        }
        None => None,
    };
    let managed_id = |m: Option<&wire::IdRef>| m.and_then(|m| owned(m.id.as_ref()));
    let disks = match os_disk {
        Some(d) if managed_id(d.managed_disk.as_ref()).is_some() => Some(DiskKind::Managed),
        Some(d)
            if d.vhd
                .as_ref()
                .and_then(|v| present(v.uri.as_ref()))
                .is_some() =>
        {
            Some(DiskKind::Unmanaged)
        }
        _ => {
            problems.push(ReadProblem::UnknownDiskKind);
            None
        }
    };
    let model_keys = os_disk
        .and_then(|d| d.encryption_settings.as_ref())
        .filter(|s| s.enabled.unwrap_or(true))
        .map(keys_of);
    let managed_disk_ids = os_disk
        .and_then(|d| managed_id(d.managed_disk.as_ref()))
        .into_iter()
        .chain(
            storage
                .into_iter()
                .flat_map(|s| &s.data_disks)
                .filter_map(|d| managed_id(d.managed_disk.as_ref())),
        )
        .collect();
    // The model's `resources` name the extensions; their settings, when present, say more.
    let extensions = model
        .resources
        .iter()
        .filter_map(|r| {
            let properties = r.properties.as_ref();
            let kind = owned(properties.and_then(|p| p.kind.as_ref())).or_else(|| {
                present(r.id.as_ref()).and_then(|id| id.rsplit('/').next().map(str::to_owned))
            })?;
            Some(ExtensionFacts {
                kind,
                version: owned(properties.and_then(|p| p.type_handler_version.as_ref()))
                    .unwrap_or_default(),
                status: None,
                message: None,
            })
        })
        .collect();
    VmRecord {
        resource_group: resource_id_segment(&id, "resourceGroups")
            .unwrap_or_default()
            .to_owned(),
        subscription_id: resource_id_segment(&id, "subscriptions")
            .unwrap_or_default()
            .to_owned(),
        name: owned(model.name.as_ref())
            .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
        location: owned(model.location.as_ref()).unwrap_or_default(),
        id,
        facts: VmFacts {
            os,
            disks,
            classic: false,
            model_keys,
            disk_keys: vec![],
            disk_states: vec![],
            extensions,
            agent: AgentState::Unknown,
        },
        managed_disk_ids,
        problems,
    }
}

/// The record of a VM whose description could not be read, saying so.
fn odd_vm(id: Option<String>, name: Option<String>, error: &str) -> VmRecord {
    let id = id.unwrap_or_default();
    VmRecord {
        resource_group: resource_id_segment(&id, "resourceGroups")
            .unwrap_or_default()
            .to_owned(),
        subscription_id: resource_id_segment(&id, "subscriptions")
            .unwrap_or_default()
            .to_owned(),
        name: name.unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
        problems: vec![ReadProblem::UnreadableShape {
            detail: error.to_owned(),
        }],
        id,
        ..VmRecord::default()
    }
}

/// Adds what an instance view says to a VM's facts.
fn add_instance_view(record: &mut VmRecord, view: &wire::InstanceView) {
    let facts = &mut record.facts;
    let agent = view.vm_agent.as_ref().and_then(|a| a.statuses.first());
    facts.agent = match agent.and_then(|s| present(s.display_status.as_ref())) {
        Some(status) if status.eq_ignore_ascii_case("Ready") => AgentState::Ready,
        Some(_) => AgentState::NotReady,
        None => AgentState::NotReady,
    };
    for disk in &view.disks {
        for settings in &disk.encryption_settings {
            if settings.enabled != Some(false) {
                facts.disk_keys.push(keys_of(settings));
            }
        }
        if let Some(state) = disk
            .statuses
            .iter()
            .filter_map(|s| present(s.code.as_ref()))
            .find(|c| c.starts_with("EncryptionState/"))
        {
            facts.disk_states.push(state.to_owned());
        }
    }
    for extension in &view.extensions {
        let kind = owned(extension.kind.as_ref()).unwrap_or_default();
        let status = extension.statuses.first();
        let reported = ExtensionFacts {
            kind: kind.clone(),
            version: owned(extension.type_handler_version.as_ref()).unwrap_or_default(),
            status: status.and_then(|s| owned(s.code.as_ref())),
            message: status.and_then(|s| owned(s.message.as_ref())),
        };
        let short = kind.rsplit('.').next().unwrap_or_default().to_owned();
        match facts.extensions.iter_mut().find(|e| {
            e.kind
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .eq_ignore_ascii_case(&short)
        }) {
            Some(known) => {
                if known.version.is_empty() {
                    known.version.clone_from(&reported.version);
                }
                known.status = reported.status;
                known.message = reported.message;
            }
            None => facts.extensions.push(reported),
        }
    }
}

#[async_trait::async_trait]
impl ComputeApi for ArmClient {
    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>, Error> {
        let path =
            format!("/subscriptions/{subscription_id}/providers/Microsoft.Compute/virtualMachines");
        // The models and their instance views are two page chains of their own: read both
        // at once.
        let mut status_url = self.url(&path, COMPUTE_API)?;
        status_url
            .query_pairs_mut()
            .append_pair("statusOnly", "true");
        let (models, views): (Vec<Item<wire::Vm>>, Vec<Item<wire::Vm>>) = futures::try_join!(
            self.list_all_with(self.url(&path, COMPUTE_API)?, wire::read_page),
            self.list_all_with(status_url, wire::read_page)
        )?;
        let views: HashMap<String, &wire::InstanceView> = views
            .iter()
            .filter_map(|v| match v {
                Item::Read(vm) => Some((
                    key(present(vm.id.as_ref())?),
                    vm.properties.as_ref()?.instance_view.as_ref()?,
                )),
                Item::Odd { .. } => None,
            })
            .collect();
        Ok(models
            .into_iter()
            .map(|model| match model {
                Item::Read(model) => {
                    let mut record = vm_from_model(&model);
                    match views.get(&key(&record.id)) {
                        Some(view) => add_instance_view(&mut record, view),
                        None => record.problems.push(ReadProblem::NoInstanceView),
                    }
                    record
                }
                Item::Odd { id, name, error } => odd_vm(id, name, &error),
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_classic_vms(&self, subscription_id: &str) -> Result<Vec<VmRecord>, Error> {
        let path = format!(
            "/subscriptions/{subscription_id}/providers/Microsoft.ClassicCompute/virtualMachines"
        );
        let items: Vec<Value> = match self.list_all(self.url(&path, CLASSIC_COMPUTE_API)?).await {
            Ok(items) => items,
            // Most subscriptions never registered the classic provider (classic VMs were
            // retired in 2023): that means none, not a failed scan.
            Err(error)
                if error.code == safehold_core::ErrorCode::NotFound
                    || [
                        "NoRegisteredProviderFound",
                        "MissingSubscriptionRegistration",
                        "InvalidResourceNamespace",
                        "InvalidResourceType",
                    ]
                    .iter()
                    .any(|code| error.service_code_is(code)) =>
            {
                return Ok(vec![]);
            }
            Err(error) => return Err(error),
        };
        Ok(items
            .iter()
            .filter_map(|vm| {
                let id = text(vm, "/id")?;
                Some(VmRecord {
                    resource_group: resource_id_segment(&id, "resourceGroups")
                        .unwrap_or_default()
                        .to_owned(),
                    subscription_id: subscription_id.to_owned(),
                    name: text(vm, "/name")
                        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default().to_owned()),
                    location: text(vm, "/location").unwrap_or_default(),
                    facts: VmFacts {
                        classic: true,
                        ..VmFacts::default()
                    },
                    id,
                    ..VmRecord::default()
                })
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id))]
    async fn list_disks(&self, subscription_id: &str) -> Result<Vec<DiskRecord>, Error> {
        let path = format!("/subscriptions/{subscription_id}/providers/Microsoft.Compute/disks");
        let disks: Vec<Item<wire::Disk>> = self
            .list_all_with(self.url(&path, DISKS_API)?, wire::read_page)
            .await?;
        Ok(disks
            .iter()
            .filter_map(|disk| {
                // A disk that cannot be read adds nothing; its VM says its keys are unknown.
                let Item::Read(disk) = disk else { return None };
                let id = owned(disk.id.as_ref())?;
                let keys = disk
                    .properties
                    .as_ref()
                    .and_then(|p| p.encryption_settings_collection.as_ref())
                    .filter(|c| c.enabled == Some(true))
                    .and_then(|c| c.encryption_settings.first())
                    .map(keys_of);
                Some(DiskRecord { id, keys })
            })
            .collect())
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire<T: serde::de::DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_odd_vm_is_kept_with_what_could_not_be_read() {
        let record = vm_from_model(&wire(json!({
            "id": "/SUBSCRIPTIONS/s1/resourcegroups/RG/providers/Microsoft.Compute/virtualMachines/vm1",
            "properties": {"storageProfile": {"osDisk": {"osType": "Plan9"}}}
        })));
        assert_eq!(record.name, "vm1");
        assert_eq!(record.resource_group, "RG");
        assert_eq!(record.subscription_id, "s1");
        assert_eq!(record.facts.os, None);
        assert_eq!(record.problems.len(), 2, "{:?}", record.problems);
    }

    #[test]
    fn a_dual_pass_model_and_its_instance_view_join_into_facts() {
        let mut record = vm_from_model(&wire(json!({
            "id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
            "name": "vm1",
            "properties": {"storageProfile": {"osDisk": {
                "osType": "Windows", "vhd": {"uri": "https://st.blob.core.windows.net/vhds/os.vhd"},
                "encryptionSettings": {"enabled": true, "diskEncryptionKey": {
                    "secretUrl": "https://kv-old.vault.azure.net/secrets/bek/1",
                    "sourceVault": {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-old"}}}
            }}},
            "resources": [{"id": "/subscriptions/s1/.../extensions/AzureDiskEncryption"}]
        })));
        add_instance_view(
            &mut record,
            &wire(json!({
                "vmAgent": {"statuses": [{"code": "ProvisioningState/succeeded", "displayStatus": "Ready"}]},
                "disks": [{"name": "os", "statuses": [{"code": "EncryptionState/encrypted"}]}],
                "extensions": [{"type": "Microsoft.Azure.Security.AzureDiskEncryption", "typeHandlerVersion": "1.1",
                    "statuses": [{"code": "ProvisioningState/succeeded"}]}]
            })),
        );
        assert!(record.problems.is_empty(), "{:?}", record.problems);
        assert_eq!(record.facts.agent, AgentState::Ready);
        assert_eq!(record.facts.disks, Some(DiskKind::Unmanaged));
        assert_eq!(
            record.facts.extensions.len(),
            1,
            "model and view name one extension"
        );
        assert_eq!(record.facts.extensions[0].version, "1.1");
        let ade = safehold_core::ade::classify(&record.facts).ade.unwrap();
        assert_eq!(ade.pass, safehold_core::ade::AdePass::DualPass);
        assert_eq!(ade.secret.unwrap().vault_name, "kv-old");
    }

    #[test]
    fn a_vm_of_the_wrong_shape_keeps_its_name_and_says_what_was_wrong() {
        let record = odd_vm(
            Some("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm9".to_owned()),
            None,
            "invalid type: string \"x\", expected struct StorageProfile",
        );
        assert_eq!(
            (record.name.as_str(), record.resource_group.as_str()),
            ("vm9", "rg")
        );
        assert!(matches!(
            &record.problems[0],
            ReadProblem::UnreadableShape { detail } if detail.contains("expected struct StorageProfile")
        ));
        let classification = safehold_core::ade::classify(&record.facts);
        assert!(classification.ade.is_none() && classification.disks.is_none());
    }
}
