"""ARM's cloud metadata endpoint: how a client configured with only the ARM URL finds the rest.

`GET /metadata/endpoints` needs no token and has no swagger (it is in
`arm_specs.UNSPECIFIED_PATHS`); the test asserts the fields a client uses.
"""

from azure.core import PipelineClient
from azure.core.rest import HttpRequest

from sandbox import ARM_AUDIENCE


def test_metadata_endpoints_answers_without_a_token_and_points_back_at_the_sandbox(sandbox):
    with PipelineClient(sandbox.arm_endpoint, policies=[], transport=sandbox.transport()) as bare:
        response = bare.send_request(
            HttpRequest("GET", f"{sandbox.arm_endpoint}/metadata/endpoints?api-version=2022-09-01")
        )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    cloud = response.json()
    assert cloud["resourceManager"].rstrip("/") == sandbox.arm_endpoint
    authentication = cloud["authentication"]
    assert authentication["loginEndpoint"].rstrip("/") == sandbox.authority_host
    assert ARM_AUDIENCE in authentication["audiences"]
    assert authentication["identityProvider"] == "AAD"
    # Graph on its own loopback origin, never the public graph.microsoft.com.
    assert cloud["microsoftGraphResourceId"].startswith("https://127.0.0.1:")
    assert cloud["microsoftGraphResourceId"] != cloud["resourceManager"]
    assert cloud["suffixes"]["keyVaultDns"] == "vault.azure.net"
    assert cloud["suffixes"]["storage"] == "core.windows.net"

