//! The shapes Safehold reads from Compute's VM and disk lists: only the fields it uses, every
//! one optional, so a missing field is a gap in what is known rather than an error.
//!
//! These lists are most of a scan's bytes (about 5 KB per VM across the model, its instance
//! view and its disks), so they are read straight into these types, skipping everything else,
//! instead of through a generic JSON tree. An item whose shape is off (a field of the wrong
//! type) is still kept: [`Item::Odd`] carries its id and name and what was wrong.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// One item of a list page.
#[derive(Debug)]
pub(crate) enum Item<T> {
    /// Read as expected.
    Read(T),
    /// Its shape is not what Safehold expects.
    Odd {
        /// Its `id`, when that much could be read.
        id: Option<String>,
        /// Its `name`, likewise.
        name: Option<String>,
        /// What was wrong.
        error: String,
    },
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => Self::Read(item),
            Err(error) => {
                let value: Value = serde_json::from_str(raw.get()).unwrap_or_default();
                let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
                Self::Odd {
                    id: field("id"),
                    name: field("name"),
                    error: error.to_string(),
                }
            }
        })
    }
}

/// A page's items. The whole page is read straight into `T` first; only when an item has
/// the wrong shape is it read again item by item, keeping the odd ones as [`Item::Odd`].
pub(crate) fn read_page<T: DeserializeOwned>(
    body: &[u8],
) -> Result<Vec<Item<T>>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Page<T> {
        #[serde(default = "Vec::new")]
        value: Vec<T>,
    }
    match serde_json::from_slice::<Page<T>>(body) {
        Ok(page) => Ok(page.value.into_iter().map(Item::Read).collect()),
        Err(_) => serde_json::from_slice::<Page<Item<T>>>(body).map(|page| page.value),
    }
}

/// An empty string means the same as a missing one.
pub(crate) fn present(text: Option<&String>) -> Option<&str> {
    text.map(String::as_str).filter(|s| !s.is_empty())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct IdRef {
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SecretRef {
    pub secret_url: Option<String>,
    pub source_vault: Option<IdRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct KeyRef {
    pub key_url: Option<String>,
    pub source_vault: Option<IdRef>,
}

/// `encryptionSettings` of a VM model's OS disk, an instance view's disk, or a managed disk.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EncryptionSettings {
    pub enabled: Option<bool>,
    pub disk_encryption_key: Option<SecretRef>,
    pub key_encryption_key: Option<KeyRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Vhd {
    pub uri: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct OsDisk {
    pub os_type: Option<String>,
    pub managed_disk: Option<IdRef>,
    pub vhd: Option<Vhd>,
    pub encryption_settings: Option<EncryptionSettings>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DataDisk {
    pub managed_disk: Option<IdRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct StorageProfile {
    pub os_disk: Option<OsDisk>,
    pub data_disks: Vec<DataDisk>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ExtensionProperties {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub type_handler_version: Option<String>,
}

/// An entry of a VM model's `resources`: one of its extensions.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExtensionResource {
    pub id: Option<String>,
    pub properties: Option<ExtensionProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Status {
    pub code: Option<String>,
    pub display_status: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AgentView {
    pub statuses: Vec<Status>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DiskView {
    pub encryption_settings: Vec<EncryptionSettings>,
    pub statuses: Vec<Status>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ExtensionView {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub type_handler_version: Option<String>,
    pub statuses: Vec<Status>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct InstanceView {
    pub vm_agent: Option<AgentView>,
    pub disks: Vec<DiskView>,
    pub extensions: Vec<ExtensionView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct VmProperties {
    pub storage_profile: Option<StorageProfile>,
    /// Present in the `statusOnly=true` list.
    pub instance_view: Option<InstanceView>,
}

/// A VM from the model list or the `statusOnly=true` list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Vm {
    pub id: Option<String>,
    pub name: Option<String>,
    pub location: Option<String>,
    pub properties: Option<VmProperties>,
    pub resources: Vec<ExtensionResource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct EncryptionSettingsCollection {
    pub enabled: Option<bool>,
    pub encryption_settings: Vec<EncryptionSettings>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DiskProperties {
    pub encryption_settings_collection: Option<EncryptionSettingsCollection>,
}

/// A managed disk from the disk list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Disk {
    pub id: Option<String>,
    pub properties: Option<DiskProperties>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_read_whole_and_item_by_item_only_when_one_is_odd() {
        let calm: Vec<Item<Disk>> =
            read_page(br#"{"value": [{"id": "/d1"}, {"id": "/d2"}], "nextLink": null}"#).unwrap();
        assert!(calm.iter().all(|i| matches!(i, Item::Read(_))));
        let odd: Vec<Item<Disk>> =
            read_page(br#"{"value": [{"id": "/d1"}, {"id": "/d2", "properties": 7}]}"#).unwrap();
        assert!(matches!(&odd[0], Item::Read(d) if d.id.as_deref() == Some("/d1")));
        assert!(matches!(&odd[1], Item::Odd { id: Some(id), .. } if id == "/d2"));
        assert!(read_page::<Disk>(b"not json").is_err());
    }

    #[test]
    fn an_item_of_the_wrong_shape_is_kept_with_its_id_and_the_reason() {
        let page: Vec<Item<Vm>> = serde_json::from_str(
            r#"[{"id": "/a", "name": "a", "properties": {"storageProfile": {"osDisk": {"osType": "Linux"}}}},
                {"id": "/b", "name": "b", "properties": {"storageProfile": "not an object"}},
                {"id": "/c", "name": "c", "properties": null, "tags": {"any": "thing"}}]"#,
        )
        .unwrap();
        assert!(matches!(&page[0], Item::Read(vm) if vm.id.as_deref() == Some("/a")));
        match &page[1] {
            Item::Odd { id, name, error } => {
                assert_eq!((id.as_deref(), name.as_deref()), (Some("/b"), Some("b")));
                assert!(error.contains("invalid type"), "{error}");
            }
            Item::Read(_) => panic!("a string storage profile was read"),
        }
        assert!(matches!(&page[2], Item::Read(vm) if vm.properties.is_none()));
    }
}
