"""Signing in and reading the inventory: clouds, subscriptions, groups, VMs, disks, storage,
networks, key vaults."""

import uuid

from conftest import CLOUD, Az, sign_in

PRODUCTION_GROUPS = {"rg-web-prod", "rg-security-prod", "rg-backup-prod", "rg-app-prod"}


def test_cloud_register_reads_every_endpoint_from_the_metadata_document(az, sandbox):
    cloud = az.json("cloud", "show", "-n", CLOUD)
    endpoints = cloud["endpoints"]
    assert endpoints["resourceManager"].rstrip("/") == sandbox.arm_endpoint
    assert endpoints["activeDirectory"].rstrip("/") == sandbox.authority_host
    # Graph on the sandbox's own Graph origin, never the public one.
    assert endpoints["microsoftGraphResourceId"].rstrip("/") == sandbox.graph_endpoint
    assert cloud["suffixes"]["keyvaultDns"].lstrip(".") == "vault.azure.net"


def test_a_cloud_registered_with_a_trailing_slash_signs_in_and_lists_groups(az, sandbox, workdir):
    config = workdir / "azure-config-trailing-slash"
    login = sign_in(az, sandbox, sandbox.arm_endpoint + "/", config_dir=config)
    assert any(s["name"] == "Contoso Production" for s in login)
    groups = az.run("group", "list", config_dir=config, label="az group list (trailing-slash cloud)").json()
    assert PRODUCTION_GROUPS <= {g["name"] for g in groups}


def test_service_principal_login_lists_the_principals_subscriptions(az, sandbox):
    assert az.login, "login printed no subscription"
    for subscription in az.login:
        assert subscription["tenantId"] == sandbox.tenant_id
        assert subscription["user"] == {"name": sandbox.client_id, "type": "servicePrincipal"}
        assert subscription["cloudName"] == CLOUD
        uuid.UUID(subscription["id"])
    assert "Contoso Production" in {s["name"] for s in az.login}


def test_account_list(az):
    accounts = az.json("account", "list")
    assert {a["id"] for a in accounts} == {s["id"] for s in az.login}
    assert sum(a["isDefault"] for a in accounts) == 1


def test_group_list(az):
    groups = az.json("group", "list")
    assert PRODUCTION_GROUPS <= {g["name"] for g in groups}
    assert all(g["properties"]["provisioningState"] == "Succeeded" for g in groups)


def test_vm_list(az):
    vms = {v["name"]: v for v in az.json("vm", "list")}
    assert {"vm-web01", "vm-sql-01", "vm-app-lnx01"} <= set(vms)
    assert vms["vm-web01"]["storageProfile"]["osDisk"]["osType"] == "Windows"
    assert vms["vm-app-lnx01"]["storageProfile"]["osDisk"]["osType"] == "Linux"


def test_vm_list_with_details(az):
    vms = {v["name"]: v for v in az.json("vm", "list", "-d")}
    web = vms["vm-web01"]
    assert web["powerState"] == "VM running"
    assert web["privateIps"], "no private IP from the VM's NIC"


def test_vm_show_with_details(az):
    vm = az.json("vm", "show", "-d", "-g", "rg-web-prod", "-n", "vm-web01")
    assert vm["name"] == "vm-web01"
    assert vm["powerState"] == "VM running"
    assert vm["privateIps"]
    assert vm["networkProfile"]["networkInterfaces"][0]["id"].lower().endswith("/vm-web01-nic")


def test_vm_encryption_show(az):
    status = az.json("vm", "encryption", "show", "-g", "rg-web-prod", "-n", "vm-web01")
    os_disk = status["disks"][0]
    settings = os_disk["encryptionSettings"][0]
    assert "/secrets/" in settings["diskEncryptionKey"]["secretUrl"]
    assert "/keys/kek-vm-web01/" in settings["keyEncryptionKey"]["keyUrl"]
    assert settings["diskEncryptionKey"]["sourceVault"]["id"].lower().endswith("/vaults/kv-shared-jpe")
    assert [s["code"] for s in os_disk["statuses"]] == ["EncryptionState/encrypted"]


def test_disk_list(az):
    disks = {d["name"]: d for d in az.json("disk", "list", "-g", "rg-web-prod")}
    disk = disks["vm-web01_OsDisk_1"]
    assert disk["managedBy"].lower().endswith("/virtualmachines/vm-web01")
    assert disk["encryptionSettingsCollection"]["enabled"] is True


