"""azure-mgmt-recoveryservicesbackup: Azure Backup of the demo VMs in vault `rsv-prod-japaneast`.

The flows of INDEX.md section 5 (d)-(g): policies, discovery, enabling protection, on-demand
backup, jobs, recovery points of an encrypted VM, restore disks and the backup status of a VM.
Every body is also checked against bms.json by conftest, each polymorphic value (protected item,
job, recovery point, policy, protectable item, operation status) as its concrete subtype.

Jobs run 20 s in the sandbox by default (--job-duration-secs shortens them), so these tests read jobs while
they run and never wait for one to end (test_role_assignments.py has the one flow that must).

VM protected and protectable items are two levels below their base in bms.json (ProtectedItem <-
AzureIaaSVMProtectedItem <- AzureIaaSComputeVMProtectedItem, "Microsoft.Compute/virtualMachines",
which is also what the real service sends, e.g. Azure/azure-cli#28492). SDK 11.2.0 resolves one
level only and returns the base model; the tests read subtype fields through the model's mapping
(`properties["extendedInfo"]`), while the validator checks the wire body as the concrete subtype.

`protected_items.begin_create_or_update(polling=False, cls=...)` fails on the empty 202 body (the
SDK deserializes it before calling `cls`); `raw_response_hook` sees the 202 and its headers.
"""

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup.models import (
    AzureIaaSComputeVMProtectedItem,
    AzureIaaSVMJob,
    AzureIaaSVMProtectionPolicy,
    BackupRequestResource,
    BackupStatusRequest,
    DailyRetentionSchedule,
    EncryptionDetails,
    IaasVMBackupRequest,
    IaasVMRecoveryPoint,
    IaasVMRestoreRequest,
    LongTermRetentionPolicy,
    OperationStatusJobExtendedInfo,
    ProtectedItemResource,
    ProtectionPolicyResource,
    RestoreRequestResource,
    RetentionDuration,
    SimpleSchedulePolicy,
)

VAULT = "rsv-prod-japaneast"
VAULT_GROUP = "rg-backup-prod"
FABRIC = "Azure"
IAAS_VM_FILTER = "backupManagementType eq 'AzureIaasVM'"
COMPUTE_VM = "Microsoft.Compute/virtualMachines"


def container(group: str, vm: str) -> str:
    return f"IaasVMContainer;iaasvmcontainerv2;{group};{vm}"


def item(group: str, vm: str) -> str:
    return f"VM;iaasvmcontainerv2;{group};{vm}"


def vm_id(subscription_id: str, group: str, vm: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{group}"
        f"/providers/Microsoft.Compute/virtualMachines/{vm}"
    )


@pytest.fixture
def backup(sandbox, production_subscription_id):
    with sandbox.mgmt_client(RecoveryServicesBackupClient, production_subscription_id) as client:
        yield client


class Accepted:
    """A `raw_response_hook` that keeps the first response: the 202 and its LRO headers."""

    def __init__(self):
        self.response = None

    def __call__(self, pipeline_response):
        if self.response is None:
            self.response = pipeline_response.http_response

    @property
    def operation_id(self) -> str:
        """The last segment of the Azure-AsyncOperation URL (`.../operationsStatus/{id}`)."""
        return urlsplit(self.response.headers["Azure-AsyncOperation"]).path.rsplit("/", 1)[-1]


def _job_of_operation(backup, group, vm, accepted: Accepted) -> str:
    """The job id the operation status of an item-level 202 names."""
    status = backup.protected_item_operation_statuses.get(
        VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm), accepted.operation_id
    )
    assert status.status == "Succeeded", status
    assert isinstance(status.properties, OperationStatusJobExtendedInfo)
    return status.properties.job_id


def test_backup_policies_list_the_default_and_the_production_policy(backup):
    policies = list(backup.backup_policies.list(VAULT, VAULT_GROUP, filter=IAAS_VM_FILTER))

    by_name = {p.name: p for p in policies}
    assert {"DefaultPolicy", "prod-daily-90d"} <= by_name.keys()
    for policy in policies:
        assert isinstance(policy.properties, AzureIaaSVMProtectionPolicy)
        assert policy.properties.backup_management_type == "AzureIaasVM"
    production = by_name["prod-daily-90d"].properties
    assert production.retention_policy.daily_schedule.retention_duration.count == 90
    assert production.time_zone == "Tokyo Standard Time"


