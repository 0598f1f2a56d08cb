"""azure-mgmt-keyvault: the ADE key vaults and their access policies.

`vaults.list()` goes through `{sub}/resources?$filter=resourceType eq ...` (Vaults_List, the
generic resources view; see test_generic_resources.py); `list_by_subscription` is the Key Vault
provider's own list.

Azure answers 409 `ConflictError` to concurrent access-policy writes on one vault; the sandbox does
the same while a write is in flight, and writes sent one after another never conflict.
"""

import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import (
    AccessPolicyEntry,
    Permissions,
    VaultAccessPolicyParameters,
    VaultAccessPolicyProperties,
    VaultPatchParameters,
    VaultPatchProperties,
)

# The demo key vaults and whether each uses Azure RBAC instead of access policies.
DEMO_VAULTS = {
    "kv-prod-jpe-ade": False,
    "kv-shared-jpe": False,
    "kv-finance-ade": False,
    "kv-hr-rbac": True,
}
SECURITY_GROUP = "rg-security-prod"
SHARED_VAULT = "kv-shared-jpe"
# kv-shared-jpe starts with three other principals' entries and the sandbox operator's.
DEMO_ENTRIES = 4
# A principal the demo tenant's vaults do not know yet (the Backup Management Service's object id
# would do as well; any object id is accepted by the management plane).
NEW_PRINCIPAL = "5c6e9f6e-2f54-4a4c-9a8e-0d6a3c1f7b21"


@pytest.fixture
def keyvault(sandbox, production_subscription_id):
    with sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id) as client:
        yield client


def _policy(tenant_id: str, object_id: str, keys=(), secrets=()) -> VaultAccessPolicyParameters:
    permissions = Permissions(keys_property=list(keys), secrets=list(secrets))
    entry = AccessPolicyEntry(tenant_id=tenant_id, object_id=object_id, permissions=permissions)
    return VaultAccessPolicyParameters(
        properties=VaultAccessPolicyProperties(access_policies=[entry])
    )


def _wire_policies(sandbox, vault_name: str) -> list[dict]:
    """The access policies of the last GET of `vault_name`, exactly as they came over the wire."""
    gets = [
        e
        for e in sandbox.exchanges
        if e.method == "GET" and e.path.lower().endswith(f"/vaults/{vault_name}")
    ]
    return json.loads(gets[-1].body)["properties"]["accessPolicies"]


def _entry_for(policies: list[dict], object_id: str) -> dict:
    [entry] = [p for p in policies if p["objectId"] == object_id]
    return entry


@pytest.mark.sandbox_args("--page-size", "1")
def test_list_by_subscription_follows_next_link_to_every_vault(sandbox, keyvault):
    vaults = list(keyvault.vaults.list_by_subscription())

    rbac = {v.name: v.properties.enable_rbac_authorization for v in vaults}
    assert len(rbac) == len(vaults)
    assert {name: rbac.get(name) for name in DEMO_VAULTS} == DEMO_VAULTS
    pages = [
        e for e in sandbox.exchanges if e.path.endswith("/providers/Microsoft.KeyVault/vaults")
    ]
    assert len(pages) == len(vaults), [e.describe() for e in pages]
    assert all("$skiptoken" in parse_qs(urlsplit(e.url).query) for e in pages[1:])


def test_list_by_resource_group_sees_only_that_group(keyvault):
    vaults = list(keyvault.vaults.list_by_resource_group(SECURITY_GROUP))

    assert sorted(v.name for v in vaults) == ["kv-prod-jpe-ade", "kv-shared-jpe"]
    assert all(f"/resourcegroups/{SECURITY_GROUP}/" in v.id.lower() for v in vaults)


def test_get_ade_vault_is_enabled_for_disk_encryption_with_access_policies(sandbox, keyvault):
    vault = keyvault.vaults.get(SECURITY_GROUP, "kv-prod-jpe-ade")

    assert vault.type == "Microsoft.KeyVault/vaults"
    properties = vault.properties
    # Each sandbox vault serves its data plane on its own origin.
    assert properties.vault_uri.startswith("https://127.0.0.1:") and properties.vault_uri.endswith("/")
    assert properties.tenant_id == sandbox.tenant_id
    assert properties.enabled_for_disk_encryption is True
    assert properties.enable_rbac_authorization is False
    assert properties.sku.family == "A" and properties.sku.name in ("standard", "premium")


def test_get_rbac_vault_reports_rbac_authorization(keyvault):
    vault = keyvault.vaults.get("rg-hr", "kv-hr-rbac")

    assert vault.properties.enable_rbac_authorization is True
    assert vault.properties.enabled_for_disk_encryption is True


def test_list_deleted_vaults_is_an_empty_list(keyvault):
    assert list(keyvault.vaults.list_deleted()) == []


def test_add_access_policy_appends_one_entry_and_keeps_the_others_byte_for_byte(
    sandbox, keyvault
):
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    before = _wire_policies(sandbox, SHARED_VAULT)

    result = keyvault.vaults.update_access_policy(
        SECURITY_GROUP,
        SHARED_VAULT,
        "add",
        _policy(sandbox.tenant_id, NEW_PRINCIPAL, keys=["get", "list"], secrets=["get"]),
    )
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    after = _wire_policies(sandbox, SHARED_VAULT)

    assert len(before) == DEMO_ENTRIES and NEW_PRINCIPAL not in {p["objectId"] for p in before}
    assert [json.dumps(p) for p in after[:DEMO_ENTRIES]] == [json.dumps(p) for p in before]
    assert len(after) == DEMO_ENTRIES + 1
    added = after[DEMO_ENTRIES]
    assert added["objectId"] == NEW_PRINCIPAL and added["tenantId"] == sandbox.tenant_id
    assert added["permissions"]["keys"] == ["get", "list"]
    assert added["permissions"]["secrets"] == ["get"]
    assert result.type == "Microsoft.KeyVault/vaults/accessPolicies"
    assert NEW_PRINCIPAL in {p.object_id for p in result.properties.access_policies}


