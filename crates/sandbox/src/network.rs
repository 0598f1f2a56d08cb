//! Network (`Microsoft.Network`, shapes of api-version 2024-03-01): virtual networks with their
//! subnets, network interfaces, public IP addresses and network security groups.
//!
//! What a VM built from restored disks needs: a NIC whose IP configuration sits in a subnet of a
//! VNet of the VM's region. References are checked as the service checks them: a NIC's subnet,
//! public IP and NSG must exist in the NIC's region (`InvalidResourceReference`), a private IP
//! must lie in its subnet and be free, a subnet must lie in its VNet's address space, and a
//! resource in use (a NIC on a VM, a subnet with NICs, a public IP on a NIC, an NSG on a NIC or a
//! subnet) cannot be deleted. PUTs are long-running as the service's are (the body comes at once,
//! with `Azure-AsyncOperation`); DELETEs answer 202 with `Location` and `Azure-AsyncOperation`.
//! Every operation finishes when it is answered, so the status URLs always say `Succeeded`.
//! Private IPs are allocated from each subnet (the first four and the last address are
//! reserved, as in Azure); static public IPs come from 203.0.113.0/24, a documentation range.

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, Page, segment_after, subscription_not_found};
use crate::generic_resources::Entry;
use crate::tenant::{
    IpConfigurationRecord, NetworkInterfaceRecord, PublicIpRecord, SecurityGroupRecord,
    SecurityRuleRecord, SubnetRecord, SubscriptionRecord, VirtualNetworkRecord,
};

/// The four top-level resource types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    VirtualNetwork,
    NetworkInterface,
    PublicIp,
    SecurityGroup,
}

impl Kind {
    fn from_segment(lower: &str) -> Option<Self> {
        match lower {
            "virtualnetworks" => Some(Self::VirtualNetwork),
            "networkinterfaces" => Some(Self::NetworkInterface),
            "publicipaddresses" => Some(Self::PublicIp),
            "networksecuritygroups" => Some(Self::SecurityGroup),
            _ => None,
        }
    }

    /// The kind of a template resource type, e.g. `Microsoft.Network/networkInterfaces`.
    pub(crate) fn from_type(resource_type: &str) -> Option<Self> {
        resource_type
            .split_once('/')
            .filter(|(ns, _)| ns.eq_ignore_ascii_case("Microsoft.Network"))
            .and_then(|(_, t)| Self::from_segment(&t.to_ascii_lowercase()))
    }

    fn segment(self) -> &'static str {
        match self {
            Self::VirtualNetwork => "virtualNetworks",
            Self::NetworkInterface => "networkInterfaces",
            Self::PublicIp => "publicIPAddresses",
            Self::SecurityGroup => "networkSecurityGroups",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Self::VirtualNetwork => "Microsoft.Network/virtualNetworks",
            Self::NetworkInterface => "Microsoft.Network/networkInterfaces",
            Self::PublicIp => "Microsoft.Network/publicIPAddresses",
            Self::SecurityGroup => "Microsoft.Network/networkSecurityGroups",
        }
    }

    /// The order a template's resources are made in: what others refer to comes first.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Self::PublicIp => 0,
            Self::SecurityGroup => 1,
            Self::VirtualNetwork => 2,
            Self::NetworkInterface => 3,
        }
    }
}

fn id(sub: &SubscriptionRecord, rg: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/{}/{name}",
        sub.subscription_id,
        kind.segment()
    )
}

fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn etag(guid: &str) -> String {
    format!("W/\"{guid}\"")
}

fn bad(code: &'static str, message: String) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

fn not_found(kind: Kind, name: &str, rg: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource '{}/{name}' under resource group '{rg}' was not found.",
            kind.type_name()
        ),
    )
}

fn reference_not_found(reference: &str, by: &str) -> ArmError {
    bad(
        "InvalidResourceReference",
        format!(
            "Resource {reference} referenced by resource {by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
        ),
    )
}

// ---- IPv4 prefixes -------------------------------------------------------------------------

/// An IPv4 prefix: base address and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Prefix {
    base: u32,
    len: u8,
}

impl Prefix {
    fn parse(text: &str) -> Option<Self> {
        let (addr, len) = text.split_once('/')?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        let base = u32::from(addr.parse::<std::net::Ipv4Addr>().ok()?);
        // The service wants the network address itself, not a host inside it.
        (base & Self::mask(len) == base).then_some(Self { base, len })
    }

    fn mask(len: u8) -> u32 {
        if len == 0 { 0 } else { u32::MAX << (32 - len) }
    }

    fn contains(self, addr: u32) -> bool {
        addr & Self::mask(self.len) == self.base
    }

    fn covers(self, inner: Self) -> bool {
        inner.len >= self.len && self.contains(inner.base)
    }

    fn overlaps(self, other: Self) -> bool {
        self.covers(other) || other.covers(self)
    }

    fn last(self) -> u32 {
        self.base | !Self::mask(self.len)
    }
}

fn parse_prefix(text: &str, owner: &str) -> Result<Prefix, ArmError> {
    Prefix::parse(text).ok_or_else(|| {
        bad(
            "InvalidCIDRNotation",
            format!("The address prefix {text} in resource {owner} has an invalid CIDR notation."),
        )
    })
}

// ---- Wire shapes ---------------------------------------------------------------------------

fn ip_configuration_id(nic_id: &str, name: &str) -> String {
    format!("{nic_id}/ipConfigurations/{name}")
}

fn subnet_id(sub: &SubscriptionRecord, vnet: &VirtualNetworkRecord, subnet: &str) -> String {
    format!(
        "{}/subnets/{subnet}",
        id(sub, &vnet.resource_group, Kind::VirtualNetwork, &vnet.name)
    )
}

fn nic_id(sub: &SubscriptionRecord, nic: &NetworkInterfaceRecord) -> String {
    id(sub, &nic.resource_group, Kind::NetworkInterface, &nic.name)
}

