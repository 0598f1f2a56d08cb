"""azure-mgmt-resource-subscriptions: the subscriptions the service principal can see."""

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.subscriptions import SubscriptionClient


def test_subscription_client_lists_exactly_the_two_contoso_subscriptions(sandbox):
    with sandbox.mgmt_client(SubscriptionClient) as client:
        subscriptions = list(client.subscriptions.list())

    assert sorted(s.display_name for s in subscriptions) == [
        "Contoso Development",
        "Contoso Production",
    ]
    for subscription in subscriptions:
        assert subscription.tenant_id == sandbox.tenant_id
        assert subscription.id == f"/subscriptions/{subscription.subscription_id}"
        assert subscription.state == "Enabled"


def test_subscription_client_gets_one_subscription_by_id(sandbox):
    with sandbox.mgmt_client(SubscriptionClient) as client:
        listed = {s.display_name: s for s in client.subscriptions.list()}
        production = client.subscriptions.get(listed["Contoso Production"].subscription_id)

    assert production.display_name == "Contoso Production"
    assert production.tenant_id == sandbox.tenant_id


def test_unknown_subscription_surfaces_arm_subscription_not_found(sandbox):
    with sandbox.mgmt_client(SubscriptionClient) as client:
        with pytest.raises(HttpResponseError) as raised:
            client.subscriptions.get("00000000-0000-0000-0000-000000000000")

    assert raised.value.status_code == 404
    assert raised.value.error.code == "SubscriptionNotFound"


def test_tenants_list_the_home_tenant(sandbox):
    with sandbox.mgmt_client(SubscriptionClient) as client:
        tenants = list(client.tenants.list())

    assert sandbox.tenant_id in {t.tenant_id for t in tenants}
    [home] = [t for t in tenants if t.tenant_id == sandbox.tenant_id]
    assert home.id == f"/tenants/{sandbox.tenant_id}"
