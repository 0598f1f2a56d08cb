//! Creating, updating and deleting network resources, with the checks the service makes.

use super::*;

pub(super) fn now_rfc3339() -> String {
    crate::recovery_services::rfc3339(crate::token::now())
}

pub(super) fn body_location(body: &Value) -> Result<String, ArmError> {
    body["location"]
        .as_str()
        .map(|l| l.to_ascii_lowercase().replace(' ', ""))
        .ok_or_else(|| {
            bad(
                "LocationRequired",
                "The request body needs a location.".to_owned(),
            )
        })
}

pub(super) fn body_tags(body: &Value) -> std::collections::BTreeMap<String, String> {
    serde_json::from_value(body["tags"].clone()).unwrap_or_default()
}

/// Where a PUT of `name` in `rg` goes: the body's location, and the position of the record it
/// updates, if any (which must stay in its region).
pub(super) fn placement<R: Record>(
    n: &crate::tenant::NetworkRecords,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<(String, Option<usize>), ArmError> {
    let location = body_location(body)?;
    let existing = position::<R>(n, rg, name);
    keep_location(
        existing.map(|i| R::list(n)[i].location()),
        &location,
        name,
        rg,
    )?;
    Ok((location, existing))
}

pub(super) fn keep_location(
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
                "Resource group '{rg}' already has a resource named '{name}', in region '{location}'; it cannot move to '{wanted}', so choose another name."
            ),
        )),
        _ => Ok(()),
    }
}

/// Finds a referenced NSG (by id) in `location`.
pub(super) fn check_nsg_reference(
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

pub(super) fn parse_subnet(
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
pub(super) fn check_subnets(v: &VirtualNetworkRecord, owner: &str) -> Result<(), ArmError> {
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
                    "The address range of subnet '{}' lies outside the address space of virtual network '{}'.",
                    s.name, v.name
                ),
            ));
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| p.overlaps(prefix)) {
            return Err(bad(
                "NetcfgSubnetRangesOverlap",
                format!(
                    "The address range of subnet '{}' overlaps subnet '{other}' of virtual network '{}'.",
                    s.name, v.name
                ),
            ));
        }
        seen.push((&s.name, prefix));
    }
    Ok(())
}

pub(super) fn subnet_in_use(
    sub: &SubscriptionRecord,
    v: &VirtualNetworkRecord,
    subnet: &str,
) -> Result<(), ArmError> {
    let sid = subnet_id(sub, v, subnet);
    match configurations_in_subnet(sub, &sid).first() {
        Some(user) => Err(bad(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {subnet} cannot be deleted while {user} uses it; delete what uses the subnet first."
            ),
        )),
        None => Ok(()),
    }
}

pub(super) fn put_vnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let (location, existing) = placement::<VirtualNetworkRecord>(&sub.network, rg, name, body)?;
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
    let record = VirtualNetworkRecord {
        resource_group: sub.group_name(rg),
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
    }
    Ok(store(&mut sub.network, existing, record, |_, _| {}))
}

pub(super) fn put_subnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    vnet: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let i = position::<VirtualNetworkRecord>(&sub.network, rg, vnet)
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