def test_protection_policy_create_or_update_then_get_returns_it(backup):
    schedule_time = datetime(2026, 1, 1, 1, 30, tzinfo=timezone.utc)
    policy = ProtectionPolicyResource(
        properties=AzureIaaSVMProtectionPolicy(
            schedule_policy=SimpleSchedulePolicy(
                schedule_run_frequency="Daily", schedule_run_times=[schedule_time]
            ),
            retention_policy=LongTermRetentionPolicy(
                daily_schedule=DailyRetentionSchedule(
                    retention_times=[schedule_time],
                    retention_duration=RetentionDuration(count=30, duration_type="Days"),
                )
            ),
            time_zone="Tokyo Standard Time",
            instant_rp_retention_range_in_days=2,
        )
    )

    created = backup.protection_policies.create_or_update(
        VAULT, VAULT_GROUP, "prod-daily-30d", policy
    )
    fetched = backup.protection_policies.get(VAULT, VAULT_GROUP, "prod-daily-30d")
    default = backup.protection_policies.get(VAULT, VAULT_GROUP, "DefaultPolicy")

    for result in (created, fetched):
        assert result.name == "prod-daily-30d"
        assert isinstance(result.properties, AzureIaaSVMProtectionPolicy)
        assert result.properties.retention_policy.daily_schedule.retention_duration.count == 30
        assert result.properties.protected_items_count == 0
    assert fetched.id.lower().endswith(f"/vaults/{VAULT}/backuppolicies/prod-daily-30d")
    assert isinstance(default.properties, AzureIaaSVMProtectionPolicy)


def test_refresh_containers_answers_202_and_its_location_ends_in_204(backup):
    refresh = Accepted()
    backup.protection_containers.refresh(
        VAULT, VAULT_GROUP, FABRIC, filter=IAAS_VM_FILTER, raw_response_hook=refresh
    )
    assert refresh.response.status_code == 202
    location = refresh.response.headers["Location"]
    operation_id = urlsplit(location).path.rsplit("/", 1)[-1]
    assert "/backupFabrics/Azure/operationResults/" in location

    result = Accepted()
    backup.protection_container_refresh_operation_results.get(
        VAULT, VAULT_GROUP, FABRIC, operation_id, raw_response_hook=result
    )

    assert result.response.status_code == 204


def test_protectable_items_in_japaneast_are_only_vm_new_app01(backup, production_subscription_id):
    items = list(backup.backup_protectable_items.list(VAULT, VAULT_GROUP, filter=IAAS_VM_FILTER))

    [protectable] = items
    assert protectable.name == "iaasvmcontainerv2;rg-app-prod;vm-new-app01"
    assert protectable.properties.protectable_item_type == COMPUTE_VM
    assert protectable.properties["protectionState"] == "NotProtected"
    assert protectable.properties["virtualMachineId"].lower() == (
        vm_id(production_subscription_id, "rg-app-prod", "vm-new-app01").lower()
    )


def _enable(backup, subscription_id, group, vm, policy="DefaultPolicy", **kwargs):
    policy_id = (
        f"/subscriptions/{subscription_id}/resourceGroups/{VAULT_GROUP}/providers/"
        f"Microsoft.RecoveryServices/vaults/{VAULT}/backupPolicies/{policy}"
    )
    body = ProtectedItemResource(
        properties=AzureIaaSComputeVMProtectedItem(
            source_resource_id=vm_id(subscription_id, group, vm), policy_id=policy_id
        )
    )
    return backup.protected_items.begin_create_or_update(
        VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm), body, **kwargs
    )


