"""azure-mgmt-resource: the resource groups of "Contoso Production"."""

from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient

# The groups the demo tenant's VMs, disks and key vaults live in.
DEMO_GROUPS = {
    "rg-sql-prod",
    "rg-web-legacy",
    "rg-app-prod",
    "rg-web-prod",
    "rg-finance",
    "rg-hr",
    "rg-batch",
    "rg-reports",
    "rg-security-prod",
}


@pytest.fixture
def resources(sandbox, production_subscription_id):
    with sandbox.mgmt_client(ResourceManagementClient, production_subscription_id) as client:
        yield client


@pytest.mark.sandbox_args("--page-size", "5")
def test_list_follows_next_link_to_every_resource_group(
    sandbox, production_subscription_id, resources
):
    groups = list(resources.resource_groups.list())

    names = [g.name for g in groups]
    assert len(names) == len(set(names)), names
    assert DEMO_GROUPS <= set(names)
    for group in groups:
        assert group.id.lower() == (
            f"/subscriptions/{production_subscription_id}/resourcegroups/{group.name}"
        ).lower()
        assert group.type == "Microsoft.Resources/resourceGroups"
        assert group.properties.provisioning_state == "Succeeded"
    pages = [e for e in sandbox.exchanges if e.path.lower().endswith("/resourcegroups")]
    assert len(pages) == -(-len(groups) // 5), [e.describe() for e in pages]
    assert all("$skiptoken" in parse_qs(urlsplit(e.url).query) for e in pages[1:])


def test_get_returns_the_group_with_its_location(resources):
    group = resources.resource_groups.get("rg-sql-prod")

    assert group.name == "rg-sql-prod"
    assert group.location == "japaneast"
    assert group.id.lower().endswith("/resourcegroups/rg-sql-prod")


def test_unknown_group_surfaces_resource_group_not_found(resources):
    with pytest.raises(ResourceNotFoundError) as raised:
        resources.resource_groups.get("rg-does-not-exist")

    assert isinstance(raised.value, HttpResponseError)
    assert raised.value.status_code == 404
    assert raised.value.error.code == "ResourceGroupNotFound"
    assert "rg-does-not-exist" in raised.value.error.message
