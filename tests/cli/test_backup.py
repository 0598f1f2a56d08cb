"""Azure Backup through the CLI: vaults, policies, items, protection, back up now, jobs,
recovery points, restoring disks to a staging account, and a VM from the restore's template."""

import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit


VAULT = ["-g", "rg-backup-prod", "-v", "rsv-prod-japaneast"]
# The native names, as `az backup item list` prints them.
LINUX_NAMES = [
    "--container-name", "IaasVMContainer;iaasvmcontainerv2;rg-app-prod;vm-app-lnx01",
    "--item-name", "VM;iaasvmcontainerv2;rg-app-prod;vm-app-lnx01",
]
LINUX_ITEM = [*LINUX_NAMES, "--backup-management-type", "AzureIaasVM"]
STAGING_ACCOUNT = "stcontosorestorejpe"


def _finished(az, job_name: str, timeout: float = 60) -> dict:
    """Polls `az backup job show` until the job has ended."""
    deadline = time.monotonic() + timeout
    while True:
        job = az.json("backup", "job", "show", *VAULT, "-n", job_name, label="az backup job show")
        if job["properties"]["status"] not in ("InProgress", "Cancelling"):
            return job
        assert time.monotonic() < deadline, f"job {job_name} still running"
        time.sleep(0.5)


def test_backup_vault_list(az):
    vaults = {v["name"]: v for v in az.json("backup", "vault", "list")}
    assert {"rsv-prod-japaneast", "rsv-prod-japanwest"} <= set(vaults)
    assert vaults["rsv-prod-japaneast"]["location"] == "japaneast"
    assert vaults["rsv-prod-japaneast"]["resourceGroup"] == "rg-backup-prod"


def test_backup_policy_list(az):
    policies = {p["name"]: p for p in az.json("backup", "policy", "list", *VAULT)}
    assert "DefaultPolicy" in policies
    default = policies["DefaultPolicy"]["properties"]
    assert default["backupManagementType"] == "AzureIaasVM"
    assert default["schedulePolicy"]["scheduleRunFrequency"] == "Daily"


def test_backup_item_list(az):
    items = {i["properties"]["friendlyName"]: i for i in az.json("backup", "item", "list", *VAULT)}
    assert {"vm-web01", "vm-sql-01", "vm-app-lnx01"} <= set(items)
    linux = items["vm-app-lnx01"]
    assert linux["name"] == "VM;iaasvmcontainerv2;rg-app-prod;vm-app-lnx01"
    assert linux["properties"]["protectionState"] == "Protected"
    assert linux["properties"]["policyName"]


def test_backup_protection_enable_for_vm(az, subscription):
    vm = (f"/subscriptions/{subscription}/resourceGroups/rg-app-prod/providers/"
          "Microsoft.Compute/virtualMachines/vm-new-app01")
    job = az.json("backup", "protection", "enable-for-vm", *VAULT, "--vm", vm,
                  "--policy-name", "DefaultPolicy",
                  label="az backup protection enable-for-vm --vm <id> --policy-name DefaultPolicy")
    assert job["properties"]["operation"] == "ConfigureBackup"
    assert job["properties"]["entityFriendlyName"] == "vm-new-app01"
    assert _finished(az, job["name"])["properties"]["status"] == "Completed"
    items = az.json("backup", "item", "list", *VAULT, label="az backup item list (after enabling)")
    item = next(i for i in items if i["properties"]["friendlyName"] == "vm-new-app01")
    assert item["properties"]["policyName"] == "DefaultPolicy"


def test_backup_now_then_job_wait_show_and_list(az):
    retain = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%d-%m-%Y")
    job = az.json("backup", "protection", "backup-now", *VAULT, *LINUX_ITEM,
                  "--retain-until", retain, label="az backup protection backup-now")
    assert job["properties"]["operation"] == "Backup"
    assert job["properties"]["status"] == "InProgress"
    # The CLI polls every 30 s while the job runs: this is its real cost.
    waited = az.json("backup", "job", "wait", *VAULT, "-n", job["name"], label="az backup job wait")
    assert waited["properties"]["status"] == "Completed"
    shown = az.json("backup", "job", "show", *VAULT, "-n", job["name"])
    assert shown["properties"]["status"] == "Completed"
    assert shown["properties"]["entityFriendlyName"] == "vm-app-lnx01"
    jobs = az.json("backup", "job", "list", *VAULT)
    assert job["name"] in {j["name"] for j in jobs}
    # The seeded history holds failures too, each with its error code.
    failed = [j for j in jobs if j["properties"]["status"] == "Failed"]
    assert failed and all(j["properties"]["errorDetails"] for j in failed)


