"""azure-mgmt-resource: the generic resources view (`resources.list`, `list_by_resource_group`).

Every tracked resource of the subscription is listed, whatever its provider; `$filter` is
evaluated, and a filter the sandbox cannot evaluate is refused with ARM's
`InvalidFilterInQueryString` rather than answered with a list that might be wrong.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient


@pytest.fixture
def resources(sandbox, production_subscription_id):
    with sandbox.mgmt_client(ResourceManagementClient, production_subscription_id) as client:
        yield client


def test_list_has_every_kind_of_resource(resources):
    listed = list(resources.resources.list())

    kinds = {r.type for r in listed}
    assert {
        "Microsoft.Compute/virtualMachines",
        "Microsoft.Compute/disks",
        "Microsoft.KeyVault/vaults",
        "Microsoft.RecoveryServices/vaults",
        "Microsoft.Storage/storageAccounts",
    } <= kinds, kinds
    ids = [r.id.lower() for r in listed]
    assert len(ids) == len(set(ids))


def test_filter_by_type_and_name_finds_one_key_vault(resources):
    found = list(
        resources.resources.list(
            filter="resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'kv-prod-jpe-ade'"
        )
    )

    assert [r.name for r in found] == ["kv-prod-jpe-ade"]
    assert found[0].location == "japaneast"


def test_key_vault_list_goes_through_the_resources_view(sandbox, production_subscription_id):
    client = sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id)

    names = [v.name for v in client.vaults.list()]

    assert names == ["kv-prod-jpe-ade", "kv-shared-jpe", "kv-finance-ade", "kv-hr-rbac"]


@pytest.mark.sandbox_args("--page-size", "3")
def test_list_by_resource_group_pages_and_keeps_the_filter(sandbox, resources):
    found = list(
        resources.resources.list_by_resource_group(
            "rg-sql-prod",
            filter="substringof('vm-sql', name) or resourceType eq 'Microsoft.Compute/disks'",
            expand="createdTime,provisioningState",
        )
    )

    assert "vm-sql-01" in {r.name for r in found}
    assert all("/resourcegroups/rg-sql-prod/" in r.id.lower() for r in found)
    assert all(r.provisioning_state == "Succeeded" for r in found)
    assert all(r.created_time is not None for r in found)
    pages = [e for e in sandbox.exchanges if e.path.lower().endswith("/resources")]
    assert len(pages) == -(-len(found) // 3) and len(pages) > 1
    for page in pages:
        assert "substringof" in parse_qs(urlsplit(page.url).query)["$filter"][0]


def test_tag_name_and_value_filter_leaves_tags_out(resources):
    found = list(resources.resources.list(filter="tagName eq 'owner' and tagValue eq 'it-operations'"))

    # The Recovery Services vaults and the staging accounts carry this tag.
    assert {r.type for r in found} == {
        "Microsoft.RecoveryServices/vaults",
        "Microsoft.Storage/storageAccounts",
    }
    assert all(r.tags is None for r in found)


def test_a_filter_the_sandbox_cannot_evaluate_is_refused(resources):
    with pytest.raises(HttpResponseError) as raised:
        list(resources.resources.list(filter="identity/principalId eq 'x'"))

    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidFilterInQueryString"


def test_an_unknown_resource_group_is_not_found(resources):
    with pytest.raises(ResourceNotFoundError) as raised:
        list(resources.resources.list_by_resource_group("rg-does-not-exist"))

    assert raised.value.error.code == "ResourceGroupNotFound"