/// The IP configurations (ids) of NICs in `subnet_id`.
fn configurations_in_subnet(sub: &SubscriptionRecord, subnet_id: &str) -> Vec<String> {
    sub.network
        .network_interfaces
        .iter()
        .flat_map(|nic| {
            let nid = nic_id(sub, nic);
            nic.ip_configurations
                .iter()
                .filter(|c| same_id(&c.subnet, subnet_id))
                .map(move |c| ip_configuration_id(&nid, &c.name))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn subnet_json(sub: &SubscriptionRecord, vnet: &VirtualNetworkRecord, s: &SubnetRecord) -> Value {
    let sid = subnet_id(sub, vnet, &s.name);
    let mut properties = json!({
        "addressPrefix": s.address_prefix,
        "provisioningState": "Succeeded",
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
        "delegations": []
    });
    let configurations = configurations_in_subnet(sub, &sid);
    if !configurations.is_empty() {
        properties["ipConfigurations"] = json!(
            configurations
                .iter()
                .map(|c| json!({ "id": c }))
                .collect::<Vec<_>>()
        );
    }
    if let Some(nsg) = &s.security_group {
        properties["networkSecurityGroup"] = json!({ "id": nsg });
    }
    json!({
        "id": sid,
        "name": s.name,
        "etag": etag(&vnet.guid),
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": properties
    })
}

fn vnet_json(sub: &SubscriptionRecord, v: &VirtualNetworkRecord) -> Value {
    json!({
        "id": id(sub, &v.resource_group, Kind::VirtualNetwork, &v.name),
        "name": v.name,
        "type": Kind::VirtualNetwork.type_name(),
        "location": v.location,
        "tags": v.tags,
        "etag": etag(&v.guid),
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": v.guid,
            "addressSpace": { "addressPrefixes": v.address_prefixes },
            "subnets": v.subnets.iter().map(|s| subnet_json(sub, v, s)).collect::<Vec<_>>(),
            "virtualNetworkPeerings": [],
            "enableDdosProtection": false
        }
    })
}

/// The VM a NIC is attached to, if any.
fn attached_vm(sub: &SubscriptionRecord, nic_id: &str) -> Option<String> {
    sub.virtual_machines
        .iter()
        .find(|vm| {
            crate::compute::network_interface_ids(sub, vm)
                .iter()
                .any(|n| same_id(n, nic_id))
        })
        .map(|vm| crate::compute::vm_resource_id(sub, vm))
}

fn nic_json(sub: &SubscriptionRecord, nic: &NetworkInterfaceRecord) -> Value {
    let nid = nic_id(sub, nic);
    let configurations: Vec<Value> = nic
        .ip_configurations
        .iter()
        .map(|c| {
            let mut properties = json!({
                "privateIPAddress": c.private_ip,
                "privateIPAllocationMethod": if c.static_ip { "Static" } else { "Dynamic" },
                "privateIPAddressVersion": "IPv4",
                "subnet": { "id": c.subnet },
                "primary": c.primary,
                "provisioningState": "Succeeded"
            });
            if let Some(pip) = &c.public_ip {
                properties["publicIPAddress"] = json!({ "id": pip });
            }
            json!({
                "id": ip_configuration_id(&nid, &c.name),
                "name": c.name,
                "etag": etag(&nic.guid),
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": properties
            })
        })
        .collect();
    let mut properties = json!({
        "provisioningState": "Succeeded",
        "resourceGuid": nic.guid,
        "ipConfigurations": configurations,
        "dnsSettings": { "dnsServers": [], "appliedDnsServers": [] },
        "enableAcceleratedNetworking": false,
        "enableIPForwarding": false,
        "disableTcpStateTracking": false,
        "nicType": "Standard"
    });
    if let Some(nsg) = &nic.security_group {
        properties["networkSecurityGroup"] = json!({ "id": nsg });
    }
    if let Some(vm) = attached_vm(sub, &nid) {
        properties["virtualMachine"] = json!({ "id": vm });
        properties["macAddress"] = json!(nic.mac_address);
        properties["primary"] = json!(true);
    }
    json!({
        "id": nid,
        "name": nic.name,
        "type": Kind::NetworkInterface.type_name(),
        "location": nic.location,
        "tags": nic.tags,
        "etag": etag(&nic.guid),
        "properties": properties
    })
}

/// The NIC IP configuration using public IP `pip_id`, if any.
fn public_ip_user(sub: &SubscriptionRecord, pip_id: &str) -> Option<String> {
    sub.network.network_interfaces.iter().find_map(|nic| {
        nic.ip_configurations
            .iter()
            .find(|c| c.public_ip.as_deref().is_some_and(|p| same_id(p, pip_id)))
            .map(|c| ip_configuration_id(&nic_id(sub, nic), &c.name))
    })
}

fn public_ip_json(sub: &SubscriptionRecord, p: &PublicIpRecord) -> Value {
    let pid = id(sub, &p.resource_group, Kind::PublicIp, &p.name);
    let mut properties = json!({
        "provisioningState": "Succeeded",
        "resourceGuid": p.guid,
        "publicIPAllocationMethod": if p.static_allocation { "Static" } else { "Dynamic" },
        "publicIPAddressVersion": "IPv4",
        "idleTimeoutInMinutes": 4,
        "ipTags": []
    });
    if let Some(address) = &p.ip_address {
        properties["ipAddress"] = json!(address);
    }
    if let Some(user) = public_ip_user(sub, &pid) {
        properties["ipConfiguration"] = json!({ "id": user });
    }
    if let Some(label) = &p.domain_name_label {
        properties["dnsSettings"] = json!({
            "domainNameLabel": label,
            "fqdn": format!("{label}.{}.cloudapp.azure.com", p.location)
        });
    }
    json!({
        "id": pid,
        "name": p.name,
        "type": Kind::PublicIp.type_name(),
        "location": p.location,
        "tags": p.tags,
        "etag": etag(&p.guid),
        "sku": { "name": p.sku, "tier": "Regional" },
        "properties": properties
    })
}

fn rule_json(nsg_id: &str, guid: &str, collection: &str, r: &SecurityRuleRecord) -> Value {
    json!({
        "id": format!("{nsg_id}/{collection}/{}", r.name),
        "name": r.name,
        "etag": etag(guid),
        "type": format!("Microsoft.Network/networkSecurityGroups/{collection}"),
        "properties": {
            "protocol": r.protocol,
            "sourcePortRange": r.source_port_range,
            "destinationPortRange": r.destination_port_range,
            "sourceAddressPrefix": r.source_address_prefix,
            "destinationAddressPrefix": r.destination_address_prefix,
            "access": r.access,
            "priority": r.priority,
            "direction": r.direction,
            "sourcePortRanges": [],
            "destinationPortRanges": [],
            "sourceAddressPrefixes": [],
            "destinationAddressPrefixes": [],
            "provisioningState": "Succeeded"
        }
    })
}

/// The six rules every NSG has, lowest precedence.
fn default_rules() -> Vec<SecurityRuleRecord> {
    let rule = |name: &str, priority, direction: &str, access: &str, source: &str, dest: &str| {
        SecurityRuleRecord {
            name: name.to_owned(),
            protocol: "*".to_owned(),
            access: access.to_owned(),
            priority,
            direction: direction.to_owned(),
            source_address_prefix: source.to_owned(),
            source_port_range: "*".to_owned(),
            destination_address_prefix: dest.to_owned(),
            destination_port_range: "*".to_owned(),
        }
    };
    vec![
        rule(
            "AllowVnetInBound",
            65000,
            "Inbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            "Inbound",
            "Allow",
            "AzureLoadBalancer",
            "*",
        ),
        rule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
        rule(
            "AllowVnetOutBound",
            65000,
            "Outbound",
            "Allow",
            "VirtualNetwork",
            "VirtualNetwork",
        ),
        rule(
            "AllowInternetOutBound",
            65001,
            "Outbound",
            "Allow",
            "*",
            "Internet",
        ),
        rule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
    ]
}

fn nsg_json(sub: &SubscriptionRecord, g: &SecurityGroupRecord) -> Value {
    let gid = id(sub, &g.resource_group, Kind::SecurityGroup, &g.name);
    let nics: Vec<Value> = sub
        .network
        .network_interfaces
        .iter()
        .filter(|n| {
            n.security_group
                .as_deref()
                .is_some_and(|s| same_id(s, &gid))
        })
        .map(|n| json!({ "id": nic_id(sub, n) }))
        .collect();
    let subnets: Vec<Value> = sub
        .network
        .virtual_networks
        .iter()
        .flat_map(|v| {
            v.subnets
                .iter()
                .filter(|s| {
                    s.security_group
                        .as_deref()
                        .is_some_and(|s| same_id(s, &gid))
                })
                .map(|s| json!({ "id": subnet_id(sub, v, &s.name) }))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut properties = json!({
        "provisioningState": "Succeeded",
        "resourceGuid": g.guid,
        "securityRules": g.rules.iter().map(|r| rule_json(&gid, &g.guid, "securityRules", r)).collect::<Vec<_>>(),
        "defaultSecurityRules": default_rules().iter().map(|r| rule_json(&gid, &g.guid, "defaultSecurityRules", r)).collect::<Vec<_>>(),
    });
    if !nics.is_empty() {
        properties["networkInterfaces"] = json!(nics);
    }
    if !subnets.is_empty() {
        properties["subnets"] = json!(subnets);
    }
    json!({
        "id": gid,
        "name": g.name,
        "type": Kind::SecurityGroup.type_name(),
        "location": g.location,
        "tags": g.tags,
        "etag": etag(&g.guid),
        "properties": properties
    })
}

/// The generic resources view's entries for the subscription's network resources.
pub(crate) fn entries(sub: &SubscriptionRecord) -> Vec<Entry> {
    let n = &sub.network;
    let entry = |kind: Kind, rg: &str, name: &str, location: &str, tags, created: &str| {
        Entry::new(sub, rg, kind.type_name(), name, location)
            .tagged(tags)
            .created(created)
    };
    let mut out = Vec::new();
    for v in &n.virtual_networks {
        out.push(entry(
            Kind::VirtualNetwork,
            &v.resource_group,
            &v.name,
            &v.location,
            &v.tags,
            &v.created,
        ));
    }
    for nic in &n.network_interfaces {
        out.push(entry(
            Kind::NetworkInterface,
            &nic.resource_group,
            &nic.name,
            &nic.location,
            &nic.tags,
            &nic.created,
        ));
    }
    for p in &n.public_ip_addresses {
        out.push(
            entry(
                Kind::PublicIp,
                &p.resource_group,
                &p.name,
                &p.location,
                &p.tags,
                &p.created,
            )
            .with("sku", json!({ "name": p.sku, "tier": "Regional" })),
        );
    }
    for g in &n.security_groups {
        out.push(entry(
            Kind::SecurityGroup,
            &g.resource_group,
            &g.name,
            &g.location,
            &g.tags,
            &g.created,
        ));
    }
    out
}

// ---- Reads ---------------------------------------------------------------------------------

fn matches(rg: &str, name: &str, want_rg: &str, want_name: &str) -> bool {
    rg.eq_ignore_ascii_case(want_rg) && name.eq_ignore_ascii_case(want_name)
}

fn in_group(rg: Option<&str>, resource_rg: &str) -> bool {
    rg.is_none_or(|g| g.eq_ignore_ascii_case(resource_rg))
}

fn render_list(
    sub: &SubscriptionRecord,
    kind: Kind,
    rg: Option<&str>,
    page: Page,
    base: &str,
) -> Value {
    let n = &sub.network;
    match kind {
        Kind::VirtualNetwork => page.render(
            n.virtual_networks
                .iter()
                .filter(|v| in_group(rg, &v.resource_group)),
            |v| vnet_json(sub, v),
            base,
        ),
        Kind::NetworkInterface => page.render(
            n.network_interfaces
                .iter()
                .filter(|v| in_group(rg, &v.resource_group)),
            |v| nic_json(sub, v),
            base,
        ),
        Kind::PublicIp => page.render(
            n.public_ip_addresses
                .iter()
                .filter(|v| in_group(rg, &v.resource_group)),
            |v| public_ip_json(sub, v),
            base,
        ),
        Kind::SecurityGroup => page.render(
            n.security_groups
                .iter()
                .filter(|v| in_group(rg, &v.resource_group)),
            |v| nsg_json(sub, v),
            base,
        ),
    }
}

/// The resource's wire shape, if it exists.
fn render_one(sub: &SubscriptionRecord, kind: Kind, rg: &str, name: &str) -> Option<Value> {
    let n = &sub.network;
    match kind {
        Kind::VirtualNetwork => n
            .virtual_networks
            .iter()
            .find(|v| matches(&v.resource_group, &v.name, rg, name))
            .map(|v| vnet_json(sub, v)),
        Kind::NetworkInterface => n
            .network_interfaces
            .iter()
            .find(|v| matches(&v.resource_group, &v.name, rg, name))
            .map(|v| nic_json(sub, v)),
        Kind::PublicIp => n
            .public_ip_addresses
            .iter()
            .find(|v| matches(&v.resource_group, &v.name, rg, name))
            .map(|v| public_ip_json(sub, v)),
        Kind::SecurityGroup => n
            .security_groups
            .iter()
            .find(|v| matches(&v.resource_group, &v.name, rg, name))
            .map(|v| nsg_json(sub, v)),
    }
}

/// Whether a NIC with this id exists in `location`.
pub(crate) fn nic_in_region(sub: &SubscriptionRecord, nic: &str, location: &str) -> bool {
    sub.network
        .network_interfaces
        .iter()
        .any(|n| same_id(&nic_id(sub, n), nic) && n.location.eq_ignore_ascii_case(location))
}

// ---- Writes --------------------------------------------------------------------------------

fn now_rfc3339() -> String {
    crate::backup::rfc3339(crate::token::now())
}

fn body_location(body: &Value) -> Result<String, ArmError> {
    body["location"]
        .as_str()
        .map(|l| l.to_ascii_lowercase().replace(' ', ""))
        .ok_or_else(|| {
            bad(
                "LocationRequired",
                "The location property is required for this definition.".to_owned(),
            )
        })
}

fn body_tags(body: &Value) -> std::collections::BTreeMap<String, String> {
    serde_json::from_value(body["tags"].clone()).unwrap_or_default()
}

fn keep_location(
    existing: Option<&str>,
    wanted: &str,
    name: &str,
    rg: &str,
) -> Result<(), ArmError> {
    match existing {
        Some(location) if !location.eq_ignore_ascii_case(wanted) => Err(ArmError::new(
            StatusCode::CONFLICT,
            "InvalidResourceLocation",
            format!(
                "The resource '{name}' already exists in location '{location}' in resource group '{rg}'. A resource with the same name cannot be created in location '{wanted}'. Please select a new resource name."
            ),
        )),
        _ => Ok(()),
    }
}

/// Finds a referenced NSG (by id) in `location`.
fn check_nsg_reference(
    sub: &SubscriptionRecord,
    reference: &str,
    location: &str,
    by: &str,
) -> Result<String, ArmError> {
    sub.network
        .security_groups
        .iter()
        .find(|g| {
            same_id(
                &id(sub, &g.resource_group, Kind::SecurityGroup, &g.name),
                reference,
            ) && g.location.eq_ignore_ascii_case(location)
        })
        .map(|g| id(sub, &g.resource_group, Kind::SecurityGroup, &g.name))
        .ok_or_else(|| reference_not_found(reference, by))
}

fn parse_subnet(
    sub: &SubscriptionRecord,
    body: &Value,
    name: &str,
    location: &str,
    by: &str,
) -> Result<SubnetRecord, ArmError> {
    let prefix = body["properties"]["addressPrefix"]
        .as_str()
        .or_else(|| body["properties"]["addressPrefixes"][0].as_str())
        .ok_or_else(|| {
            bad(
                "InvalidRequestFormat",
                format!("Subnet '{name}' needs properties.addressPrefix."),
            )
        })?;
    parse_prefix(prefix, by)?;
    let security_group = match body["properties"]["networkSecurityGroup"]["id"].as_str() {
        Some(reference) => Some(check_nsg_reference(sub, reference, location, by)?),
        None => None,
    };
    Ok(SubnetRecord {
        name: name.to_owned(),
        address_prefix: prefix.to_owned(),
        security_group,
    })
}

/// Checks a VNet's subnets against its address space and each other.
fn check_subnets(v: &VirtualNetworkRecord, owner: &str) -> Result<(), ArmError> {
    let space = v
        .address_prefixes
        .iter()
        .map(|p| parse_prefix(p, owner))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen: Vec<(&str, Prefix)> = Vec::new();
    for s in &v.subnets {
        let prefix = parse_prefix(&s.address_prefix, owner)?;
        if !space.iter().any(|outer| outer.covers(prefix)) {
            return Err(bad(
                "NetcfgSubnetRangeOutsideVnet",
                format!(
                    "Subnet '{}' is not valid because its IP address range is outside the IP address range of virtual network '{}'.",
                    s.name, v.name
                ),
            ));
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| p.overlaps(prefix)) {
            return Err(bad(
                "NetcfgSubnetRangesOverlap",
                format!(
                    "Subnet '{}' is not valid because its IP address range overlaps with that of an existing subnet '{other}' in virtual network '{}'.",
                    s.name, v.name
                ),
            ));
        }
        seen.push((&s.name, prefix));
    }
    Ok(())
}

fn subnet_in_use(
    sub: &SubscriptionRecord,
    v: &VirtualNetworkRecord,
    subnet: &str,
) -> Result<(), ArmError> {
    let sid = subnet_id(sub, v, subnet);
    match configurations_in_subnet(sub, &sid).first() {
        Some(user) => Err(bad(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {subnet} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet."
            ),
        )),
        None => Ok(()),
    }
}

fn put_vnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let location = body_location(body)?;
    let existing = sub
        .network
        .virtual_networks
        .iter()
        .position(|v| matches(&v.resource_group, &v.name, rg, name));
    keep_location(
        existing.map(|i| sub.network.virtual_networks[i].location.as_str()),
        &location,
        name,
        rg,
    )?;
    let owner = id(sub, rg, Kind::VirtualNetwork, name);
    let address_prefixes: Vec<String> = body["properties"]["addressSpace"]["addressPrefixes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if address_prefixes.is_empty() {
        return Err(bad(
            "InvalidRequestFormat",
            format!("Virtual network '{name}' needs properties.addressSpace.addressPrefixes."),
        ));
    }
    let mut subnets = Vec::new();
    for s in body["properties"]["subnets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let subnet_name = s["name"].as_str().ok_or_else(|| {
            bad(
                "InvalidRequestFormat",
                "Every subnet needs a name.".to_owned(),
            )
        })?;
        subnets.push(parse_subnet(sub, s, subnet_name, &location, &owner)?);
    }
    let mut record = VirtualNetworkRecord {
        resource_group: group_name(sub, rg),
        name: name.to_owned(),
        location,
        address_prefixes,
        subnets,
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    check_subnets(&record, &owner)?;
    if let Some(i) = existing {
        let old = &sub.network.virtual_networks[i];
        // A PUT sets the whole subnet list: a subnet left out is deleted, if nothing uses it.
        for s in &old.subnets {
            let kept = record
                .subnets
                .iter()
                .any(|n| n.name.eq_ignore_ascii_case(&s.name));
            if !kept {
                subnet_in_use(sub, old, &s.name)?;
            }
            if kept
                && let Some(new) = record
                    .subnets
                    .iter()
                    .find(|n| n.name.eq_ignore_ascii_case(&s.name))
                && new.address_prefix != s.address_prefix
                && !configurations_in_subnet(sub, &subnet_id(sub, old, &s.name)).is_empty()
            {
                return Err(bad(
                    "InUseSubnetCannotBeUpdated",
                    format!(
                        "Subnet {} is in use and its address prefix cannot change.",
                        s.name
                    ),
                ));
            }
        }
        record.guid.clone_from(&old.guid);
        record.created.clone_from(&old.created);
        sub.network.virtual_networks[i] = record;
        Ok(false)
    } else {
        sub.network.virtual_networks.push(record);
        Ok(true)
    }
}

fn put_subnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    vnet: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let i = sub
        .network
        .virtual_networks
        .iter()
        .position(|v| matches(&v.resource_group, &v.name, rg, vnet))
        .ok_or_else(|| not_found(Kind::VirtualNetwork, vnet, rg))?;
    let v = &sub.network.virtual_networks[i];
    let owner = subnet_id(sub, v, name);
    let subnet = parse_subnet(sub, body, name, &v.location.clone(), &owner)?;
    let mut updated = v.clone();
    let created = match updated
        .subnets
        .iter_mut()
        .find(|s| s.name.eq_ignore_ascii_case(name))
    {
        Some(existing) => {
            if existing.address_prefix != subnet.address_prefix {
                subnet_in_use(sub, v, name).map_err(|_| {
                    bad(
                        "InUseSubnetCannotBeUpdated",
                        format!("Subnet {name} is in use and its address prefix cannot change."),
                    )
                })?;
            }
            *existing = SubnetRecord {
                name: existing.name.clone(),
                ..subnet
            };
            false
        }
        None => {
            updated.subnets.push(subnet);
            true
        }
    };
    check_subnets(&updated, &owner)?;
    sub.network.virtual_networks[i] = updated;
    Ok(created)
}

