//! Networks for seeded tenants and for data directories from before networks existed.

use super::*;

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
pub(super) fn stable_guid(seed: &str) -> String {
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
