//! The four top-level network resource kinds as one table: where each kind's records live in a
//! subscription, what they have in common, and the lookups, updates and deletes that work the same
//! way for every kind.

use std::collections::BTreeMap;

use super::*;
use crate::tenant::NetworkRecords;

/// A top-level network resource record: its kind, where its list lives, and the fields every
/// kind has.
pub(super) trait Record: Sized + 'static {
    const KIND: Kind;
    fn list(n: &NetworkRecords) -> &Vec<Self>;
    fn list_mut(n: &mut NetworkRecords) -> &mut Vec<Self>;
    fn resource_group(&self) -> &str;
    fn name(&self) -> &str;
    fn location(&self) -> &str;
    fn tags(&self) -> &BTreeMap<String, String>;
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String>;
    fn created(&self) -> &str;
    /// The record's resource GUID and creation time, which an update keeps.
    fn identity_mut(&mut self) -> (&mut String, &mut String);
    /// The wire shape.
    fn json(&self, sub: &SubscriptionRecord) -> Value;
}

macro_rules! record {
    ($record:ty, $kind:expr, $list:ident, $json:path) => {
        impl Record for $record {
            const KIND: Kind = $kind;
            fn list(n: &NetworkRecords) -> &Vec<Self> {
                &n.$list
            }
            fn list_mut(n: &mut NetworkRecords) -> &mut Vec<Self> {
                &mut n.$list
            }
            fn resource_group(&self) -> &str {
                &self.resource_group
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn location(&self) -> &str {
                &self.location
            }
            fn tags(&self) -> &BTreeMap<String, String> {
                &self.tags
            }
            fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.tags
            }
            fn created(&self) -> &str {
                &self.created
            }
            fn identity_mut(&mut self) -> (&mut String, &mut String) {
                (&mut self.guid, &mut self.created)
            }
            fn json(&self, sub: &SubscriptionRecord) -> Value {
                $json(sub, self)
            }
        }
    };
}

record!(
    VirtualNetworkRecord,
    Kind::VirtualNetwork,
    virtual_networks,
    vnet_json
);
record!(
    NetworkInterfaceRecord,
    Kind::NetworkInterface,
    network_interfaces,
    nic_json
);
record!(
    PublicIpRecord,
    Kind::PublicIp,
    public_ip_addresses,
    public_ip_json
);
record!(
    SecurityGroupRecord,
    Kind::SecurityGroup,
    security_groups,
    nsg_json
);

/// Where the record named `name` in `rg` stands in its list.
pub(super) fn position<R: Record>(n: &NetworkRecords, rg: &str, name: &str) -> Option<usize> {
    R::list(n)
        .iter()
        .position(|r| matches(r.resource_group(), r.name(), rg, name))
}

/// The record named `name` in `rg`.
pub(super) fn find<'a, R: Record>(n: &'a NetworkRecords, rg: &str, name: &str) -> Option<&'a R> {
    position::<R>(n, rg, name).map(|i| &R::list(n)[i])
}

/// Stores a record a PUT built: a new one is appended (`true`), an update replaces the old one and
/// keeps its GUID and creation time, and whatever else `keep` carries over (`false`).
pub(super) fn store<R: Record>(
    n: &mut NetworkRecords,
    existing: Option<usize>,
    mut record: R,
    keep: impl FnOnce(&R, &mut R),
) -> bool {
    let list = R::list_mut(n);
    match existing {
        Some(i) => {
            let old = &mut list[i];
            let (guid, created) = old.identity_mut();
            let (new_guid, new_created) = record.identity_mut();
            new_guid.clone_from(guid);
            new_created.clone_from(created);
            keep(old, &mut record);
            list[i] = record;
            false
        }
        None => {
            list.push(record);
            true
        }
    }
}

/// Deletes the record named `name` in `rg` unless `in_use` refuses; `false` when there was none.
pub(super) fn remove_if_unused<R: Record>(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    in_use: impl FnOnce(&SubscriptionRecord, &R) -> Result<(), ArmError>,
) -> Result<bool, ArmError> {
    let Some(i) = position::<R>(&sub.network, rg, name) else {
        return Ok(false);
    };
    in_use(sub, &R::list(&sub.network)[i])?;
    R::list_mut(&mut sub.network).remove(i);
    Ok(true)
}

/// The wire shape of the record named `name` in `rg`.
pub(super) fn json_of<R: Record>(sub: &SubscriptionRecord, rg: &str, name: &str) -> Option<Value> {
    find::<R>(&sub.network, rg, name).map(|r| r.json(sub))
}

/// One page of the kind's records, in `rg` or everywhere.
pub(super) fn page_of<R: Record>(
    sub: &SubscriptionRecord,
    rg: Option<&str>,
    page: Page,
    base: &str,
) -> Value {
    page.render(
        R::list(&sub.network)
            .iter()
            .filter(|r| in_group(rg, r.resource_group())),
        |r| r.json(sub),
        base,
    )
}

/// Replaces the tags of the record named `name` in `rg`; `false` when there is none.
pub(super) fn set_tags<R: Record>(
    n: &mut NetworkRecords,
    rg: &str,
    name: &str,
    tags: BTreeMap<String, String>,
) -> bool {
    match position::<R>(n, rg, name) {
        Some(i) => {
            *R::list_mut(n)[i].tags_mut() = tags;
            true
        }
        None => false,
    }
}

/// The generic resources view's entries for the kind's records.
pub(super) fn entries_of<R: Record>(sub: &SubscriptionRecord) -> impl Iterator<Item = (&R, Entry)> {
    R::list(&sub.network).iter().map(move |r| {
        let entry = Entry::new(
            sub,
            r.resource_group(),
            R::KIND.type_name(),
            r.name(),
            r.location(),
        )
        .tagged(r.tags())
        .created(r.created());
        (r, entry)
    })
}