def test_backup_recoverypoint_list_and_show(az):
    points = az.json("backup", "recoverypoint", "list", *VAULT, *LINUX_ITEM)
    assert points
    newest = points[0]
    assert newest["properties"]["isSourceVMEncrypted"] is True
    shown = az.json("backup", "recoverypoint", "show", *VAULT, *LINUX_ITEM, "-n", newest["name"])
    secrets = shown["properties"]["keyAndSecret"]
    assert "/secrets/" in secrets["bekDetails"]["secretUrl"]
    assert "/keys/kek-vm-app-lnx01/" in secrets["kekDetails"]["keyUrl"]


def _template_sas_url(az, sandbox, template_uri: str) -> str:
    """A read SAS for the template blob, signed with a user delegation key.

    The CLI cannot sign one here: `az storage blob generate-sas` builds the account's address from
    the cloud's storage suffix, and the sandbox serves blobs path-style on one port. So the test
    signs it with azure-storage-blob (which the CLI itself installs) and a token from
    `az account get-access-token`, as users of the service do with the SDK.
    """
    from azure.core.credentials import AccessToken
    from azure.storage.blob import BlobSasPermissions, BlobServiceClient, generate_blob_sas

    # The storage token comes from the CLI's own sign-in.
    token = az.json("account", "get-access-token", "--resource", "https://storage.azure.com/",
                    label="az account get-access-token --resource https://storage.azure.com/")

    class CliCredential:
        def get_token(self, *scopes, **kwargs):
            return AccessToken(token["accessToken"], int(token["expires_on"]))

    service = BlobServiceClient(f"{sandbox.blob_endpoint}/{STAGING_ACCOUNT}",
                                credential=CliCredential(), connection_verify=sandbox.ca_cert)
    now = datetime.now(timezone.utc)
    key = service.get_user_delegation_key(now - timedelta(minutes=1), now + timedelta(hours=1))
    _, account, container, blob = urlsplit(template_uri).path.split("/", 3)
    sas = generate_blob_sas(account, container, blob, user_delegation_key=key,
                            permission=BlobSasPermissions(read=True),
                            expiry=now + timedelta(minutes=30))
    return f"{template_uri}?{sas}"


def test_restore_disks_to_a_staging_account_then_deploy_its_template(az, sandbox, subscription):
    points = az.json("backup", "recoverypoint", "list", *VAULT, *LINUX_ITEM,
                     label="az backup recoverypoint list (for the restore)")
    job = az.json("backup", "restore", "restore-disks", *VAULT, *LINUX_NAMES,
                  "--rp-name", points[0]["name"], "--storage-account", STAGING_ACCOUNT,
                  "--target-resource-group", "rg-app-prod",
                  label="az backup restore restore-disks --storage-account")
    assert job["properties"]["operation"] == "Restore"
    done = _finished(az, job["name"])
    assert done["properties"]["status"] == "Completed"
    bag = done["properties"]["extendedInfo"]["propertyBag"]
    assert bag["Target Storage Account Name"] == STAGING_ACCOUNT
    assert bag["Target resource group"] == "rg-app-prod"
    template_uri = bag["Template Blob Uri"]
    assert urlsplit(template_uri).path.startswith(f"/{STAGING_ACCOUNT}/")

    # The template makes the VM's NIC in a network of the target group and region.
    az.run("network", "vnet", "create", "-g", "rg-app-prod", "-n", "vnet-restore",
           "-l", "japaneast", "--address-prefixes", "10.30.0.0/16", "--subnet-name", "default",
           "--subnet-prefixes", "10.30.0.0/24", label="az network vnet create")
    deployment = az.json(
        "deployment", "group", "create", "-g", "rg-app-prod", "-n", "vm-app-lnx01-restored",
        "--template-uri", _template_sas_url(az, sandbox, template_uri),
        "--parameters", "VirtualMachineName=vm-app-lnx01-restored", "VirtualNetwork=vnet-restore",
        label="az deployment group create --template-uri <restore template>",
    )
    assert deployment["properties"]["provisioningState"] == "Succeeded"
    status = az.json("vm", "encryption", "show", "-g", "rg-app-prod", "-n", "vm-app-lnx01-restored",
                     label="az vm encryption show (restored VM)")
    codes = [s["code"] for d in status["disks"] for s in d["statuses"]]
    assert "EncryptionState/encrypted" in codes