/// The next free address of `prefix`, skipping those Azure reserves and those in `used`.
fn next_free(prefix: Prefix, used: &[u32]) -> Option<u32> {
    (prefix.base + 4..prefix.last()).find(|a| !used.contains(a))
}

fn used_in_subnet(sub: &SubscriptionRecord, subnet: &str, except_nic: Option<&str>) -> Vec<u32> {
    sub.network
        .network_interfaces
        .iter()
        .filter(|n| except_nic.is_none_or(|e| !same_id(&nic_id(sub, n), e)))
        .flat_map(|n| &n.ip_configurations)
        .filter(|c| same_id(&c.subnet, subnet))
        .filter_map(|c| {
            c.private_ip
                .parse::<std::net::Ipv4Addr>()
                .ok()
                .map(u32::from)
        })
        .collect()
}

/// The subnet a reference points at, when it exists in `location`: its canonical id and prefix.
fn find_subnet(
    sub: &SubscriptionRecord,
    reference: &str,
    location: &str,
) -> Option<(String, Prefix)> {
    let vnet_rg = segment_after(reference, "resourceGroups")?;
    let vnet_name = segment_after(reference, "virtualNetworks")?;
    let subnet_name = segment_after(reference, "subnets")?;
    let reference_sub = segment_after(reference, "subscriptions")?;
    if !reference_sub.eq_ignore_ascii_case(&sub.subscription_id) {
        return None;
    }
    let v = sub
        .network
        .virtual_networks
        .iter()
        .find(|v| matches(&v.resource_group, &v.name, vnet_rg, vnet_name))
        .filter(|v| v.location.eq_ignore_ascii_case(location))?;
    let s = v
        .subnets
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(subnet_name))?;
    Some((
        subnet_id(sub, v, &s.name),
        Prefix::parse(&s.address_prefix)?,
    ))
}