def test_add_merges_permissions_into_an_existing_entry(sandbox, keyvault):
    tenant = sandbox.tenant_id
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP, SHARED_VAULT, "add", _policy(tenant, NEW_PRINCIPAL, keys=["get", "list"])
    )
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP,
        SHARED_VAULT,
        "add",
        _policy(tenant, NEW_PRINCIPAL, keys=["list", "backup"], secrets=["backup"]),
    )
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)

    policies = _wire_policies(sandbox, SHARED_VAULT)
    assert len(policies) == DEMO_ENTRIES + 1
    entry = _entry_for(policies, NEW_PRINCIPAL)
    assert sorted(entry["permissions"]["keys"]) == ["backup", "get", "list"]
    assert entry["permissions"]["secrets"] == ["backup"]


def test_remove_drops_only_the_listed_permissions(sandbox, keyvault):
    tenant = sandbox.tenant_id
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP,
        SHARED_VAULT,
        "add",
        _policy(tenant, NEW_PRINCIPAL, keys=["get", "list", "backup"], secrets=["get"]),
    )
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP, SHARED_VAULT, "remove", _policy(tenant, NEW_PRINCIPAL, keys=["get"])
    )
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)

    policies = _wire_policies(sandbox, SHARED_VAULT)
    entry = _entry_for(policies, NEW_PRINCIPAL)
    assert sorted(entry["permissions"]["keys"]) == ["backup", "list"]
    assert entry["permissions"]["secrets"] == ["get"]
    assert len(policies) == DEMO_ENTRIES + 1


def test_replace_overwrites_the_entry_of_that_principal_only(sandbox, keyvault):
    tenant = sandbox.tenant_id
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    others = _wire_policies(sandbox, SHARED_VAULT)
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP,
        SHARED_VAULT,
        "add",
        _policy(tenant, NEW_PRINCIPAL, keys=["get", "list"], secrets=["get", "list"]),
    )
    keyvault.vaults.update_access_policy(
        SECURITY_GROUP, SHARED_VAULT, "replace", _policy(tenant, NEW_PRINCIPAL, secrets=["backup"])
    )
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)

    policies = _wire_policies(sandbox, SHARED_VAULT)
    assert [json.dumps(p) for p in policies[:DEMO_ENTRIES]] == [json.dumps(p) for p in others]
    entry = _entry_for(policies, NEW_PRINCIPAL)
    assert entry["permissions"]["keys"] == []
    assert entry["permissions"]["secrets"] == ["backup"]


def test_overlapping_access_policy_writes_surface_conflict_error(
    sandbox, production_subscription_id, keyvault
):
    # Two clients, each warmed up (token fetched) so both writes leave at the same moment.
    tenant = sandbox.tenant_id
    second_principal = "0b9d3f55-4c1e-4f3a-8d2b-6a7e5c4d3b2a"
    with sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id) as other:
        for client in (keyvault, other):
            client.vaults.get(SECURITY_GROUP, SHARED_VAULT)
        start = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def write(client, object_id):
            start.wait()
            try:
                outcomes[object_id] = client.vaults.update_access_policy(
                    SECURITY_GROUP, SHARED_VAULT, "add", _policy(tenant, object_id, keys=["get"])
                )
            except HttpResponseError as error:
                outcomes[object_id] = error

        threads = [
            threading.Thread(target=write, args=(keyvault, NEW_PRINCIPAL)),
            threading.Thread(target=write, args=(other, second_principal)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    errors = {k: v for k, v in outcomes.items() if isinstance(v, HttpResponseError)}
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    [(loser, error)] = errors.items()
    assert error.status_code == 409
    assert error.error.code == "ConflictError"
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    written = {p["objectId"] for p in _wire_policies(sandbox, SHARED_VAULT)}
    winner = NEW_PRINCIPAL if loser == second_principal else second_principal
    assert winner in written and loser not in written


def test_sequential_access_policy_writes_each_succeed(sandbox, keyvault):
    principals = [f"5c6e9f6e-2f54-4a4c-9a8e-0d6a3c1f7b3{i}" for i in range(5)]
    for object_id in principals:
        keyvault.vaults.update_access_policy(
            SECURITY_GROUP, SHARED_VAULT, "add", _policy(sandbox.tenant_id, object_id, keys=["get"])
        )
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)

    written = {p["objectId"] for p in _wire_policies(sandbox, SHARED_VAULT)}
    assert set(principals) <= written


def test_update_changes_only_the_properties_it_sends(sandbox, keyvault):
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    before = _wire_policies(sandbox, SHARED_VAULT)

    updated = keyvault.vaults.update(
        SECURITY_GROUP,
        SHARED_VAULT,
        VaultPatchParameters(properties=VaultPatchProperties(enabled_for_template_deployment=True)),
    )

    assert updated.properties.enabled_for_template_deployment is True
    keyvault.vaults.get(SECURITY_GROUP, SHARED_VAULT)
    assert _wire_policies(sandbox, SHARED_VAULT) == before