def test_enable_protection_runs_a_configure_backup_job(backup, production_subscription_id):
    accepted = Accepted()
    _enable(
        backup,
        production_subscription_id,
        "rg-app-prod",
        "vm-new-app01",
        polling=False,
        raw_response_hook=accepted,
    )
    assert accepted.response.status_code == 202
    assert "/operationResults/" in accepted.response.headers["Location"]

    job_id = _job_of_operation(backup, "rg-app-prod", "vm-new-app01", accepted)
    job = backup.job_details.get(VAULT, VAULT_GROUP, job_id)
    protected = backup.protected_items.get(
        VAULT, VAULT_GROUP, FABRIC, container("rg-app-prod", "vm-new-app01"),
        item("rg-app-prod", "vm-new-app01"),
    )
    left = list(backup.backup_protectable_items.list(VAULT, VAULT_GROUP, filter=IAAS_VM_FILTER))

    assert isinstance(job.properties, AzureIaaSVMJob)
    assert job.properties.operation == "ConfigureBackup"
    assert job.properties.entity_friendly_name == "vm-new-app01"
    assert protected.properties.protected_item_type == COMPUTE_VM
    assert protected.properties.policy_name == "DefaultPolicy"
    assert protected.properties["friendlyName"] == "vm-new-app01"
    assert left == []


def test_enable_protection_through_the_sdk_poller_ends_with_the_protected_item(
    backup, production_subscription_id
):
    poller = _enable(backup, production_subscription_id, "rg-app-prod", "vm-new-app01")

    protected = poller.result()

    assert protected.properties.protected_item_type == COMPUTE_VM
    assert protected.name.lower() == item("rg-app-prod", "vm-new-app01").lower()
    assert protected.properties.policy_name == "DefaultPolicy"


def test_on_demand_backup_returns_a_running_backup_job(backup):
    group, vm = "rg-sql-prod", "vm-sql-01"
    expiry = datetime.now(timezone.utc) + timedelta(days=30)
    request = BackupRequestResource(
        properties=IaasVMBackupRequest(recovery_point_expiry_time_in_utc=expiry)
    )
    accepted = Accepted()

    backup.backups.trigger(
        VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm), request,
        raw_response_hook=accepted,
    )
    job_id = _job_of_operation(backup, group, vm, accepted)
    job = backup.job_details.get(VAULT, VAULT_GROUP, job_id)
    listed = {j.name: j for j in backup.backup_jobs.list(VAULT, VAULT_GROUP)}

    assert accepted.response.status_code == 202
    assert isinstance(job.properties, AzureIaaSVMJob)
    assert job.properties.operation == "Backup"
    assert job.properties.status == "InProgress"
    assert job.properties.is_user_triggered is True
    assert job.properties.entity_friendly_name == vm
    assert listed[job_id].properties.status == "InProgress"


def test_failed_backup_of_vm_web01_names_the_key_vault_permissions_error(backup):
    failed = [
        j
        for j in backup.backup_jobs.list(VAULT, VAULT_GROUP)
        if j.properties.entity_friendly_name == "vm-web01"
        and j.properties.operation == "Backup"
        and j.properties.status == "Failed"
    ]
    assert failed, "the seed's failed backup of vm-web01"

    job = backup.job_details.get(VAULT, VAULT_GROUP, failed[0].name)

    assert isinstance(job.properties, AzureIaaSVMJob)
    [error] = job.properties.error_details
    assert error.error_title == "UserErrorKeyvaultPermissionsNotConfigured"
    assert isinstance(error.error_code, int)
    assert error.error_string and error.recommendations


def test_protected_item_with_extended_info_counts_its_recovery_points(backup):
    group, vm = "rg-sql-prod", "vm-sql-01"

    plain = backup.protected_items.get(
        VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm)
    )
    extended = backup.protected_items.get(
        VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm),
        filter="expand eq 'extendedinfo'",
    )

    assert extended.properties.protected_item_type == COMPUTE_VM
    assert extended.properties.policy_name == "prod-daily-90d"
    assert extended.properties["extendedInfo"]["recoveryPointCount"] == 3
    assert "extendedInfo" not in plain.properties


