"""Creating a key vault and a Recovery Services vault through the management SDKs.

Both ARM answers are checked against keyvault.json and vaults.json by conftest; the new key vault's
data plane (its own origin, like every sandbox vault) must answer right away.
"""

from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import (
    AccessPolicyEntry,
    Permissions,
    Sku as KeyVaultSku,
    VaultCreateOrUpdateParameters,
    VaultProperties as KeyVaultProperties,
)
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.recoveryservices.models import (
    Sku as RecoveryServicesSku,
    Vault as RecoveryServicesVault,
    VaultProperties as RecoveryServicesProperties,
    VaultPropertiesRedundancySettings,
)
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

SECURITY_GROUP = "rg-security-prod"
BACKUP_GROUP = "rg-backup-prod"


def test_create_key_vault_returns_it_with_a_data_plane_that_answers_at_once(
    sandbox, production_subscription_id
):
    with sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id) as client:
        # The sandbox operator's own entry is the last one of kv-shared-jpe.
        shared = client.vaults.get(SECURITY_GROUP, "kv-shared-jpe")
        operator = shared.properties.access_policies[-1].object_id
        parameters = VaultCreateOrUpdateParameters(
            location="japaneast",
            properties=KeyVaultProperties(
                tenant_id=sandbox.tenant_id,
                sku=KeyVaultSku(family="A", name="standard"),
                access_policies=[
                    AccessPolicyEntry(
                        tenant_id=sandbox.tenant_id,
                        object_id=operator,
                        permissions=Permissions(
                            keys_property=["get", "list"], secrets=["get", "list", "set"]
                        ),
                    )
                ],
            ),
        )
        vault = client.vaults.begin_create_or_update(
            SECURITY_GROUP, "kv-conf-new", parameters
        ).result()
        fetched = client.vaults.get(SECURITY_GROUP, "kv-conf-new")

    assert vault.name == fetched.name == "kv-conf-new"
    assert vault.location == "japaneast"
    assert vault.id.lower().endswith(
        f"/resourcegroups/{SECURITY_GROUP}/providers/microsoft.keyvault/vaults/kv-conf-new"
    )
    assert vault.properties.tenant_id == sandbox.tenant_id
    assert vault.properties.sku.name == "standard"
    assert [p.object_id for p in vault.properties.access_policies] == [operator]
    vault_uri = vault.properties.vault_uri
    assert vault_uri.startswith("https://127.0.0.1:") and vault_uri.endswith("/")
    assert fetched.properties.vault_uri == vault_uri
    with sandbox.secret_client(vault_uri) as secrets:
        assert list(secrets.list_properties_of_secrets()) == []


def test_create_recovery_services_vault_returns_it_with_the_default_policy(
    sandbox, production_subscription_id
):
    vault = RecoveryServicesVault(
        location="japaneast",
        sku=RecoveryServicesSku(name="RS0", tier="Standard"),
        properties=RecoveryServicesProperties(
            redundancy_settings=VaultPropertiesRedundancySettings(
                standard_tier_storage_redundancy="LocallyRedundant"
            )
        ),
    )
    with sandbox.mgmt_client(RecoveryServicesClient, production_subscription_id) as client:
        created = client.vaults.begin_create_or_update(BACKUP_GROUP, "rsv-conf-new", vault).result()
    with sandbox.mgmt_client(RecoveryServicesBackupClient, production_subscription_id) as backup:
        policies = list(backup.backup_policies.list("rsv-conf-new", BACKUP_GROUP))

    assert created.name == "rsv-conf-new"
    assert created.location == "japaneast"
    assert created.type.lower() == "microsoft.recoveryservices/vaults"
    assert created.sku.name == "RS0"
    assert (
        created.properties.redundancy_settings.standard_tier_storage_redundancy
        == "LocallyRedundant"
    )
    assert "DefaultPolicy" in {p.name for p in policies}
