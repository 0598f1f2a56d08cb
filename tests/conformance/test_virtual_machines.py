"""azure-mgmt-compute: the demo VMs, their instance views and their ADE extensions.

How ADE shows up (INDEX.md section 4.1): single-pass keeps the BEK/KEK references on the disks and
in the instance view; dual-pass (legacy, with an Entra app) keeps them on the VM model's
`osDisk.encryptionSettings`, and its extension is one major version older with `AADClientID`.
"""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient

DEMO_VMS = {
    "vm-sql-01": "rg-sql-prod",
    "vm-legacy-web01": "rg-web-legacy",
    "vm-app-lnx01": "rg-app-prod",
    "vm-web01": "rg-web-prod",
    "vm-web02": "rg-web-prod",
    "vm-fin-db01": "rg-finance",
    "vm-hr-rbac01": "rg-hr",
    "vm-batch02": "rg-batch",
    "vm-reports01": "rg-reports",
}  # The seed may hold more VMs; lists are checked for these at least.
ADE_KEY_VAULT = "kv-prod-jpe-ade"


@pytest.fixture
def compute(sandbox, production_subscription_id):
    with sandbox.mgmt_client(ComputeManagementClient, production_subscription_id) as client:
        yield client


def _pages(sandbox, suffix: str) -> list:
    return [e for e in sandbox.exchanges if e.path.lower().endswith(suffix.lower())]


def _codes(statuses) -> list[str]:
    return [s.code for s in statuses or []]


