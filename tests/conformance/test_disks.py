"""azure-mgmt-compute: managed disks, where single-pass ADE keeps its BEK/KEK references."""

from urllib.parse import parse_qs, urlsplit

import pytest
from azure.mgmt.compute import ComputeManagementClient

ADE_KEY_VAULT = "kv-prod-jpe-ade"


@pytest.fixture
def compute(sandbox, production_subscription_id):
    with sandbox.mgmt_client(ComputeManagementClient, production_subscription_id) as client:
        yield client


@pytest.mark.sandbox_args("--page-size", "4")
def test_list_by_subscription_follows_next_link_to_every_managed_disk(sandbox, compute):
    disks = list(compute.disks.list())

    names = [d.name for d in disks]
    assert len(names) == len(set(names)), names
    assert {"vm-sql-01_OsDisk_1", "vm-sql-01_DataDisk_0", "vm-app-lnx01_OsDisk_1",
            "vm-reports01_OsDisk_1"} <= set(names)
    # vm-legacy-web01 runs on unmanaged VHDs: no managed disk of its own.
    assert not [n for n in names if n.startswith("vm-legacy-web01")]
    assert all(d.type == "Microsoft.Compute/disks" for d in disks)
    pages = [e for e in sandbox.exchanges if e.path.endswith("/providers/Microsoft.Compute/disks")]
    assert len(pages) == -(-len(disks) // 4), [e.describe() for e in pages]
    assert all("$skiptoken" in parse_qs(urlsplit(e.url).query) for e in pages[1:])


def test_list_by_resource_group_sees_only_that_group(compute):
    disks = list(compute.disks.list_by_resource_group("rg-sql-prod"))

    assert sorted(d.name for d in disks) == [
        "vm-sql-01_DataDisk_0",
        "vm-sql-01_DataDisk_1",
        "vm-sql-01_OsDisk_1",
    ]
    for disk in disks:
        assert disk.managed_by.lower().endswith("/virtualmachines/vm-sql-01")


def test_single_pass_os_disk_carries_encryption_settings_collection_1_1(compute, ade_vault_uri):
    disk = compute.disks.get("rg-sql-prod", "vm-sql-01_OsDisk_1")

    collection = disk.properties.encryption_settings_collection
    assert collection.enabled is True
    assert collection.encryption_settings_version == "1.1"
    [settings] = collection.encryption_settings
    assert settings.disk_encryption_key.secret_url.startswith(
        f"{ade_vault_uri}secrets/"
    )
    assert settings.key_encryption_key.key_url.startswith(
        f"{ade_vault_uri}keys/"
    )
    for vault in (settings.disk_encryption_key.source_vault,
                  settings.key_encryption_key.source_vault):
        assert vault.id.lower().endswith(f"/vaults/{ADE_KEY_VAULT}")
    assert disk.properties.os_type == "Windows"
    assert disk.properties.disk_state == "Attached"


def test_disk_and_instance_view_name_the_same_bek_and_kek(compute):
    disk = compute.disks.get("rg-sql-prod", "vm-sql-01_OsDisk_1")
    view = compute.virtual_machines.instance_view("rg-sql-prod", "vm-sql-01")

    [on_disk] = disk.properties.encryption_settings_collection.encryption_settings
    [in_view] = next(d for d in view.disks if d.name == disk.name).encryption_settings
    assert on_disk.as_dict() == in_view.as_dict()

