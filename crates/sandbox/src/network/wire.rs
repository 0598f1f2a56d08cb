//! The network resources' wire shapes (api-version 2024-03-01), and the reads built on them.

use super::*;

pub(super) fn ip_configuration_id(nic_id: &str, name: &str) -> String {
    format!("{nic_id}/ipConfigurations/{name}")
}

pub(super) fn subnet_id(
    sub: &SubscriptionRecord,
    vnet: &VirtualNetworkRecord,
    subnet: &str,
) -> String {
    format!(
        "{}/subnets/{subnet}",
        id(sub, &vnet.resource_group, Kind::VirtualNetwork, &vnet.name)
    )
}

pub(super) fn nic_id(sub: &SubscriptionRecord, nic: &NetworkInterfaceRecord) -> String {
    id(sub, &nic.resource_group, Kind::NetworkInterface, &nic.name)
}

/// The IP configurations (ids) of NICs in `subnet_id`.
pub(super) fn configurations_in_subnet(sub: &SubscriptionRecord, subnet_id: &str) -> Vec<String> {
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

pub(super) fn subnet_json(
    sub: &SubscriptionRecord,
    vnet: &VirtualNetworkRecord,
    s: &SubnetRecord,
) -> Value {
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

pub(super) fn vnet_json(sub: &SubscriptionRecord, v: &VirtualNetworkRecord) -> Value {
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
pub(super) fn attached_vm(sub: &SubscriptionRecord, nic_id: &str) -> Option<String> {
    sub.virtual_machines
        .iter()
        .find(|vm| {
            crate::compute::network_interface_ids(sub, vm)
                .iter()
                .any(|n| same_id(n, nic_id))
        })
        .map(|vm| crate::compute::vm_resource_id(sub, vm))
}

pub(super) fn nic_json(sub: &SubscriptionRecord, nic: &NetworkInterfaceRecord) -> Value {
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
pub(super) fn public_ip_user(sub: &SubscriptionRecord, pip_id: &str) -> Option<String> {
    sub.network.network_interfaces.iter().find_map(|nic| {
        nic.ip_configurations
            .iter()
            .find(|c| c.public_ip.as_deref().is_some_and(|p| same_id(p, pip_id)))
            .map(|c| ip_configuration_id(&nic_id(sub, nic), &c.name))
    })
}

pub(super) fn public_ip_json(sub: &SubscriptionRecord, p: &PublicIpRecord) -> Value {
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

pub(super) fn rule_json(
    nsg_id: &str,
    guid: &str,
    collection: &str,
    r: &SecurityRuleRecord,
) -> Value {
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
pub(super) fn default_rules() -> Vec<SecurityRuleRecord> {
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

pub(super) fn nsg_json(sub: &SubscriptionRecord, g: &SecurityGroupRecord) -> Value {
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
    let mut out: Vec<Entry> = Vec::new();
    out.extend(entries_of::<VirtualNetworkRecord>(sub).map(|(_, e)| e));
    out.extend(entries_of::<NetworkInterfaceRecord>(sub).map(|(_, e)| e));
    out.extend(
        entries_of::<PublicIpRecord>(sub)
            .map(|(p, e)| e.with("sku", json!({ "name": p.sku, "tier": "Regional" }))),
    );
    out.extend(entries_of::<SecurityGroupRecord>(sub).map(|(_, e)| e));
    out
}

// Reads.

pub(super) fn matches(rg: &str, name: &str, want_rg: &str, want_name: &str) -> bool {
    rg.eq_ignore_ascii_case(want_rg) && name.eq_ignore_ascii_case(want_name)
}

pub(super) fn in_group(rg: Option<&str>, resource_rg: &str) -> bool {
    rg.is_none_or(|g| g.eq_ignore_ascii_case(resource_rg))
}

pub(super) fn render_list(
    sub: &SubscriptionRecord,
    kind: Kind,
    rg: Option<&str>,
    page: Page,
    base: &str,
) -> Value {
    match kind {
        Kind::VirtualNetwork => page_of::<VirtualNetworkRecord>(sub, rg, page, base),
        Kind::NetworkInterface => page_of::<NetworkInterfaceRecord>(sub, rg, page, base),
        Kind::PublicIp => page_of::<PublicIpRecord>(sub, rg, page, base),
        Kind::SecurityGroup => page_of::<SecurityGroupRecord>(sub, rg, page, base),
    }
}

/// The resource's wire shape, if it exists.
pub(super) fn render_one(
    sub: &SubscriptionRecord,
    kind: Kind,
    rg: &str,
    name: &str,
) -> Option<Value> {
    match kind {
        Kind::VirtualNetwork => json_of::<VirtualNetworkRecord>(sub, rg, name),
        Kind::NetworkInterface => json_of::<NetworkInterfaceRecord>(sub, rg, name),
        Kind::PublicIp => json_of::<PublicIpRecord>(sub, rg, name),
        Kind::SecurityGroup => json_of::<SecurityGroupRecord>(sub, rg, name),
    }
}

/// Whether a NIC with this id exists in `location`.
pub(crate) fn nic_in_region(sub: &SubscriptionRecord, nic: &str, location: &str) -> bool {
    sub.network
        .network_interfaces
        .iter()
        .any(|n| same_id(&nic_id(sub, n), nic) && n.location.eq_ignore_ascii_case(location))
}