fn put_nic(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let location = body_location(body)?;
    let existing = sub
        .network
        .network_interfaces
        .iter()
        .position(|n| matches(&n.resource_group, &n.name, rg, name));
    keep_location(
        existing.map(|i| sub.network.network_interfaces[i].location.as_str()),
        &location,
        name,
        rg,
    )?;
    let owner = id(sub, rg, Kind::NetworkInterface, name);
    let requested = body["properties"]["ipConfigurations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if requested.is_empty() {
        return Err(bad(
            "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
            format!("Network interface {owner} must have at least one IP configuration."),
        ));
    }
    let mut configurations: Vec<IpConfigurationRecord> = Vec::new();
    for (index, c) in requested.iter().enumerate() {
        let config_name = c["name"].as_str().unwrap_or("ipconfig1").to_owned();
        let by = ip_configuration_id(&owner, &config_name);
        let properties = &c["properties"];
        let reference = properties["subnet"]["id"].as_str().ok_or_else(|| {
            bad(
                "InvalidRequestFormat",
                format!("IP configuration {by} needs properties.subnet.id."),
            )
        })?;
        let (subnet, prefix) = find_subnet(sub, reference, &location)
            .ok_or_else(|| reference_not_found(reference, &by))?;
        let mut used = used_in_subnet(sub, &subnet, Some(&owner));
        used.extend(
            configurations
                .iter()
                .filter(|o| same_id(&o.subnet, &subnet))
                .filter_map(|o| {
                    o.private_ip
                        .parse::<std::net::Ipv4Addr>()
                        .ok()
                        .map(u32::from)
                }),
        );
        let static_ip = properties["privateIPAllocationMethod"]
            .as_str()
            .is_some_and(|m| m.eq_ignore_ascii_case("Static"));
        let private_ip = match (static_ip, properties["privateIPAddress"].as_str()) {
            (true, Some(text)) => {
                let address = text
                    .parse::<std::net::Ipv4Addr>()
                    .map(u32::from)
                    .map_err(|_| {
                        bad(
                            "InvalidRequestFormat",
                            format!("'{text}' is not an IPv4 address."),
                        )
                    })?;
                if !prefix.contains(address)
                    || address < prefix.base + 4
                    || address == prefix.last()
                {
                    return Err(bad(
                        "PrivateIPAddressNotInSubnet",
                        format!(
                            "IP configuration {by} references the private IP address {text} which is not in the address range of subnet {subnet}."
                        ),
                    ));
                }
                if used.contains(&address) {
                    return Err(bad(
                        "PrivateIPAddressInUse",
                        format!(
                            "IP configuration {by} is using the private IP address {text} which is already allocated to another resource."
                        ),
                    ));
                }
                address
            }
            (true, None) => {
                return Err(bad(
                    "PrivateIPAddressIsRequiredForStaticAllocation",
                    format!(
                        "IP configuration {by} asks for a static private IP address but gives none."
                    ),
                ));
            }
            (false, _) => {
                // A NIC that keeps its subnet keeps its dynamic address.
                let kept = existing.and_then(|i| {
                    sub.network.network_interfaces[i]
                        .ip_configurations
                        .iter()
                        .find(|o| {
                            o.name.eq_ignore_ascii_case(&config_name) && same_id(&o.subnet, &subnet)
                        })
                        .and_then(|o| {
                            o.private_ip
                                .parse::<std::net::Ipv4Addr>()
                                .ok()
                                .map(u32::from)
                        })
                });
                match kept.filter(|a| !used.contains(a)) {
                    Some(address) => address,
                    None => next_free(prefix, &used).ok_or_else(|| {
                        bad(
                            "SubnetIsFull",
                            format!("Subnet {subnet} has no free IP address left."),
                        )
                    })?,
                }
            }
        };
        let public_ip = match properties["publicIPAddress"]["id"].as_str() {
            Some(reference) => {
                let pip = sub
                    .network
                    .public_ip_addresses
                    .iter()
                    .find(|p| {
                        same_id(
                            &id(sub, &p.resource_group, Kind::PublicIp, &p.name),
                            reference,
                        ) && p.location.eq_ignore_ascii_case(&location)
                    })
                    .ok_or_else(|| reference_not_found(reference, &by))?;
                let pid = id(sub, &pip.resource_group, Kind::PublicIp, &pip.name);
                if let Some(user) = public_ip_user(sub, &pid).filter(|u| {
                    !u.to_ascii_lowercase()
                        .starts_with(&owner.to_ascii_lowercase())
                }) {
                    return Err(bad(
                        "PublicIPAddressInUse",
                        format!("Public IP address {pid} is already used by {user}."),
                    ));
                }
                Some(pid)
            }
            None => None,
        };
        configurations.push(IpConfigurationRecord {
            name: config_name,
            subnet,
            private_ip: std::net::Ipv4Addr::from(private_ip).to_string(),
            static_ip,
            public_ip,
            primary: properties["primary"].as_bool().unwrap_or(index == 0),
        });
    }
    let security_group = match body["properties"]["networkSecurityGroup"]["id"].as_str() {
        Some(reference) => Some(check_nsg_reference(sub, reference, &location, &owner)?),
        None => None,
    };
    let mut record = NetworkInterfaceRecord {
        resource_group: group_name(sub, rg),
        name: name.to_owned(),
        location,
        ip_configurations: configurations,
        security_group,
        mac_address: mac_address(),
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    if let Some(i) = existing {
        let old = &sub.network.network_interfaces[i];
        record.guid.clone_from(&old.guid);
        record.created.clone_from(&old.created);
        record.mac_address.clone_from(&old.mac_address);
        sub.network.network_interfaces[i] = record;
        Ok(false)
    } else {
        sub.network.network_interfaces.push(record);
        Ok(true)
    }
}

fn mac_address() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    format!(
        "00-0D-3A-{:02X}-{:02X}-{:02X}",
        bytes[0], bytes[1], bytes[2]
    )
}

