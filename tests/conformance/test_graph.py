"""Microsoft Graph v1.0: resolving the Backup Management Service's service principal.

Graph has no swagger (it is described in CSDL), so these responses are in
`arm_specs.UNSPECIFIED_PATHS` and the tests assert the OData envelope themselves. The requests go
through azure-core's own bearer-token policy with the Graph scope, as a Graph caller would send
them; the sandbox serves Graph on the same origin as ARM.
"""

import uuid

import pytest
from azure.core import PipelineClient
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.rest import HttpRequest

from sandbox import ARM_SCOPE

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals"
# The first-party Backup Management Service: the same appId in every public-cloud tenant.
BACKUP_MANAGEMENT_SERVICE = "262044b1-e2ce-469f-a196-69ab7ada62d3"


def _service_principals(sandbox, query: str, scope: str = GRAPH_SCOPE):
    """`GET /v1.0/servicePrincipals?{query}` with a bearer token for `scope`."""
    policy = BearerTokenCredentialPolicy(sandbox.credential(), scope)
    url = f"{sandbox.arm_endpoint}/v1.0/servicePrincipals?{query}"
    transport = sandbox.transport()
    with PipelineClient(sandbox.arm_endpoint, policies=[policy], transport=transport) as graph:
        return graph.send_request(HttpRequest("GET", url))


def test_filter_by_app_id_finds_the_backup_management_service(sandbox):
    response = _service_principals(sandbox, f"$filter=appId eq '{BACKUP_MANAGEMENT_SERVICE}'")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["@odata.context"] == GRAPH_CONTEXT
    [principal] = body["value"]
    assert principal["appId"] == BACKUP_MANAGEMENT_SERVICE
    assert principal["displayName"] == "Backup Management Service"
    # The object id access policies need: a tenant-specific GUID, not the appId.
    assert uuid.UUID(principal["id"]) and principal["id"] != BACKUP_MANAGEMENT_SERVICE


def test_filter_by_unknown_app_id_returns_an_empty_value(sandbox):
    response = _service_principals(sandbox, f"$filter=appId eq '{uuid.UUID(int=0)}'")

    assert response.status_code == 200
    assert response.json() == {"@odata.context": GRAPH_CONTEXT, "value": []}


def test_arm_token_is_refused_with_graph_error_envelope(sandbox):
    response = _service_principals(
        sandbox, f"$filter=appId eq '{BACKUP_MANAGEMENT_SERVICE}'", scope=ARM_SCOPE
    )

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"]
    assert {"request-id", "date"} <= error["innerError"].keys()


def test_select_is_echoed_in_the_odata_context(sandbox):
    response = _service_principals(
        sandbox,
        f"$filter=appId eq '{BACKUP_MANAGEMENT_SERVICE}'&$select=id,appId,displayName",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == GRAPH_CONTEXT + "(id,appId,displayName)"
    assert body["value"][0].keys() == {"id", "appId", "displayName"}


def test_service_principal_without_select_has_the_default_properties(sandbox):
    response = _service_principals(sandbox, f"$filter=appId eq '{BACKUP_MANAGEMENT_SERVICE}'")

    [principal] = response.json()["value"]
    assert principal.get("accountEnabled") is True
    assert principal.get("servicePrincipalType") == "Application"
    assert "appOwnerOrganizationId" in principal
    assert uuid.UUID(principal["appOwnerOrganizationId"])
