"""azure-identity (MSAL underneath) signing in to the sandbox's Entra ID endpoints."""

import base64
import json
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError

from sandbox import ARM_AUDIENCE, ARM_SCOPE


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_client_secret_credential_gets_an_arm_token(sandbox):
    token = sandbox.credential().get_token(ARM_SCOPE)

    assert token.expires_on > time.time() + 60
    claims = _claims(token.token)
    assert claims["aud"] == ARM_AUDIENCE
    assert claims["tid"] == sandbox.tenant_id
    assert claims["appid"] == sandbox.client_id
    assert any(e.path.endswith("/oauth2/v2.0/token") for e in sandbox.exchanges)


def test_wrong_client_secret_raises_client_authentication_error(sandbox):
    credential = sandbox.credential(client_secret="not-the-secret")

    with pytest.raises(ClientAuthenticationError):
        credential.get_token(ARM_SCOPE)