pub(super) fn used_in_subnet(
    sub: &SubscriptionRecord,
    subnet: &str,
    except_nic: Option<&str>,
) -> Vec<u32> {
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
pub(super) fn find_subnet(
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
    let v = find::<VirtualNetworkRecord>(&sub.network, vnet_rg, vnet_name)
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

pub(super) fn put_nic(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let (location, existing) = placement::<NetworkInterfaceRecord>(&sub.network, rg, name, body)?;
    let owner = id(sub, rg, Kind::NetworkInterface, name);
    let requested = body["properties"]["ipConfigurations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if requested.is_empty() {
        return Err(bad(
            "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
            format!("Network interface {owner} needs an IP configuration."),
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
                            "IP configuration {by} asks for {text}, which is not a usable address of subnet {subnet}."
                        ),
                    ));
                }
                if used.contains(&address) {
                    return Err(bad(
                        "PrivateIPAddressInUse",
                        format!(
                            "IP configuration {by} asks for {text}, which another IP configuration of the subnet already has."
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
    let record = NetworkInterfaceRecord {
        resource_group: sub.group_name(rg),
        name: name.to_owned(),
        location,
        ip_configurations: configurations,
        security_group,
        mac_address: mac_address(),
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    // An update keeps the NIC's MAC address.
    Ok(store(&mut sub.network, existing, record, |old, new| {
        new.mac_address.clone_from(&old.mac_address);
    }))
}

pub(super) fn mac_address() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    format!(
        "00-0D-3A-{:02X}-{:02X}-{:02X}",
        bytes[0], bytes[1], bytes[2]
    )
}

pub(super) fn put_public_ip(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let (location, existing) = placement::<PublicIpRecord>(&sub.network, rg, name, body)?;
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
    let record = PublicIpRecord {
        resource_group: sub.group_name(rg),
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
    Ok(store(&mut sub.network, existing, record, |_, _| {}))
}

pub(super) fn parse_rule(rule: &Value, owner: &str) -> Result<SecurityRuleRecord, ArmError> {
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
                format!("Security rule {name} needs a priority from 100 to 4096."),
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

pub(super) fn put_nsg(
    sub: &mut SubscriptionRecord,
    rg: &str,
    name: &str,
    body: &Value,
) -> Result<bool, ArmError> {
    let (location, existing) = placement::<SecurityGroupRecord>(&sub.network, rg, name, body)?;
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
    let record = SecurityGroupRecord {
        resource_group: sub.group_name(rg),
        name: name.to_owned(),
        location,
        rules,
        tags: body_tags(body),
        guid: uuid::Uuid::new_v4().to_string(),
        created: now_rfc3339(),
    };
    Ok(store(&mut sub.network, existing, record, |_, _| {}))
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
    sub.require_group(rg)?;
    match kind {
        Kind::VirtualNetwork => put_vnet(sub, rg, name, body),
        Kind::NetworkInterface => put_nic(sub, rg, name, body),
        Kind::PublicIp => put_public_ip(sub, rg, name, body),
        Kind::SecurityGroup => put_nsg(sub, rg, name, body),
    }
}

/// Deletes a resource, unless it is in use; `false` when there was none.
pub(super) fn delete_resource(
    sub: &mut SubscriptionRecord,
    kind: Kind,
    rg: &str,
    name: &str,
) -> Result<bool, ArmError> {
    let rid = id(sub, rg, kind, name);
    match kind {
        Kind::VirtualNetwork => {
            remove_if_unused::<VirtualNetworkRecord>(sub, rg, name, |sub, v| {
                v.subnets
                    .iter()
                    .try_for_each(|s| subnet_in_use(sub, v, &s.name))
            })
        }
        Kind::NetworkInterface => {
            remove_if_unused::<NetworkInterfaceRecord>(sub, rg, name, |sub, _| {
                match attached_vm(sub, &rid) {
                    Some(vm) => Err(bad(
                        "NicInUse",
                        format!(
                            "Network interface {rid} is attached to virtual machine {vm}; detach it from the VM before deleting it."
                        ),
                    )),
                    None => Ok(()),
                }
            })
        }
        Kind::PublicIp => remove_if_unused::<PublicIpRecord>(sub, rg, name, |sub, _| {
            match public_ip_user(sub, &rid) {
                Some(user) => Err(bad(
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {rid} is still assigned to {user}; remove it from there before deleting it."
                    ),
                )),
                None => Ok(()),
            }
        }),
        Kind::SecurityGroup => remove_if_unused::<SecurityGroupRecord>(sub, rg, name, |sub, g| {
            let json = nsg_json(sub, g);
            let users: Vec<&str> = ["networkInterfaces", "subnets"]
                .iter()
                .flat_map(|k| json["properties"][k].as_array().into_iter().flatten())
                .filter_map(|u| u["id"].as_str())
                .collect();
            if users.is_empty() {
                Ok(())
            } else {
                Err(bad(
                    "InUseNetworkSecurityGroupCannotBeDeleted",
                    format!(
                        "Network security group {rid} is still associated with {}; remove those associations before deleting it.",
                        users.join(", ")
                    ),
                ))
            }
        }),
    }
}

pub(super) fn delete_subnet(
    sub: &mut SubscriptionRecord,
    rg: &str,
    vnet: &str,
    name: &str,
) -> Result<bool, ArmError> {
    let Some(i) = position::<VirtualNetworkRecord>(&sub.network, rg, vnet) else {
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
