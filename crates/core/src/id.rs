//! Ids as Azure compares them: without case. A resource id, a subscription id or a tenant id
//! read in one casing and compared with another in a different one is the same id; as map
//! keys they hash alike. The text is kept as the service wrote it, for display.

use std::hash::{Hash, Hasher};

macro_rules! case_insensitive_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as written (a trailing `/` dropped).
            pub fn new(text: impl Into<String>) -> Self {
                let mut text = text.into();
                while text.ends_with('/') {
                    text.pop();
                }
                Self(text)
            }

            /// The id as the service wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.0.eq_ignore_ascii_case(&other.0)
            }
        }

        impl Eq for $name {}

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                for byte in self.0.bytes() {
                    state.write_u8(byte.to_ascii_lowercase());
                }
                state.write_u8(0xff);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.0
                    .bytes()
                    .map(|b| b.to_ascii_lowercase())
                    .cmp(other.0.bytes().map(|b| b.to_ascii_lowercase()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::new(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::new(text)
            }
        }
    };
}

case_insensitive_id!(
    /// An Azure Resource Manager resource id (`/subscriptions/…/providers/…`).
    ResourceId
);
case_insensitive_id!(
    /// A subscription's GUID.
    SubscriptionId
);
case_insensitive_id!(
    /// A Microsoft Entra tenant's GUID (or a domain standing for it).
    TenantId
);

impl ResourceId {
    /// The segment after `key` (`resourceGroups`, `vaults`, …), compared without case.
    pub fn segment(&self, key: &str) -> Option<&str> {
        crate::inventory::resource_id_segment(&self.0, key)
    }

    /// The subscription the resource is in.
    pub fn subscription(&self) -> Option<SubscriptionId> {
        self.segment("subscriptions").map(SubscriptionId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ids_compare_and_hash_without_case_and_without_a_trailing_slash() {
        let a = ResourceId::new(
            "/subscriptions/AB/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV",
        );
        let b = ResourceId::new(
            "/subscriptions/ab/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/",
        );
        assert_eq!(a, b);
        let mut map = HashMap::new();
        map.insert(a.clone(), 1);
        assert_eq!(map.get(&b), Some(&1));
        assert_eq!(a.segment("vaults"), Some("KV"));
        assert_eq!(a.subscription(), Some(SubscriptionId::new("ab")));
        // The text stays as the service wrote it.
        assert!(a.as_str().ends_with("/vaults/KV"));
    }

    #[test]
    fn different_ids_differ() {
        assert_ne!(TenantId::new("t1"), TenantId::new("t2"));
        assert!(SubscriptionId::new("A") < SubscriptionId::new("b"));
    }

    #[test]
    fn an_id_travels_as_its_text() {
        let id = TenantId::new("72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            serde_json::to_value(&id).unwrap(),
            serde_json::json!("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
    }
}