fn put_public_ip(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let location = body_location(body)?;
    let existing = sub
        .network
        .public_ip_addresses
        .iter()
        .position(|p| matches(&p.resource_group, &p.name, rg, name));
    keep_location(
        existing.map(|i| sub.network.public_ip_addresses[i].location.as_str()),
        &location,
        name,
        rg,
    )?;
    let sku = match body["sku"]["name"].as_str() {
        None => "Basic".to_owned(),
        Some(s) if s.eq_ignore_ascii_case("Basic") => "Basic".to_owned(),
        Some(s) if s.eq_ignore_ascii_case("Standard") => "Standard".to_owned(),
        Some(other) => {
            return Err(bad(
                "InvalidRequestFormat",
                format!("'{other}' is not a public IP SKU: use Basic or Standard."),
            ));
        }
    };
    let method = body["properties"]["publicIPAllocationMethod"].as_str();
    let static_allocation = match method {
        Some(m) if m.eq_ignore_ascii_case("Static") => true,
        Some(m) if m.eq_ignore_ascii_case("Dynamic") => {
            if sku == "Standard" {
                // The service's rule; its error code for it is not in the spec pack.
                return Err(bad(
                    "StandardSkuPublicIPAddressesCannotHaveDynamicAllocation",
                    format!(
                        "Public IP address {name} of SKU Standard needs the Static allocation method."
                    ),
                ));
            }
            false
        }
        Some(other) => {
            return Err(bad(
                "InvalidRequestFormat",
                format!("'{other}' is not an allocation method: use Static or Dynamic."),
            ));
        }
        None => sku == "Standard",
    };
    if body["properties"]["publicIPAddressVersion"]
        .as_str()
        .is_some_and(|v| !v.eq_ignore_ascii_case("IPv4"))
    {
        return Err(bad(
            "InvalidRequestFormat",
            "The sandbox allocates IPv4 public addresses only.".to_owned(),
        ));
    }
    let kept_address = existing.and_then(|i| sub.network.public_ip_addresses[i].ip_address.clone());
    let ip_address = if static_allocation {
        let used: Vec<String> = sub
            .network
            .public_ip_addresses
            .iter()
            .filter_map(|p| p.ip_address.clone())
            .collect();
        kept_address.or_else(|| {
            (10..255)
                .map(|n| format!("203.0.113.{n}"))
                .find(|a| !used.contains(a))
        })
    } else {
        None
    };
    let mut record = PublicIpRecord {
        resource_group: group_name(sub, rg),
        name: name.to_owned(),
        location,
        sku,
        static_allocation,
        ip_address,
        domain_name_label: body["properties"]["dnsSettings"]["domainNameLabel"]
            .as_str()
            .map(str::to_owned),
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    if let Some(i) = existing {
        let old = &sub.network.public_ip_addresses[i];
        record.guid.clone_from(&old.guid);
        record.created.clone_from(&old.created);
        sub.network.public_ip_addresses[i] = record;
        Ok(false)
    } else {
        sub.network.public_ip_addresses.push(record);
        Ok(true)
    }
}

fn parse_rule(rule: &Value, owner: &str) -> Result<SecurityRuleRecord, ArmError> {
    let name = rule["name"].as_str().unwrap_or_default().to_owned();
    let p = &rule["properties"];
    let text = |key: &str| p[key].as_str().map(str::to_owned);
    let one_of = |key: &str, allowed: &[&str]| -> Result<String, ArmError> {
        let value = text(key).unwrap_or_default();
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(&value))
            .map(|a| (*a).to_owned())
            .ok_or_else(|| {
                bad(
                    "SecurityRuleParameterContainsUnsupportedValue",
                    format!(
                        "Security rule {owner}/securityRules/{name} has '{value}' for {key}; use one of {}.",
                        allowed.join(", ")
                    ),
                )
            })
    };
    let priority = p["priority"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| (100..=4096).contains(v))
        .ok_or_else(|| {
            bad(
                "SecurityRuleInvalidPriority",
                format!("Security rule {name} has an invalid priority. Values can be between 100 and 4096."),
            )
        })?;
    Ok(SecurityRuleRecord {
        protocol: one_of("protocol", &["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"])?,
        access: one_of("access", &["Allow", "Deny"])?,
        direction: one_of("direction", &["Inbound", "Outbound"])?,
        priority,
        source_address_prefix: text("sourceAddressPrefix").unwrap_or_else(|| "*".to_owned()),
        source_port_range: text("sourcePortRange").unwrap_or_else(|| "*".to_owned()),
        destination_address_prefix: text("destinationAddressPrefix")
            .unwrap_or_else(|| "*".to_owned()),
        destination_port_range: text("destinationPortRange").unwrap_or_else(|| "*".to_owned()),
        name,
    })
}

