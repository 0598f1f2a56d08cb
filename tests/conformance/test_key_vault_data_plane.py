"""azure-keyvault-secrets and azure-keyvault-keys on the sandbox vaults' data planes.

Each sandbox vault serves its data plane on its own origin, the `vaultUri` the management plane
reports. The clients are configured only with that URL, the CA and `verify_challenge_resource=False`
(`Sandbox.secret_client` / `key_client`); their first request goes out without a token and the
SDK follows the 401 challenge to the sandbox's authority. The data plane is not ARM: conftest leaves
those origins out of the swagger validation, so these tests assert what they read themselves.
"""

from urllib.parse import urlsplit

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient

SECURITY_GROUP = "rg-security-prod"
ADE_VAULT = "kv-prod-jpe-ade"
# Same subscription and geography (Japan) as the ADE vault, then another geography (eastus2).
SHARED_VAULT = "kv-shared-jpe"
FINANCE_GROUP, FINANCE_VAULT = "rg-finance", "kv-finance-ade"
SQL_KEK = "kek-vm-sql-01"


@pytest.fixture
def vault_uris(sandbox, production_subscription_id) -> dict[str, str]:
    with sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id) as client:
        return {
            name: client.vaults.get(group, name).properties.vault_uri
            for group, name in (
                (SECURITY_GROUP, ADE_VAULT),
                (SECURITY_GROUP, SHARED_VAULT),
                (FINANCE_GROUP, FINANCE_VAULT),
            )
        }


def test_first_request_follows_the_bearer_challenge(sandbox, vault_uris):
    with sandbox.secret_client(vault_uris[ADE_VAULT]) as client:
        names = [s.name for s in client.list_properties_of_secrets()]

    assert names
    origin = vault_uris[ADE_VAULT].rstrip("/")
    to_vault = [e for e in sandbox.exchanges if e.url.startswith(origin + "/")]
    assert [e.status for e in to_vault[:2]] == [401, 200], [e.describe() for e in to_vault]
    assert to_vault[0].path == to_vault[1].path == "/secrets"
    # The challenge names the sandbox's authority with the tenant, and Key Vault's resource.
    challenge = requests.get(
        vault_uris[ADE_VAULT] + "secrets?api-version=7.5", verify=sandbox.ca_cert, timeout=10
    )
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == (
        f'Bearer authorization="{sandbox.authority_host.rstrip("/")}/{sandbox.tenant_id}", '
        'resource="https://vault.azure.net"'
    )


def test_bek_secret_of_vm_sql_01_is_a_wrapped_bek_tagged_with_its_machine(
    sandbox, production_subscription_id, vault_uris
):
    with sandbox.mgmt_client(ComputeManagementClient, production_subscription_id) as compute:
        view = compute.virtual_machines.instance_view("rg-sql-prod", "vm-sql-01")
    secret_url = view.disks[0].encryption_settings[0].disk_encryption_key.secret_url
    assert secret_url.startswith(vault_uris[ADE_VAULT] + "secrets/")
    _, _, name, version = urlsplit(secret_url).path.split("/")

    with sandbox.secret_client(vault_uris[ADE_VAULT]) as client:
        secret = client.get_secret(name, version)

    assert secret.id == secret_url
    assert secret.name == name and secret.properties.version == version
    assert secret.properties.content_type == "Wrapped BEK"
    assert secret.properties.tags["MachineName"] == "vm-sql-01"
    assert secret.value


def test_set_secret_keeps_content_type_and_tags(sandbox, vault_uris):
    tags = {"MachineName": "vm-conf-01", "VolumeLetter": "C:\\"}
    with sandbox.secret_client(vault_uris[SHARED_VAULT]) as client:
        written = client.set_secret(
            "conf-secret", "s3cr3t", content_type="BEK", tags=tags
        )
        read = client.get_secret("conf-secret")

    for secret in (written, read):
        assert secret.name == "conf-secret"
        assert secret.properties.content_type == "BEK"
        assert secret.properties.tags == tags
    assert read.value == "s3cr3t"
    assert read.properties.version == written.properties.version
    assert written.id.startswith(vault_uris[SHARED_VAULT] + "secrets/conf-secret/")


def test_key_backup_restores_into_a_vault_of_the_same_geography(sandbox, vault_uris):
    with sandbox.key_client(vault_uris[ADE_VAULT]) as source:
        original = source.get_key(SQL_KEK)
        backup = source.backup_key(SQL_KEK)
    with sandbox.key_client(vault_uris[SHARED_VAULT]) as target:
        restored = target.restore_key_backup(backup)
        fetched = target.get_key(SQL_KEK)

    assert isinstance(backup, bytes) and backup
    assert restored.name == fetched.name == SQL_KEK
    assert restored.id.startswith(vault_uris[SHARED_VAULT] + f"keys/{SQL_KEK}/")
    assert restored.key.n == original.key.n


def test_key_backup_restore_into_another_geography_is_rejected_with_400(sandbox, vault_uris):
    with sandbox.key_client(vault_uris[ADE_VAULT]) as source:
        backup = source.backup_key(SQL_KEK)
    with sandbox.key_client(vault_uris[FINANCE_VAULT]) as target:
        with pytest.raises(HttpResponseError) as raised:
            target.restore_key_backup(backup)

    assert raised.value.status_code == 400


def test_key_backup_restore_over_an_existing_name_is_a_conflict(sandbox, vault_uris):
    with sandbox.key_client(vault_uris[ADE_VAULT]) as client:
        backup = client.backup_key(SQL_KEK)
        with pytest.raises((ResourceExistsError, HttpResponseError)) as raised:
            client.restore_key_backup(backup)

    assert raised.value.status_code == 409


def test_deleted_secret_can_be_read_and_recovered(sandbox, vault_uris):
    with sandbox.secret_client(vault_uris[SHARED_VAULT]) as client:
        client.set_secret("conf-doomed", "v1", content_type="text/plain")
        deleted = client.begin_delete_secret("conf-doomed").result()
        fetched = client.get_deleted_secret("conf-doomed")
        recovered = client.begin_recover_deleted_secret("conf-doomed").result()
        after = client.get_secret("conf-doomed")

    assert deleted.name == fetched.name == "conf-doomed"
    assert fetched.recovery_id and fetched.deleted_date is not None
    assert recovered.name == "conf-doomed"
    assert after.value == "v1"
    assert after.properties.content_type == "text/plain"
