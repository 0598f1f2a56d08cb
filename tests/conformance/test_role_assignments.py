"""azure-mgmt-authorization: granting the Backup Management Service access to an RBAC key vault.

INDEX.md section 5 (c) step 3: `kv-hr-rbac` (rg-hr) uses Azure RBAC, so Backup needs a role
assignment (Key Vault Administrator) at the vault's scope; access policies are ignored there. The
principal is the Backup Management Service's object id in this tenant, resolved through Graph.

The last test is the behaviour all this is for: a backup of `vm-hr-rbac01` fails with
`UserErrorKeyvaultPermissionsNotConfigured` before the assignment and completes after it; its
sandbox runs jobs for JOB_SECONDS so the test waits only briefly.
"""

import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.recoveryservicesbackup.models import (
    BackupRequestResource,
    IaasVMBackupRequest,
)

from test_backup import VAULT, VAULT_GROUP, Accepted, container, item
from test_graph import BACKUP_MANAGEMENT_SERVICE, _service_principals

KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
JOB_SECONDS = 1  # the job duration the behaviour test starts its sandbox with


@pytest.fixture
def authorization(sandbox, production_subscription_id):
    with sandbox.mgmt_client(AuthorizationManagementClient, production_subscription_id) as client:
        yield client


@pytest.fixture
def vault_scope(production_subscription_id) -> str:
    return (
        f"/subscriptions/{production_subscription_id}/resourceGroups/rg-hr"
        "/providers/Microsoft.KeyVault/vaults/kv-hr-rbac"
    )


@pytest.fixture
def backup_principal(sandbox) -> str:
    """The Backup Management Service's object id in this tenant, from Graph."""
    response = _service_principals(sandbox, f"$filter=appId eq '{BACKUP_MANAGEMENT_SERVICE}'")
    assert response.status_code == 200
    [principal] = response.json()["value"]
    return principal["id"]


def _administrator(production_subscription_id: str) -> str:
    return (
        f"/subscriptions/{production_subscription_id}/providers/Microsoft.Authorization"
        f"/roleDefinitions/{KEY_VAULT_ADMINISTRATOR}"
    )


def _grant(authorization, scope, principal_id, role_definition_id, name=None):
    return authorization.role_assignments.create(
        scope,
        name or str(uuid.uuid4()),
        RoleAssignmentCreateParameters(
            role_definition_id=role_definition_id,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
        ),
    )


def test_role_definitions_filter_by_name_finds_key_vault_administrator(
    authorization, production_subscription_id
):
    [role] = list(
        authorization.role_definitions.list(
            scope=f"/subscriptions/{production_subscription_id}",
            filter="roleName eq 'Key Vault Administrator'",
        )
    )

    assert role.id.endswith("/" + KEY_VAULT_ADMINISTRATOR)
    assert role.name == KEY_VAULT_ADMINISTRATOR
    assert role.role_name == "Key Vault Administrator"
    assert role.role_type == "BuiltInRole"
    assert any("Microsoft.KeyVault/vaults/" in a for p in role.permissions for a in p.data_actions)


def test_assignment_at_vault_scope_is_created_listed_and_deleted(
    authorization, vault_scope, backup_principal, production_subscription_id
):
    by_principal = f"principalId eq '{backup_principal}'"
    before = list(authorization.role_assignments.list_for_scope(vault_scope, filter=by_principal))

    created = _grant(
        authorization, vault_scope, backup_principal, _administrator(production_subscription_id)
    )
    listed = list(authorization.role_assignments.list_for_scope(vault_scope, filter=by_principal))
    deleted = authorization.role_assignments.delete(vault_scope, created.name)
    after = list(authorization.role_assignments.list_for_scope(vault_scope, filter=by_principal))

    # The demo gave Backup "Key Vault Secrets User" on this vault; the new assignment joins it.
    assert [a.role_definition_id.rsplit("/", 1)[-1] for a in before] == [KEY_VAULT_SECRETS_USER]
    assert created.principal_id == backup_principal
    assert created.principal_type == "ServicePrincipal"
    assert created.role_definition_id.endswith("/" + KEY_VAULT_ADMINISTRATOR)
    assert created.scope.lower() == vault_scope.lower()
    assert created.id.lower() == (
        f"{vault_scope}/providers/Microsoft.Authorization/roleAssignments/{created.name}".lower()
    )
    assert sorted(a.name for a in listed) == sorted([created.name] + [a.name for a in before])
    assert deleted.name == created.name
    assert [a.name for a in after] == [a.name for a in before]