fn put_nsg(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let location = body_location(body)?;
    let existing = sub
        .network
        .security_groups
        .iter()
        .position(|g| matches(&g.resource_group, &g.name, rg, name));
    keep_location(
        existing.map(|i| sub.network.security_groups[i].location.as_str()),
        &location,
        name,
        rg,
    )?;
    let owner = id(sub, rg, Kind::SecurityGroup, name);
    let mut rules: Vec<SecurityRuleRecord> = Vec::new();
    for rule in body["properties"]["securityRules"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let rule = parse_rule(rule, &owner)?;
        // Priorities are unique per direction; the service's code for a clash is a guess here.
        if let Some(other) = rules
            .iter()
            .find(|r| r.priority == rule.priority && r.direction == rule.direction)
        {
            return Err(bad(
                "SecurityRuleConflict",
                format!(
                    "Security rules {} and {} have the same priority {} and direction {}.",
                    other.name, rule.name, rule.priority, rule.direction
                ),
            ));
        }
        rules.push(rule);
    }
    let mut record = SecurityGroupRecord {
        resource_group: group_name(sub, rg),
        name: name.to_owned(),
        location,
        rules,
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    if let Some(i) = existing {
        let old = &sub.network.security_groups[i];
        record.guid.clone_from(&old.guid);
        record.created.clone_from(&old.created);
        sub.network.security_groups[i] = record;
        Ok(false)
    } else {
        sub.network.security_groups.push(record);
        Ok(true)
    }
}

fn group_name(sub: &SubscriptionRecord, rg: &str) -> String {
    sub.resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(rg))
        .map_or_else(|| rg.to_owned(), |g| g.name.clone())
}

fn require_group(sub: &SubscriptionRecord, rg: &str) -> Result<(), ArmError> {
    if sub
        .resource_groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        Ok(())
    } else {
        Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ))
    }
}

/// Creates or updates a resource of `kind` from its (evaluated) body; `true` when created. Used
/// by the PUT handlers and by template deployments.
pub(crate) fn put_resource(
    sub: &mut SubscriptionRecord,
    kind: Kind,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    require_group(sub, rg)?;
    match kind {
        Kind::VirtualNetwork => put_vnet(sub, rg, name, body),
        Kind::NetworkInterface => put_nic(sub, rg, name, body),
        Kind::PublicIp => put_public_ip(sub, rg, name, body),
        Kind::SecurityGroup => put_nsg(sub, rg, name, body),
    }
}

/// Deletes a resource, unless it is in use; `false` when there was none.
fn delete_resource(
    sub: &mut SubscriptionRecord,
    kind: Kind,
    rg: &str,
    name: &str,
) -> Result<bool, ArmError> {
    let rid = id(sub, rg, kind, name);
    match kind {
        Kind::VirtualNetwork => {
            let Some(i) = sub
                .network
                .virtual_networks
                .iter()
                .position(|v| matches(&v.resource_group, &v.name, rg, name))
            else {
                return Ok(false);
            };
            let v = &sub.network.virtual_networks[i];
            for s in &v.subnets {
                subnet_in_use(sub, v, &s.name)?;
            }
            sub.network.virtual_networks.remove(i);
        }
        Kind::NetworkInterface => {
            let Some(i) = sub
                .network
                .network_interfaces
                .iter()
                .position(|n| matches(&n.resource_group, &n.name, rg, name))
            else {
                return Ok(false);
            };
            if let Some(vm) = attached_vm(sub, &rid) {
                return Err(bad(
                    "NicInUse",
                    format!(
                        "Network Interface {rid} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic."
                    ),
                ));
            }
            sub.network.network_interfaces.remove(i);
        }
        Kind::PublicIp => {
            let Some(i) = sub
                .network
                .public_ip_addresses
                .iter()
                .position(|p| matches(&p.resource_group, &p.name, rg, name))
            else {
                return Ok(false);
            };
            if let Some(user) = public_ip_user(sub, &rid) {
                return Err(bad(
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {rid} can not be deleted since it is still allocated to resource {user}. In order to delete the public IP, disassociate/detach the Public IP address from the resource."
                    ),
                ));
            }
            sub.network.public_ip_addresses.remove(i);
        }
        Kind::SecurityGroup => {
            let Some(i) = sub
                .network
                .security_groups
                .iter()
                .position(|g| matches(&g.resource_group, &g.name, rg, name))
            else {
                return Ok(false);
            };
            let g = &sub.network.security_groups[i];
            let json = nsg_json(sub, g);
            let users: Vec<&str> = ["networkInterfaces", "subnets"]
                .iter()
                .flat_map(|k| json["properties"][k].as_array().into_iter().flatten())
                .filter_map(|u| u["id"].as_str())
                .collect();
            if !users.is_empty() {
                return Err(bad(
                    "InUseNetworkSecurityGroupCannotBeDeleted",
                    format!(
                        "Network security group {rid} cannot be deleted because it is in use by the following resources: {}. In order to delete the Network security group, remove the association with the resource(s).",
                        users.join(", ")
                    ),
                ));
            }
            sub.network.security_groups.remove(i);
        }
    }
    Ok(true)
}

fn delete_subnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    vnet: &str,
    name: &str,
) -> Result<bool, ArmError> {
    let Some(i) = sub
        .network
        .virtual_networks
        .iter()
        .position(|v| matches(&v.resource_group, &v.name, rg, vnet))
    else {
        return Ok(false);
    };
    let v = &sub.network.virtual_networks[i];
    if !v.subnets.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
        return Ok(false);
    }
    subnet_in_use(sub, v, name)?;
    sub.network.virtual_networks[i]
        .subnets
        .retain(|s| !s.name.eq_ignore_ascii_case(name));
    Ok(true)
}

