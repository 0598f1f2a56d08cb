"""From a recovery point to a running VM: INDEX.md §5 flows (g), (h) and (i) with the official SDKs.

(g) azure-mgmt-recoveryservicesbackup restores the disks of the encrypted vm-sql-01 and follows the
    job to its end; the job's propertyBag names the blobs the restore wrote.
(h) azure-storage-blob reads the encryption-info blob with the service principal's token, and
    azure-keyvault-keys restores the KEK from it into another vault of the same geography.
(i) azure-storage-blob signs a read SAS for the template with a user delegation key, and
    azure-mgmt-resource-deployments deploys the template by link, creating the VM from the restored disks.

The sandbox runs one-second jobs so the whole journey takes a few seconds.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import (
    HardwareProfile,
    ManagedDiskParameters,
    NetworkInterfaceReference,
    NetworkProfile,
    OSDisk,
    StorageProfile,
    VirtualMachine,
)
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import (
    AddressSpace,
    NetworkInterface,
    NetworkInterfaceIPConfiguration,
    Subnet,
    VirtualNetwork,
)
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup.models import (
    EncryptionDetails,
    IaasVMRestoreRequest,
    RestoreRequestResource,
)
from azure.mgmt.resource.deployments import DeploymentsMgmtClient
from azure.mgmt.resource.deployments.models import Deployment, DeploymentProperties, TemplateLink
from azure.storage.blob import BlobClient, BlobSasPermissions, generate_blob_sas

from test_backup import FABRIC, VAULT, VAULT_GROUP, Accepted, _job_of_operation, container, item, vm_id

GROUP, VM = "rg-sql-prod", "vm-sql-01"
STAGING_ACCOUNT = "stcontosorestorejpe"
TARGET_GROUP = "rg-app-prod"
pytestmark = pytest.mark.sandbox_args("--job-duration-secs", "1", "--lro-retry-after-secs", "1")


def _restore_disks(sandbox, sub: str) -> dict[str, str]:
    """Flow (g): restore the newest point's disks and wait for the job; its propertyBag."""
    with sandbox.mgmt_client(RecoveryServicesBackupClient, sub) as backup:
        names = (VAULT, VAULT_GROUP, FABRIC, container(GROUP, VM), item(GROUP, VM))
        point = list(backup.recovery_points.list(*names))[0]
        request = RestoreRequestResource(
            properties=IaasVMRestoreRequest(
                recovery_point_id=point.name,
                recovery_type="RestoreDisks",
                source_resource_id=vm_id(sub, GROUP, VM),
                region="japaneast",
                storage_account_id=(
                    f"/subscriptions/{sub}/resourceGroups/{VAULT_GROUP}/providers/"
                    f"Microsoft.Storage/storageAccounts/{STAGING_ACCOUNT}"
                ),
                target_resource_group_id=f"/subscriptions/{sub}/resourceGroups/{TARGET_GROUP}",
                create_new_cloud_service=False,
                original_storage_account_option=False,
                encryption_details=EncryptionDetails(encryption_enabled=True),
            )
        )
        accepted = Accepted()
        backup.restores.begin_trigger(*names, point.name, request, raw_response_hook=accepted).result()
        job_id = _job_of_operation(backup, GROUP, VM, accepted)
        deadline = time.monotonic() + 15
        while True:
            job = backup.job_details.get(VAULT, VAULT_GROUP, job_id)
            if job.properties.status != "InProgress" or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    assert job.properties.status == "Completed", job.properties.error_details
    return job.properties.extended_info.property_bag


def _blob_path(url: str) -> tuple[str, str]:
    """(container, blob) of a path-style blob URL `{endpoint}/{account}/{container}/{blob}`."""
    _, _, container_name, blob = urlsplit(url).path.split("/", 3)
    return container_name, blob