def test_backup_protected_items_list_the_protected_vms(backup):
    items = list(
        backup.backup_protected_items.list(
            VAULT, VAULT_GROUP, filter=IAAS_VM_FILTER + " and itemType eq 'VM'"
        )
    )

    names = {i.properties["friendlyName"] for i in items}
    assert {"vm-sql-01", "vm-web01", "vm-hr-rbac01"} <= names
    assert "vm-new-app01" not in names
    assert all(i.properties.protected_item_type == COMPUTE_VM for i in items)


def test_recovery_point_of_encrypted_vm_carries_key_and_secret(
    sandbox, production_subscription_id, backup
):
    group, vm = "rg-sql-prod", "vm-sql-01"
    names = (VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm))
    with sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id) as keyvault:
        vault_uri = keyvault.vaults.get("rg-security-prod", "kv-prod-jpe-ade").properties.vault_uri

    points = list(backup.recovery_points.list(*names))
    point = backup.recovery_points.get(*names, points[0].name)

    assert len(points) == 3
    assert all(isinstance(p.properties, IaasVMRecoveryPoint) for p in points)
    assert isinstance(point.properties, IaasVMRecoveryPoint)
    assert point.properties.is_source_vm_encrypted is True
    secrets = point.properties.key_and_secret
    assert secrets.encryption_mechanism == "SinglePass"
    # The key and secret live in the vault the management plane describes, under its vaultUri.
    assert secrets.kek_details.key_url.startswith(vault_uri.rstrip("/") + "/keys/")
    assert secrets.bek_details.secret_url.startswith(vault_uri.rstrip("/") + "/secrets/")
    assert secrets.kek_details.key_vault_id.lower().endswith("/vaults/kv-prod-jpe-ade")


def test_restore_disks_of_encrypted_vm_starts_a_restore_job(backup, production_subscription_id):
    group, vm = "rg-sql-prod", "vm-sql-01"
    sub = production_subscription_id
    names = (VAULT, VAULT_GROUP, FABRIC, container(group, vm), item(group, vm))
    point = list(backup.recovery_points.list(*names))[0]
    request = RestoreRequestResource(
        properties=IaasVMRestoreRequest(
            recovery_point_id=point.name,
            recovery_type="RestoreDisks",
            source_resource_id=vm_id(sub, group, vm),
            region="japaneast",
            storage_account_id=(
                f"/subscriptions/{sub}/resourceGroups/{VAULT_GROUP}/providers/"
                "Microsoft.Storage/storageAccounts/stcontosorestorejpe"
            ),
            target_resource_group_id=f"/subscriptions/{sub}/resourceGroups/rg-app-prod",
            create_new_cloud_service=False,
            original_storage_account_option=False,
            encryption_details=EncryptionDetails(encryption_enabled=True),
        )
    )
    accepted = Accepted()

    backup.restores.begin_trigger(
        *names, point.name, request, raw_response_hook=accepted
    ).result()
    job_id = _job_of_operation(backup, group, vm, accepted)
    job = backup.job_details.get(VAULT, VAULT_GROUP, job_id)

    assert accepted.response.status_code == 202
    assert isinstance(job.properties, AzureIaaSVMJob)
    assert job.properties.operation == "Restore"
    assert job.properties.status == "InProgress"
    assert job.properties.entity_friendly_name == vm


def test_backup_status_tells_protected_from_unprotected_vms(backup, production_subscription_id):
    sub = production_subscription_id

    protected = backup.backup_status.get(
        "japaneast",
        BackupStatusRequest(resource_type="VM", resource_id=vm_id(sub, "rg-sql-prod", "vm-sql-01")),
    )
    unprotected = backup.backup_status.get(
        "japaneast",
        BackupStatusRequest(
            resource_type="VM", resource_id=vm_id(sub, "rg-app-prod", "vm-new-app01")
        ),
    )

    assert protected.protection_status == "Protected"
    assert protected.vault_id.lower().endswith(f"/vaults/{VAULT}")
    assert protected.policy_name == "prod-daily-90d"
    assert protected.container_name.lower() == container("rg-sql-prod", "vm-sql-01").lower()
    assert protected.protected_item_name.lower() == item("rg-sql-prod", "vm-sql-01").lower()
    assert unprotected.protection_status == "NotProtected"