// ---- HTTP ----------------------------------------------------------------------------------

/// A request under `.../providers/Microsoft.Network/`.
pub(crate) struct NetworkRequest<'a> {
    pub method: &'a Method,
    pub subscription: &'a str,
    pub resource_group: Option<&'a str>,
    /// The segments after `providers/Microsoft.Network` (original casing).
    pub rest: &'a [&'a str],
    /// The same, lower-cased.
    pub lower: &'a [&'a str],
    pub api_version: &'a str,
    pub body: &'a [u8],
    pub page: Page,
    /// The list URL with its api-version, for nextLinks.
    pub base: &'a str,
}

fn operation_urls(
    state: &Shared,
    subscription: &str,
    location: &str,
    api_version: &str,
) -> (String, String) {
    let operation = uuid::Uuid::new_v4();
    let prefix = format!(
        "{}/subscriptions/{subscription}/providers/Microsoft.Network/locations/{location}",
        state.arm_endpoint
    );
    (
        format!("{prefix}/operations/{operation}?api-version={api_version}"),
        format!("{prefix}/operationResults/{operation}?api-version={api_version}"),
    )
}

fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

fn parse_body(body: &[u8]) -> Result<Value, ArmError> {
    serde_json::from_slice(body).map_err(|e| {
        bad(
            "InvalidRequestFormat",
            format!("Cannot parse the request: {e}."),
        )
    })
}

/// Handles the request, or `None` when no route matches.
pub(crate) fn dispatch(
    state: &Shared,
    r: &NetworkRequest<'_>,
) -> Option<Result<Response, ArmError>> {
    let method = r.method;
    let result = match (r.resource_group, r.lower) {
        (None, ["locations", _, "operations", _]) if method == Method::GET => {
            Ok(Json(json!({ "status": "Succeeded" })).into_response())
        }
        (None, ["locations", _, "operationresults", _]) if method == Method::GET => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (rg, [kind]) if method == Method::GET => {
            let kind = Kind::from_segment(kind)?;
            let tenant = state.tenant();
            tenant
                .subscription(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))
                .and_then(|sub| {
                    if let Some(rg) = rg {
                        require_group(sub, rg)?;
                    }
                    Ok(Json(render_list(sub, kind, rg, r.page, r.base)).into_response())
                })
        }
        (Some(rg), [kind, _]) => {
            let kind = Kind::from_segment(kind)?;
            resource(state, r, kind, rg, r.rest[1])
        }
        (Some(rg), ["virtualnetworks", _, "subnets"]) if method == Method::GET => {
            let tenant = state.tenant();
            tenant
                .subscription(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))
                .and_then(|sub| {
                    let v = sub
                        .network
                        .virtual_networks
                        .iter()
                        .find(|v| matches(&v.resource_group, &v.name, rg, r.rest[1]))
                        .ok_or_else(|| not_found(Kind::VirtualNetwork, r.rest[1], rg))?;
                    Ok(Json(
                        r.page
                            .render(&v.subnets, |s| subnet_json(sub, v, s), r.base),
                    )
                    .into_response())
                })
        }
        (Some(rg), ["virtualnetworks", _, "subnets", _]) => {
            subnet(state, r, rg, r.rest[1], r.rest[3])
        }
        _ => return None,
    };
    Some(result)
}

