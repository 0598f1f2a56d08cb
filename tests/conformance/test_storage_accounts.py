"""azure-mgmt-storage: the restore staging accounts of "Contoso Production".

A create is long-running (202 + Location, polled until the account exists); names are global and
checked by `check_name_availability`; delete answers 200, or 204 when there was nothing to delete.
"""

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import (
    Sku,
    StorageAccountCheckNameAvailabilityParameters,
    StorageAccountCreateParameters,
    StorageAccountUpdateParameters,
)

STAGING_ACCOUNT = "stcontosorestorejpe"


@pytest.fixture
def storage(sandbox, production_subscription_id):
    with sandbox.mgmt_client(StorageManagementClient, production_subscription_id) as client:
        yield client


def test_the_staging_account_is_listed_with_its_blob_endpoint(sandbox, storage):
    accounts = {a.name: a for a in storage.storage_accounts.list()}

    staging = accounts[STAGING_ACCOUNT]
    assert staging.kind == "StorageV2"
    assert staging.sku.name == "Standard_LRS"
    assert staging.location == "japaneast"
    assert staging.primary_endpoints.blob == f"{sandbox.blob_endpoint}/{STAGING_ACCOUNT}/"
    in_group = [a.name for a in storage.storage_accounts.list_by_resource_group("rg-backup-prod")]
    assert STAGING_ACCOUNT in in_group
    got = storage.storage_accounts.get_properties("rg-backup-prod", STAGING_ACCOUNT)
    assert got.id == staging.id


@pytest.mark.sandbox_args("--lro-retry-after-secs", "1")
def test_create_polls_to_the_account_and_delete_removes_it(storage):
    poller = storage.storage_accounts.begin_create(
        "rg-backup-prod",
        "stconformance01",
        StorageAccountCreateParameters(
            location="japaneast",
            kind="StorageV2",
            sku=Sku(name="Standard_LRS"),
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
        ),
    )
    account = poller.result()

    assert account.name == "stconformance01"
    assert account.provisioning_state == "Succeeded"
    assert account.access_tier == "Hot"
    storage.storage_accounts.delete("rg-backup-prod", "stconformance01")
    with pytest.raises(ResourceNotFoundError):
        storage.storage_accounts.get_properties("rg-backup-prod", "stconformance01")
    # Deleting what is not there is not an error.
    storage.storage_accounts.delete("rg-backup-prod", "stconformance01")


def test_name_availability(storage):
    def check(name):
        return storage.storage_accounts.check_name_availability(
            StorageAccountCheckNameAvailabilityParameters(name=name)
        )

    taken = check(STAGING_ACCOUNT)
    assert taken.name_available is False and taken.reason == "AlreadyExists"
    assert check("Not-Valid").reason == "AccountNameInvalid"
    assert check("stfreeconformance").name_available is True


def test_a_taken_name_is_a_conflict(storage):
    with pytest.raises(HttpResponseError) as raised:
        storage.storage_accounts.begin_create(
            "rg-sql-prod",
            STAGING_ACCOUNT,
            StorageAccountCreateParameters(
                location="japaneast", kind="StorageV2", sku=Sku(name="Standard_LRS")
            ),
        ).result()

    assert raised.value.status_code == 409
    assert raised.value.error.code == "StorageAccountAlreadyTaken"


def test_update_changes_tags_and_access_tier(storage):
    updated = storage.storage_accounts.update(
        "rg-backup-prod",
        STAGING_ACCOUNT,
        StorageAccountUpdateParameters(tags={"team": "backup"}, access_tier="Cool"),
    )

    assert updated.tags == {"team": "backup"}
    assert updated.access_tier == "Cool"
    assert updated.sku.name == "Standard_LRS"
