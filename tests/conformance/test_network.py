"""azure-mgmt-network: what a VM built from restored disks needs, in "Contoso Production".

PUTs are long-running (the body at once, with Azure-AsyncOperation); DELETEs answer 202 with
Location and Azure-AsyncOperation. References are checked: a NIC's subnet must exist in the NIC's
region, and a resource in use cannot be deleted.
"""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import (
    AddressSpace,
    NetworkInterface,
    NetworkInterfaceIPConfiguration,
    NetworkSecurityGroup,
    PublicIPAddress,
    PublicIPAddressSku,
    SecurityRule,
    Subnet,
    VirtualNetwork,
)

GROUP = "rg-app-prod"
pytestmark = pytest.mark.sandbox_args("--lro-retry-after-secs", "1")


@pytest.fixture
def network(sandbox, production_subscription_id):
    with sandbox.mgmt_client(NetworkManagementClient, production_subscription_id) as client:
        yield client


def _vnet(network, name="vnet-conformance", prefix="10.80"):
    return network.virtual_networks.begin_create_or_update(
        GROUP,
        name,
        VirtualNetwork(
            location="japaneast",
            address_space=AddressSpace(address_prefixes=[f"{prefix}.0.0/16"]),
            subnets=[Subnet(name="default", address_prefix=f"{prefix}.0.0/24")],
        ),
        polling_interval=0.1,
    ).result()


def _nic(network, name, subnet_id, location="japaneast", **extra):
    return network.network_interfaces.begin_create_or_update(
        GROUP,
        name,
        NetworkInterface(
            location=location,
            ip_configurations=[
                NetworkInterfaceIPConfiguration(
                    name="ipconfig1", subnet=Subnet(id=subnet_id), **extra
                )
            ],
        ),
        polling_interval=0.1,
    ).result()


def test_vnet_with_subnets_is_created_listed_and_read(network):
    vnet = _vnet(network)

    assert vnet.provisioning_state == "Succeeded"
    assert [s.name for s in vnet.subnets] == ["default"]
    assert "vnet-conformance" in [v.name for v in network.virtual_networks.list_all()]
    assert "vnet-conformance" in [v.name for v in network.virtual_networks.list(GROUP)]
    subnet = network.subnets.get(GROUP, "vnet-conformance", "default")
    assert subnet.address_prefix == "10.80.0.0/24"
    added = network.subnets.begin_create_or_update(
        GROUP,
        "vnet-conformance",
        "backend",
        Subnet(address_prefix="10.80.1.0/24"),
        polling_interval=0.1,
    ).result()
    assert added.name == "backend"
    assert len(list(network.subnets.list(GROUP, "vnet-conformance"))) == 2


def test_nic_with_public_ip_and_nsg(network):
    vnet = _vnet(network)
    pip = network.public_ip_addresses.begin_create_or_update(
        GROUP,
        "pip-conformance",
        PublicIPAddress(
            location="japaneast",
            sku=PublicIPAddressSku(name="Standard"),
            public_ip_allocation_method="Static",
        ),
        polling_interval=0.1,
    ).result()
    nsg = network.network_security_groups.begin_create_or_update(
        GROUP,
        "nsg-conformance",
        NetworkSecurityGroup(
            location="japaneast",
            security_rules=[
                SecurityRule(
                    name="allow-ssh",
                    protocol="Tcp",
                    access="Allow",
                    priority=200,
                    direction="Inbound",
                    source_address_prefix="10.0.0.0/8",
                    source_port_range="*",
                    destination_address_prefix="*",
                    destination_port_range="22",
                )
            ],
        ),
        polling_interval=0.1,
    ).result()
    assert len(nsg.default_security_rules) == 6

    nic = network.network_interfaces.begin_create_or_update(
        GROUP,
        "nic-conformance",
        NetworkInterface(
            location="japaneast",
            network_security_group=NetworkSecurityGroup(id=nsg.id),
            ip_configurations=[
                NetworkInterfaceIPConfiguration(
                    name="ipconfig1",
                    subnet=Subnet(id=vnet.subnets[0].id),
                    public_ip_address=PublicIPAddress(id=pip.id),
                )
            ],
        ),
        polling_interval=0.1,
    ).result()

    config = nic.ip_configurations[0]
    assert config.private_ip_address == "10.80.0.4"
    assert config.primary is True
    assert config.public_ip_address.id.lower() == pip.id.lower()
    assert network.public_ip_addresses.get(GROUP, "pip-conformance").ip_configuration.id == config.id
    assert "nic-conformance" in [n.name for n in network.network_interfaces.list_all()]
    assert "pip-conformance" in [p.name for p in network.public_ip_addresses.list(GROUP)]
    assert "nsg-conformance" in [g.name for g in network.network_security_groups.list_all()]
    with pytest.raises(HttpResponseError) as raised:
        network.public_ip_addresses.begin_delete(GROUP, "pip-conformance").result()
    assert raised.value.error.code == "PublicIPAddressCannotBeDeleted"

    network.network_interfaces.begin_delete(GROUP, "nic-conformance", polling_interval=0.1).result()
    with pytest.raises(ResourceNotFoundError):
        network.network_interfaces.get(GROUP, "nic-conformance")
    network.public_ip_addresses.begin_delete(GROUP, "pip-conformance", polling_interval=0.1).result()
    network.network_security_groups.begin_delete(
        GROUP, "nsg-conformance", polling_interval=0.1
    ).result()


def test_a_nic_cannot_use_a_subnet_of_another_region(network):
    vnet = _vnet(network)

    with pytest.raises(HttpResponseError) as raised:
        _nic(network, "nic-far", vnet.subnets[0].id, location="eastus2")

    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidResourceReference"


def test_a_subnet_in_use_keeps_its_vnet(network):
    vnet = _vnet(network)
    _nic(network, "nic-holding", vnet.subnets[0].id)

    with pytest.raises(HttpResponseError) as raised:
        network.virtual_networks.begin_delete(GROUP, "vnet-conformance").result()

    assert raised.value.error.code == "InUseSubnetCannotBeDeleted"