def test_storage_account_list(az):
    accounts = {a["name"]: a for a in az.json("storage", "account", "list")}
    staging = accounts["stcontosorestorejpe"]
    assert staging["resourceGroup"] == "rg-backup-prod"
    assert staging["kind"] == "StorageV2"


def test_network_vnet_list(az):
    vnets = {v["name"]: v for v in az.json("network", "vnet", "list")}
    vnet = vnets["vnet-prod-japaneast"]
    assert vnet["location"] == "japaneast"
    assert vnet["addressSpace"]["addressPrefixes"]


def test_keyvault_list(az):
    vaults = {v["name"]: v for v in az.json("keyvault", "list")}
    assert {"kv-prod-jpe-ade", "kv-shared-jpe", "kv-hr-rbac"} <= set(vaults)
    assert vaults["kv-shared-jpe"]["resourceGroup"] == "rg-security-prod"


def test_keyvault_show_by_name_alone(az):
    vault = az.json("keyvault", "show", "-n", "kv-shared-jpe")
    assert vault["resourceGroup"] == "rg-security-prod"
    assert vault["properties"]["vaultUri"].startswith("https://127.0.0.1:")
    assert vault["properties"]["enabledForDiskEncryption"] is True


def _vault_uri(az: Az, name: str) -> str:
    return az.json("keyvault", "show", "-n", name, label=f"az keyvault show -n {name}")[
        "properties"
    ]["vaultUri"]


# The CLI builds a vault's address from the cloud's Key Vault DNS suffix (`{name}.vault.azure.net`),
# which has no room for the port each sandbox vault listens on, so data-plane commands take the
# vault's own URL with `--id` (the CLI accepts a vault URL there).
def test_keyvault_secret_list(az):
    secrets = az.json("keyvault", "secret", "list", "--id", _vault_uri(az, "kv-shared-jpe"))
    bek = [s for s in secrets if s["tags"] and s["tags"].get("MachineName") == "vm-web01"]
    assert bek, f"no BEK secret of vm-web01 in {[s['name'] for s in secrets]}"
    assert bek[0]["contentType"] == "Wrapped BEK"


def test_keyvault_key_list(az):
    keys = az.json("keyvault", "key", "list", "--id", _vault_uri(az, "kv-shared-jpe"))
    assert "kek-vm-web01" in {k["name"] for k in keys}


def test_keyvault_set_policy_keeps_the_other_entries(az):
    before = az.json("keyvault", "show", "-n", "kv-shared-jpe", "-g", "rg-security-prod")
    newcomer = str(uuid.uuid4())
    after = az.json(
        "keyvault", "set-policy", "-n", "kv-shared-jpe", "--object-id", newcomer,
        "--secret-permissions", "get", "list", "--key-permissions", "get",
        label="az keyvault set-policy -n kv-shared-jpe --object-id NEW --secret-permissions get list",
    )
    policies = after["properties"]["accessPolicies"]
    entry = next(p for p in policies if p["objectId"] == newcomer)
    assert sorted(entry["permissions"]["secrets"]) == ["get", "list"]
    assert entry["permissions"]["keys"] == ["get"]
    # Every principal that had an entry still has it, unchanged.
    kept = [p for p in policies if p["objectId"] != newcomer]
    assert kept == before["properties"]["accessPolicies"]
    # And the vault says so when read again.
    again = az.json("keyvault", "show", "-n", "kv-shared-jpe", "-g", "rg-security-prod",
                    label="az keyvault show -n kv-shared-jpe -g rg-security-prod")
    assert again["properties"]["accessPolicies"] == policies


def test_role_assignment_list_at_a_vault_names_roles_and_principals(az, subscription, sandbox):
    scope = (f"/subscriptions/{subscription}/resourceGroups/rg-hr/providers/"
             "Microsoft.KeyVault/vaults/kv-hr-rbac")
    assignments = az.json("role", "assignment", "list", "--scope", scope,
                          label="az role assignment list --scope <rbac vault>")
    assert assignments
    assert all(a["scope"].lower() == scope.lower() for a in assignments)
    # Role names come from the role definitions, principal names from Graph.
    names = {a["roleDefinitionName"] for a in assignments}
    assert names and all(names)
    operator = [a for a in assignments if a["principalId"] == sandbox.object_id]
    assert operator and operator[0]["principalName"] == "Safehold sandbox operator"