@pytest.mark.sandbox_args("--page-size", "2")
def test_list_all_follows_next_link_to_every_demo_vm(sandbox, compute):
    vms = list(compute.virtual_machines.list_all())

    names = [vm.name for vm in vms]
    assert len(names) == len(set(names)), names
    assert set(DEMO_VMS) <= set(names)
    for vm in vms:
        assert vm.type == "Microsoft.Compute/virtualMachines"
        if vm.name in DEMO_VMS:
            assert f"/resourceGroups/{DEMO_VMS[vm.name]}/".lower() in vm.id.lower()
    pages = _pages(sandbox, "/providers/Microsoft.Compute/virtualMachines")
    assert len(pages) == -(-len(vms) // 2), [e.describe() for e in pages]
    assert all("$skiptoken" in parse_qs(urlsplit(e.url).query) for e in pages[1:])


@pytest.mark.sandbox_args("--page-size", "1")
def test_list_by_resource_group_pages_through_only_that_group(sandbox, compute):
    vms = list(compute.virtual_machines.list("rg-web-prod"))

    assert sorted(vm.name for vm in vms) == ["vm-web01", "vm-web02"]
    assert len(_pages(sandbox, "/resourceGroups/rg-web-prod/providers/Microsoft.Compute/"
                               "virtualMachines")) == 2


def test_single_pass_vm_instance_view_shows_encrypted_disks_with_bek_and_kek(compute, ade_vault_uri):
    vm = compute.virtual_machines.get("rg-sql-prod", "vm-sql-01", expand="instanceView")

    storage = vm.properties.storage_profile
    assert storage.os_disk.managed_disk.id.lower().endswith("/disks/vm-sql-01_osdisk_1")
    assert storage.os_disk.encryption_settings is None  # single-pass: on the disks instead
    disks = vm.properties.instance_view.disks
    assert {d.name for d in disks} == {
        "vm-sql-01_OsDisk_1", "vm-sql-01_DataDisk_0", "vm-sql-01_DataDisk_1"
    }
    for disk in disks:
        assert "EncryptionState/encrypted" in _codes(disk.statuses), disk.name
        [settings] = disk.encryption_settings
        bek, kek = settings.disk_encryption_key, settings.key_encryption_key
        assert bek.secret_url.startswith(f"{ade_vault_uri}secrets/")
        assert kek.key_url.startswith(f"{ade_vault_uri}keys/")
        for vault in (bek.source_vault, kek.source_vault):
            assert vault.id.lower().endswith(
                f"/resourcegroups/rg-security-prod/providers/microsoft.keyvault/vaults/"
                f"{ADE_KEY_VAULT}"
            )
    [extension] = vm.properties.instance_view.extensions
    assert extension.type_handler_version == "2.2"


def test_instance_view_endpoint_matches_the_expanded_get(compute):
    expanded = compute.virtual_machines.get("rg-sql-prod", "vm-sql-01", expand="instanceView")
    direct = compute.virtual_machines.instance_view("rg-sql-prod", "vm-sql-01")

    assert direct.as_dict() == expanded.properties.instance_view.as_dict()
    assert "PowerState/running" in _codes(direct.statuses)


def test_dual_pass_vm_model_carries_bek_only_settings_on_its_unmanaged_os_disk(compute, ade_vault_uri):
    vm = compute.virtual_machines.get("rg-web-legacy", "vm-legacy-web01")

    os_disk = vm.properties.storage_profile.os_disk
    assert os_disk.managed_disk is None
    assert os_disk.vhd.uri.startswith("https://") and os_disk.vhd.uri.endswith(".vhd")
    settings = os_disk.encryption_settings
    assert settings.enabled is True
    assert settings.disk_encryption_key.secret_url.startswith(
        f"{ade_vault_uri}secrets/"
    )
    assert settings.disk_encryption_key.source_vault.id.lower().endswith(f"/vaults/{ADE_KEY_VAULT}")
    assert settings.key_encryption_key is None
    for data_disk in vm.properties.storage_profile.data_disks:
        assert data_disk.vhd.uri.endswith(".vhd") and data_disk.managed_disk is None


@pytest.mark.parametrize(
    ("group", "vm_name", "extension", "version", "generation"),
    [
        ("rg-sql-prod", "vm-sql-01", "AzureDiskEncryption", "2.2", "single-pass"),
        ("rg-web-legacy", "vm-legacy-web01", "AzureDiskEncryption", "1.1", "dual-pass"),
        ("rg-app-prod", "vm-app-lnx01", "AzureDiskEncryptionForLinux", "1.1", "single-pass"),
    ],
)
def test_ade_extension_settings_follow_the_encryption_generation(compute, group, vm_name, extension, version, generation, ade_vault_uri):
    listed = compute.virtual_machine_extensions.list(group, vm_name).value
    got = compute.virtual_machine_extensions.get(group, vm_name, extension)

    assert [e.name for e in listed] == [extension]
    assert listed[0].as_dict() == got.as_dict()
    assert got.type == "Microsoft.Compute/virtualMachines/extensions"
    properties = got.properties
    assert properties.publisher == "Microsoft.Azure.Security"
    assert properties.type == extension
    assert properties.type_handler_version == version
    assert properties.provisioning_state == "Succeeded"
    settings = properties.settings
    assert settings["EncryptionOperation"] == "EnableEncryption"
    assert settings["KeyVaultURL"] == ade_vault_uri
    assert settings["VolumeType"] == "All"
    if generation == "single-pass":
        assert "AADClientID" not in settings
        assert settings["KeyVaultResourceId"].lower().endswith(f"/vaults/{ADE_KEY_VAULT}")
        assert settings["KekVaultResourceId"].lower().endswith(f"/vaults/{ADE_KEY_VAULT}")
        assert settings["KeyEncryptionKeyURL"].startswith(
            f"{ade_vault_uri}keys/"
        )
    else:
        assert settings["AADClientID"]
        assert "KeyVaultResourceId" not in settings and "KekVaultResourceId" not in settings
        assert not settings.get("KeyEncryptionKeyURL")  # BEK only
    assert "protectedSettings" not in got.properties  # never returned by GET


def test_linux_ade_reports_per_volume_status_as_json_substatus(compute):
    view = compute.virtual_machines.instance_view("rg-app-prod", "vm-app-lnx01")

    [extension] = view.extensions
    assert extension.type == "Microsoft.Azure.Security.AzureDiskEncryptionForLinux"
    [substatus] = extension.substatuses
    assert json.loads(substatus.message) == {"os": "Encrypted", "data": "Encrypted"}


def test_vm_agent_of_vm_batch02_is_not_ready(compute):
    batch = compute.virtual_machines.instance_view("rg-batch", "vm-batch02")
    healthy = compute.virtual_machines.instance_view("rg-sql-prod", "vm-sql-01")

    [status] = batch.vm_agent.statuses
    assert status.display_status == "Not Ready"
    assert status.level == "Warning"
    assert [s.display_status for s in healthy.vm_agent.statuses] == ["Ready"]


def test_unknown_vm_surfaces_arm_resource_not_found(compute):
    with pytest.raises(ResourceNotFoundError) as raised:
        compute.virtual_machines.get("rg-sql-prod", "vm-does-not-exist")

    assert isinstance(raised.value, HttpResponseError)
    assert raised.value.status_code == 404
    assert raised.value.error.code == "ResourceNotFound"


def test_classic_vms_are_listed_through_arm(compute, production_subscription_id):
    # No SDK covers Microsoft.ClassicCompute and the spec pack has no swagger for it: a raw request
    # through the SDK pipeline, its shape asserted here (it is in arm_specs.UNSPECIFIED_PATHS).
    response = compute.send_request(
        HttpRequest(
            "GET",
            f"/subscriptions/{production_subscription_id}/providers/Microsoft.ClassicCompute"
            "/virtualMachines?api-version=2017-04-01",
        )
    )

    assert response.status_code == 200
    vms = response.json()["value"]
    assert [vm["name"] for vm in vms] == ["classic-web01"]
    for vm in vms:
        assert vm["type"] == "Microsoft.ClassicCompute/virtualMachines"
        assert vm["id"].lower() == (
            f"/subscriptions/{production_subscription_id}/resourcegroups/rg-classic/providers"
            f"/microsoft.classiccompute/virtualmachines/{vm['name']}"
        )