fn resource(
    state: &Shared,
    r: &NetworkRequest<'_>,
    kind: Kind,
    rg: &str,
    name: &str,
) -> Result<Response, ArmError> {
    match *r.method {
        Method::GET => {
            let tenant = state.tenant();
            let sub = tenant
                .subscription(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            render_one(sub, kind, rg, name)
                .map(|v| Json(v).into_response())
                .ok_or_else(|| not_found(kind, name, rg))
        }
        Method::PUT => {
            let body = parse_body(r.body)?;
            let mut tenant = state.tenant_mut();
            let sub = tenant
                .subscription_mut(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            let created = put_resource(sub, kind, rg, name, &body)?;
            let value = render_one(sub, kind, rg, name).unwrap_or_default();
            let location = value["location"].as_str().unwrap_or_default().to_owned();
            state.persist(&tenant)?;
            drop(tenant);
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let (operation, _) = operation_urls(state, r.subscription, &location, r.api_version);
            Ok(with_header(
                (status, Json(value)).into_response(),
                "azure-asyncoperation",
                &operation,
            ))
        }
        Method::PATCH => {
            // UpdateTags: only the tags change.
            let body = parse_body(r.body)?;
            let tags = body_tags(&body);
            let mut tenant = state.tenant_mut();
            let sub = tenant
                .subscription_mut(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            let n = &mut sub.network;
            let slot = match kind {
                Kind::VirtualNetwork => n
                    .virtual_networks
                    .iter_mut()
                    .find(|v| matches(&v.resource_group, &v.name, rg, name))
                    .map(|v| &mut v.tags),
                Kind::NetworkInterface => n
                    .network_interfaces
                    .iter_mut()
                    .find(|v| matches(&v.resource_group, &v.name, rg, name))
                    .map(|v| &mut v.tags),
                Kind::PublicIp => n
                    .public_ip_addresses
                    .iter_mut()
                    .find(|v| matches(&v.resource_group, &v.name, rg, name))
                    .map(|v| &mut v.tags),
                Kind::SecurityGroup => n
                    .security_groups
                    .iter_mut()
                    .find(|v| matches(&v.resource_group, &v.name, rg, name))
                    .map(|v| &mut v.tags),
            };
            *slot.ok_or_else(|| not_found(kind, name, rg))? = tags;
            let value = render_one(sub, kind, rg, name).unwrap_or_default();
            state.persist(&tenant)?;
            Ok(Json(value).into_response())
        }
        Method::DELETE => {
            let mut tenant = state.tenant_mut();
            let sub = tenant
                .subscription_mut(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            let location = render_one(sub, kind, rg, name)
                .and_then(|v| v["location"].as_str().map(str::to_owned));
            let deleted = delete_resource(sub, kind, rg, name)?;
            state.persist(&tenant)?;
            drop(tenant);
            Ok(deleted_response(state, r, deleted, location.as_deref()))
        }
        _ => Err(crate::arm::method_not_allowed(r.method)),
    }
}

fn deleted_response(
    state: &Shared,
    r: &NetworkRequest<'_>,
    deleted: bool,
    location: Option<&str>,
) -> Response {
    if !deleted {
        return StatusCode::NO_CONTENT.into_response();
    }
    let (operation, result) = operation_urls(
        state,
        r.subscription,
        location.unwrap_or("global"),
        r.api_version,
    );
    let response = crate::backup::accepted(state, Some(&result), Some(&operation));
    with_header(response, "content-length", "0")
}

fn subnet(
    state: &Shared,
    r: &NetworkRequest<'_>,
    rg: &str,
    vnet: &str,
    name: &str,
) -> Result<Response, ArmError> {
    let render = |sub: &SubscriptionRecord| {
        sub.network
            .virtual_networks
            .iter()
            .find(|v| matches(&v.resource_group, &v.name, rg, vnet))
            .and_then(|v| {
                v.subnets
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(name))
                    .map(|s| (subnet_json(sub, v, s), v.location.clone()))
            })
    };
    let subnet_missing = || {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "Resource /subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name} not found.",
                r.subscription
            ),
        )
    };
    match *r.method {
        Method::GET => {
            let tenant = state.tenant();
            let sub = tenant
                .subscription(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            render(sub)
                .map(|(v, _)| Json(v).into_response())
                .ok_or_else(subnet_missing)
        }
        Method::PUT => {
            let body = parse_body(r.body)?;
            let mut tenant = state.tenant_mut();
            let sub = tenant
                .subscription_mut(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            require_group(sub, rg)?;
            let created = put_subnet(sub, rg, vnet, name, &body)?;
            let (value, location) = render(sub).unwrap_or_default();
            state.persist(&tenant)?;
            drop(tenant);
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let (operation, _) = operation_urls(state, r.subscription, &location, r.api_version);
            Ok(with_header(
                (status, Json(value)).into_response(),
                "azure-asyncoperation",
                &operation,
            ))
        }
        Method::DELETE => {
            let mut tenant = state.tenant_mut();
            let sub = tenant
                .subscription_mut(r.subscription)
                .ok_or_else(|| subscription_not_found(r.subscription))?;
            let location = render(sub).map(|(_, l)| l);
            let deleted = delete_subnet(sub, rg, vnet, name)?;
            state.persist(&tenant)?;
            drop(tenant);
            Ok(deleted_response(state, r, deleted, location.as_deref()))
        }
        _ => Err(crate::arm::method_not_allowed(r.method)),
    }
}

// ---- Seeding -------------------------------------------------------------------------------

/// A virtual network a seeded tenant starts with: one subnet, `default`.
pub(crate) struct SeedNetwork<'a> {
    pub resource_group: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    /// The address space, e.g. `10.10.0.0/16`.
    pub address_prefix: &'a str,
    /// The `default` subnet's prefix, inside the address space.
    pub subnet_prefix: &'a str,
}

/// A GUID that depends only on `seed`: seeded tenants stay the same from one build to the next.
fn stable_guid(seed: &str) -> String {
    let hash = |salt: u64| {
        seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64 ^ salt, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let bytes = (u128::from(hash(0)) << 64 | u128::from(hash(0x9e37_79b9))).to_be_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Adds `networks` to `sub`, then gives every VM without a NIC one, `{vm}-nic` in the VM's group,
/// on the `default` subnet of a network of its region (a region none of `networks` covers gets
/// `vnet-{region}` in the VM's group). Addresses are handed out in order; nothing else is
/// touched, so a data directory from before NICs existed gets them the same way.
pub(crate) fn provision(sub: &mut SubscriptionRecord, networks: &[SeedNetwork<'_>]) {
    let created = "2024-01-15T00:00:00Z";
    for n in networks {
        if sub
            .network
            .virtual_networks
            .iter()
            .any(|v| matches(&v.resource_group, &v.name, n.resource_group, n.name))
        {
            continue;
        }
        sub.network.virtual_networks.push(VirtualNetworkRecord {
            resource_group: n.resource_group.to_owned(),
            name: n.name.to_owned(),
            location: n.location.to_owned(),
            address_prefixes: vec![n.address_prefix.to_owned()],
            subnets: vec![SubnetRecord {
                name: "default".to_owned(),
                address_prefix: n.subnet_prefix.to_owned(),
                security_group: None,
            }],
            tags: Default::default(),
            guid: stable_guid(&format!(
                "{}/{}/{}",
                sub.subscription_id, n.resource_group, n.name
            )),
            created: created.to_owned(),
        });
    }
    let mut spare_octet = 250_u8;
    // The next free address of each subnet (by subnet id), so a large tenant costs one pass.
    let mut next: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for i in 0..sub.virtual_machines.len() {
        if !sub.virtual_machines[i].network_interfaces.is_empty() {
            continue;
        }
        let (vm_rg, vm_name, location) = {
            let vm = &sub.virtual_machines[i];
            (
                vm.resource_group.clone(),
                vm.name.clone(),
                vm.location.clone(),
            )
        };
        let v = match sub
            .network
            .virtual_networks
            .iter()
            .position(|v| v.location.eq_ignore_ascii_case(&location) && !v.subnets.is_empty())
        {
            Some(v) => v,
            None => {
                let prefix = format!("10.{spare_octet}.0.0/16");
                spare_octet = spare_octet.saturating_sub(1);
                let name = format!("vnet-{location}");
                sub.network.virtual_networks.push(VirtualNetworkRecord {
                    resource_group: vm_rg.clone(),
                    guid: stable_guid(&format!("{}/{vm_rg}/{name}", sub.subscription_id)),
                    name,
                    location: location.clone(),
                    subnets: vec![SubnetRecord {
                        name: "default".to_owned(),
                        address_prefix: prefix.clone(),
                        security_group: None,
                    }],
                    address_prefixes: vec![prefix],
                    tags: Default::default(),
                    created: created.to_owned(),
                });
                sub.network.virtual_networks.len() - 1
            }
        };
        let vnet = &sub.network.virtual_networks[v];
        let subnet = subnet_id(sub, vnet, &vnet.subnets[0].name);
        let Some(prefix) = Prefix::parse(&vnet.subnets[0].address_prefix) else {
            continue;
        };
        let address = match next.get(&subnet) {
            Some(a) => *a,
            None => {
                let used = used_in_subnet(sub, &subnet, None);
                next_free(prefix, &used).unwrap_or(prefix.base + 4)
            }
        };
        if address >= prefix.last() {
            continue;
        }
        next.insert(subnet.clone(), address + 1);
        let nic_name = format!("{vm_name}-nic");
        let nid = id(sub, &vm_rg, Kind::NetworkInterface, &nic_name);
        let guid = stable_guid(&nid);
        let mac = guid.replace('-', "").to_ascii_uppercase();
        sub.network.network_interfaces.push(NetworkInterfaceRecord {
            resource_group: vm_rg,
            name: nic_name,
            location,
            ip_configurations: vec![IpConfigurationRecord {
                name: "ipconfig1".to_owned(),
                subnet,
                private_ip: std::net::Ipv4Addr::from(address).to_string(),
                static_ip: false,
                public_ip: None,
                primary: true,
            }],
            security_group: None,
            mac_address: format!("00-0D-3A-{}-{}-{}", &mac[0..2], &mac[2..4], &mac[4..6]),
            tags: Default::default(),
            guid,
            created: created.to_owned(),
        });
        sub.virtual_machines[i].network_interfaces = vec![nid];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_only_network_addresses() {
        assert_eq!(
            Prefix::parse("10.1.0.0/16"),
            Some(Prefix {
                base: 0x0A01_0000,
                len: 16
            })
        );
        assert_eq!(Prefix::parse("10.1.0.1/16"), None);
        assert_eq!(Prefix::parse("10.1.0.0/33"), None);
        assert_eq!(Prefix::parse("10.1.0.0"), None);
    }

    #[test]
    fn a_subnet_must_lie_inside_its_network() {
        let vnet = Prefix::parse("10.1.0.0/16").unwrap();
        assert!(vnet.covers(Prefix::parse("10.1.2.0/24").unwrap()));
        assert!(!vnet.covers(Prefix::parse("10.2.0.0/24").unwrap()));
        assert!(!vnet.covers(Prefix::parse("10.0.0.0/8").unwrap()));
    }

    #[test]
    fn allocation_skips_the_reserved_and_used_addresses() {
        let subnet = Prefix::parse("10.1.0.0/29").unwrap();
        assert_eq!(next_free(subnet, &[]), Some(0x0A01_0004));
        assert_eq!(next_free(subnet, &[0x0A01_0004]), Some(0x0A01_0005));
        // .4, .5 and .6 are the only usable ones in a /29: .7 is the broadcast address.
        assert_eq!(
            next_free(subnet, &[0x0A01_0004, 0x0A01_0005, 0x0A01_0006]),
            None
        );
    }
}