def test_same_assignment_again_is_409_role_assignment_exists(
    authorization, vault_scope, backup_principal, production_subscription_id
):
    role = _administrator(production_subscription_id)
    _grant(authorization, vault_scope, backup_principal, role)

    with pytest.raises(HttpResponseError) as raised:
        _grant(authorization, vault_scope, backup_principal, role)

    assert raised.value.status_code == 409
    assert raised.value.error.code == "RoleAssignmentExists"


def test_unknown_principal_is_400_principal_not_found(
    authorization, vault_scope, production_subscription_id
):
    with pytest.raises(HttpResponseError) as raised:
        _grant(
            authorization,
            vault_scope,
            str(uuid.uuid4()),
            _administrator(production_subscription_id),
        )

    assert raised.value.status_code == 400
    assert raised.value.error.code == "PrincipalNotFound"


def _backup_job(backup, group, vm) -> str:
    """Triggers an on-demand backup and returns its job id (via the operation status)."""
    accepted = Accepted()
    backup.backups.trigger(
        VAULT,
        VAULT_GROUP,
        "Azure",
        container(group, vm),
        item(group, vm),
        BackupRequestResource(properties=IaasVMBackupRequest()),
        raw_response_hook=accepted,
    )
    status = backup.protected_item_operation_statuses.get(
        VAULT, VAULT_GROUP, "Azure", container(group, vm), item(group, vm), accepted.operation_id
    )
    return status.properties.job_id


def _finished_job(backup, job_id):
    """The job once it is no longer running (the sandbox's jobs take JOB_SECONDS)."""
    deadline = time.monotonic() + JOB_SECONDS + 10
    while True:
        job = backup.job_details.get(VAULT, VAULT_GROUP, job_id)
        if job.properties.status not in ("InProgress", "Cancelling"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still running"
        time.sleep(1)


@pytest.mark.sandbox_args("--job-duration-secs", str(JOB_SECONDS), "--lro-retry-after-secs", "1")
def test_backup_of_rbac_vm_fails_without_key_vault_administrator_and_completes_with_it(
    sandbox, authorization, vault_scope, backup_principal, production_subscription_id
):
    group, vm = "rg-hr", "vm-hr-rbac01"
    with sandbox.mgmt_client(RecoveryServicesBackupClient, production_subscription_id) as backup:
        refused = _backup_job(backup, group, vm)
        _grant(
            authorization,
            vault_scope,
            backup_principal,
            _administrator(production_subscription_id),
        )
        refused_job = _finished_job(backup, refused)
        granted_job = _finished_job(backup, _backup_job(backup, group, vm))

    assert refused_job.properties.status == "Failed"
    [error] = refused_job.properties.error_details
    assert error.error_title == "UserErrorKeyvaultPermissionsNotConfigured"
    assert granted_job.properties.status == "Completed"
    assert not granted_job.properties.error_details


def test_a_custom_role_is_listed_with_its_data_actions(authorization, production_subscription_id):
    (role,) = list(
        authorization.role_definitions.list(
            f"/subscriptions/{production_subscription_id}",
            filter="roleName eq 'Backup key reader'",
        )
    )

    assert role.role_type == "CustomRole"
    assert sorted(a for p in role.permissions for a in p.data_actions) == sorted([
        "Microsoft.KeyVault/vaults/keys/backup/action",
        "Microsoft.KeyVault/vaults/secrets/backup/action",
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        "Microsoft.KeyVault/vaults/keys/read",
        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ])
