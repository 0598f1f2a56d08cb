"""azure-mgmt-recoveryservices: listing and reading Recovery Services vaults."""

from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.subscriptions import SubscriptionClient


def _subscription_id(sandbox, display_name: str) -> str:
    with sandbox.mgmt_client(SubscriptionClient) as client:
        return next(
            s.subscription_id for s in client.subscriptions.list() if s.display_name == display_name
        )


@pytest.fixture
def production(sandbox):
    """A vaults client on "Contoso Production"."""
    with sandbox.mgmt_client(
        RecoveryServicesClient, _subscription_id(sandbox, "Contoso Production")
    ) as client:
        yield client


@pytest.mark.sandbox_args("--page-size", "1")
def test_list_by_subscription_follows_next_link_to_every_vault(sandbox, production):
    vaults = list(production.vaults.list_by_subscription_id())

    assert sorted(v.name for v in vaults) == [
        "rsv-finance-eastus2",
        "rsv-prod-japaneast",
        "rsv-prod-japanwest",
    ]
    pages = [
        e
        for e in sandbox.exchanges
        if e.path.lower().endswith("/providers/microsoft.recoveryservices/vaults")
    ]
    assert len(pages) == 3, [e.describe() for e in pages]
    assert all("$skiptoken" in parse_qs(urlsplit(e.url).query) for e in pages[1:])


def test_list_by_resource_group_sees_only_that_group(production):
    vaults = list(production.vaults.list_by_resource_group("rg-backup-prod"))

    assert sorted(v.name for v in vaults) == ["rsv-prod-japaneast", "rsv-prod-japanwest"]
    for vault in vaults:
        assert "/resourcegroups/rg-backup-prod/" in vault.id.lower()
        assert vault.type.lower() == "microsoft.recoveryservices/vaults"


def test_get_vault_matches_resource_group_case_insensitively(production):
    vault = production.vaults.get("RG-Backup-PROD", "rsv-prod-japaneast")

    assert vault.name == "rsv-prod-japaneast"
    assert vault.id.lower().endswith(
        "/resourcegroups/rg-backup-prod/providers/microsoft.recoveryservices/vaults/"
        "rsv-prod-japaneast"
    )
    assert vault.location == "japaneast"


def test_unknown_vault_surfaces_arm_resource_not_found(production):
    with pytest.raises(ResourceNotFoundError) as raised:
        production.vaults.get("rg-backup-prod", "rsv-does-not-exist")

    assert isinstance(raised.value, HttpResponseError)
    assert raised.value.status_code == 404
    assert raised.value.error.code == "ResourceNotFound"
