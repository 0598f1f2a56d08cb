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

mod http;
mod prefix;
mod record;
mod seed;
mod wire;
mod writes;

pub(crate) use self::http::{NetworkRequest, dispatch};
pub(crate) use self::seed::{SeedNetwork, provision};
pub(crate) use self::wire::{entries, nic_in_region};
pub(crate) use self::writes::put_resource;

use self::prefix::*;
use self::record::*;
use self::wire::*;
use self::writes::*;

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

pub(super) fn id(sub: &SubscriptionRecord, rg: &str, kind: Kind, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/{}/{name}",
        sub.subscription_id,
        kind.segment()
    )
}

pub(super) fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

pub(super) fn etag(guid: &str) -> String {
    format!("W/\"{guid}\"")
}

pub(super) fn bad(code: &'static str, message: String) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

pub(super) fn not_found(kind: Kind, name: &str, rg: &str) -> ArmError {
    crate::arm::resource_not_found(kind.type_name(), name, rg)
}

pub(super) fn reference_not_found(reference: &str, by: &str) -> ArmError {
    bad(
        "InvalidResourceReference",
        format!(
            "Resource {by} refers to {reference}, which does not exist in the same region as {by}."
        ),
    )
}