def test_restored_disks_become_a_vm_through_a_linked_template_and_a_restored_key(
    sandbox, production_subscription_id
):
    sub = production_subscription_id
    bag = _restore_disks(sandbox, sub)
    assert bag["Target Storage Account Name"] == STAGING_ACCOUNT
    assert bag["Target resource group"] == TARGET_GROUP

    with sandbox.blob_service_client(STAGING_ACCOUNT) as blobs:
        # (h) The encryption info, read with the principal's own token.
        info_blob = blobs.get_blob_client(
            bag["Config Blob Container Name"], bag["Encryption Info Blob Name"]
        )
        info = json.loads(info_blob.download_blob().readall())
        details = info["OsDiskKeyAndSecretDetails"]
        assert details["KeyUrl"].split("/keys/")[1].startswith("kek-vm-sql-01/")

        # (i) A read SAS for the template, signed with a user delegation key.
        now = datetime.now(timezone.utc)
        key = blobs.get_user_delegation_key(now - timedelta(minutes=1), now + timedelta(hours=1))
        template_container, template_blob = _blob_path(bag["Template Blob Uri"])
        sas = generate_blob_sas(
            STAGING_ACCOUNT,
            template_container,
            template_blob,
            user_delegation_key=key,
            permission=BlobSasPermissions(read=True),
            expiry=now + timedelta(minutes=30),
        )
        # Anyone holding the URL and SAS can read the template, without a token.
        template = json.loads(
            BlobClient.from_blob_url(
                f"{bag['Template Blob Uri']}?{sas}",
                connection_verify=sandbox.ca_cert,
                transport=sandbox.transport(),
                retry_total=0,
            )
            .download_blob()
            .readall()
        )
        assert "VirtualMachineName" in template["parameters"]

    # (h) The KEK, restored from the info blob into another vault of the same geography.
    with sandbox.mgmt_client(KeyVaultManagementClient, sub) as vaults:
        target_uri = vaults.vaults.get("rg-security-prod", "kv-shared-jpe").properties.vault_uri
    with sandbox.key_client(target_uri) as keys:
        restored = keys.restore_key_backup(base64.b64decode(details["KeyBackupData"]))
    assert restored.name == "kek-vm-sql-01"
    assert restored.id.startswith(target_uri + "keys/kek-vm-sql-01/")

    # (i) The VM needs a network in its region: the template makes its NIC in vnet-app.
    with sandbox.mgmt_client(NetworkManagementClient, sub) as network:
        network.virtual_networks.begin_create_or_update(
            TARGET_GROUP,
            "vnet-app",
            VirtualNetwork(
                location="japaneast",
                address_space=AddressSpace(address_prefixes=["10.20.0.0/16"]),
                subnets=[Subnet(name="default", address_prefix="10.20.0.0/24")],
            ),
            polling_interval=0.25,
        ).result()
    # ARM reads the linked template through its SAS and creates the NIC and the VM.
    with sandbox.mgmt_client(DeploymentsMgmtClient, sub) as resources:
        deployment = resources.deployments.begin_create_or_update(
            TARGET_GROUP,
            "vm-sql-01-restored",
            Deployment(
                properties=DeploymentProperties(
                    mode="Incremental",
                    template_link=TemplateLink(uri=f"{bag['Template Blob Uri']}?{sas}"),
                    parameters={
                        "VirtualMachineName": {"value": "vm-sql-01-restored"},
                        "VirtualNetwork": {"value": "vnet-app"},
                    },
                )
            ),
            polling_interval=0.25,
        ).result()
    assert deployment.properties.provisioning_state == "Succeeded"
    with sandbox.mgmt_client(ComputeManagementClient, sub) as compute:
        vm = compute.virtual_machines.get(TARGET_GROUP, "vm-sql-01-restored", expand="instanceView")
    statuses = [s.code for d in vm.instance_view.disks for s in d.statuses]
    assert "EncryptionState/encrypted" in statuses
    with sandbox.mgmt_client(NetworkManagementClient, sub) as network:
        nic = network.network_interfaces.get(TARGET_GROUP, "vm-sql-01-restored-nic")
    assert vm.network_profile.network_interfaces[0].id.lower() == nic.id.lower()
    assert nic.virtual_machine.id.lower() == vm.id.lower()


def test_a_linked_template_without_a_sas_cannot_be_deployed(sandbox, production_subscription_id):
    sub = production_subscription_id
    bag = _restore_disks(sandbox, sub)
    with sandbox.mgmt_client(DeploymentsMgmtClient, sub) as resources:
        with pytest.raises(HttpResponseError) as raised:
            resources.deployments.begin_create_or_update(
                TARGET_GROUP,
                "no-sas",
                Deployment(
                    properties=DeploymentProperties(
                        mode="Incremental",
                        template_link=TemplateLink(uri=bag["Template Blob Uri"]),
                        parameters={"VirtualMachineName": {"value": "no-sas"}},
                    )
                ),
            )
    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidContentLink"


def _attached_vm(os_disk_id: str, nic_id: str) -> VirtualMachine:
    """A VM that attaches a restored OS disk and sits on one NIC (no osProfile: the disk has one)."""
    return VirtualMachine(
        location="japaneast",
        hardware_profile=HardwareProfile(vm_size="Standard_D4s_v5"),
        storage_profile=StorageProfile(
            os_disk=OSDisk(
                os_type="Windows",
                create_option="Attach",
                managed_disk=ManagedDiskParameters(id=os_disk_id),
            )
        ),
        network_profile=NetworkProfile(
            network_interfaces=[NetworkInterfaceReference(id=nic_id, primary=True)]
        ),
    )


def test_restored_disks_become_a_vm_through_direct_compute_calls(
    sandbox, production_subscription_id
):
    """Flow (i), option 2: a NIC on the region's network, then a VM PUT attaching the OS disk."""
    sub = production_subscription_id
    _restore_disks(sandbox, sub)
    with sandbox.mgmt_client(ComputeManagementClient, sub) as compute:
        os_disk = next(
            d
            for d in compute.disks.list_by_resource_group(TARGET_GROUP)
            if d.os_type and d.creation_data.create_option == "Restore"
        )
    with sandbox.mgmt_client(NetworkManagementClient, sub) as network:
        subnet = network.subnets.get("rg-network-prod", "vnet-prod-japaneast", "default")
        nic = network.network_interfaces.begin_create_or_update(
            TARGET_GROUP,
            "vm-sql-01-direct-nic",
            NetworkInterface(
                location="japaneast",
                ip_configurations=[
                    NetworkInterfaceIPConfiguration(name="ipconfig1", subnet=Subnet(id=subnet.id))
                ],
            ),
            polling_interval=0.25,
        ).result()
    with sandbox.mgmt_client(ComputeManagementClient, sub) as compute:
        vm = compute.virtual_machines.begin_create_or_update(
            TARGET_GROUP,
            "vm-sql-01-direct",
            _attached_vm(os_disk.id, nic.id),
            polling_interval=0.25,
        ).result()
        assert vm.network_profile.network_interfaces[0].id.lower() == nic.id.lower()
        view = compute.virtual_machines.get(TARGET_GROUP, "vm-sql-01-direct", expand="instanceView")
    statuses = [s.code for d in view.instance_view.disks for s in d.statuses]
    assert "EncryptionState/encrypted" in statuses

    with sandbox.mgmt_client(ComputeManagementClient, sub) as compute:
        with pytest.raises(HttpResponseError) as raised:
            compute.virtual_machines.begin_create_or_update(
                TARGET_GROUP,
                "vm-sql-01-second",
                _attached_vm(os_disk.id, nic.id),
            ).result()
    assert raised.value.error.code == "NicInUse"
