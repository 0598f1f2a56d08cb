"""ARM's error envelope, seen by raw requests through the SDK pipeline, checked against the spec."""

from azure.core import PipelineClient
from azure.core.rest import HttpRequest
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

UNKNOWN_API_VERSION = "1999-01-01"


def _first_subscription_id(sandbox) -> str:
    with sandbox.mgmt_client(SubscriptionClient) as client:
        return next(iter(client.subscriptions.list())).subscription_id


def test_unknown_api_version_on_subscriptions_gets_invalid_api_version_parameter(sandbox):
    with sandbox.mgmt_client(SubscriptionClient) as client:
        response = client.send_request(
            HttpRequest("GET", f"/subscriptions?api-version={UNKNOWN_API_VERSION}")
        )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidApiVersionParameter"
    assert UNKNOWN_API_VERSION in error["message"]


def test_unknown_api_version_on_vaults_gets_no_registered_provider_found(sandbox):
    subscription_id = _first_subscription_id(sandbox)
    with sandbox.mgmt_client(RecoveryServicesClient, subscription_id) as client:
        response = client.send_request(
            HttpRequest(
                "GET",
                f"/subscriptions/{subscription_id}/providers/Microsoft.RecoveryServices/vaults"
                f"?api-version={UNKNOWN_API_VERSION}",
            )
        )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "NoRegisteredProviderFound"
    assert UNKNOWN_API_VERSION in error["message"]


def test_request_without_a_token_gets_authentication_failed(sandbox):
    # A bare pipeline: no authentication policy, same recording transport.
    with PipelineClient(sandbox.arm_endpoint, policies=[], transport=sandbox.transport()) as client:
        response = client.send_request(
            HttpRequest("GET", f"{sandbox.arm_endpoint}/subscriptions?api-version=2022-12-01")
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"


def test_token_for_another_audience_gets_invalid_audience(sandbox):
    token = sandbox.credential().get_token("https://vault.azure.net/.default").token
    with PipelineClient(sandbox.arm_endpoint, policies=[], transport=sandbox.transport()) as client:
        response = client.send_request(
            HttpRequest(
                "GET",
                f"{sandbox.arm_endpoint}/subscriptions?api-version=2022-12-01",
                headers={"Authorization": f"Bearer {token}"},
            )
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_arm_error_bodies_validate_against_the_spec_error_schema(sandbox, specs):
    subscription_id = _first_subscription_id(sandbox)
    with sandbox.mgmt_client(RecoveryServicesClient, subscription_id) as client:
        for path in (
            "/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01",
            f"/subscriptions?api-version={UNKNOWN_API_VERSION}",
            f"/subscriptions/{subscription_id}/resourceGroups/rg-backup-prod/providers"
            "/Microsoft.RecoveryServices/vaults/rsv-missing?api-version=2024-04-01",
            f"/subscriptions/{subscription_id}/providers/Microsoft.RecoveryServices/vaults"
            f"?api-version={UNKNOWN_API_VERSION}",
        ):
            client.send_request(HttpRequest("GET", path))
    with PipelineClient(sandbox.arm_endpoint, policies=[], transport=sandbox.transport()) as bare:
        bare.send_request(
            HttpRequest("GET", f"{sandbox.arm_endpoint}/subscriptions?api-version=2022-12-01")
        )

    errors = [e for e in sandbox.exchanges if e.status >= 400]
    assert sorted(e.status for e in errors) == [400, 400, 401, 404, 404]
    for exchange in errors:
        operation = specs.operation_for(exchange.method, exchange.path)
        assert operation is not None, exchange.describe()
        key, pointer = specs.response_schema_pointer(operation, exchange.status)
        assert key == "default" and pointer, f"{exchange.describe()}: {key} {pointer!r}"
        assert specs.problems(exchange) == []
