"""azure-identity (MSAL underneath) signing in to the sandbox's Entra ID endpoints."""

import base64
import json
import re
import threading
import time

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DeviceCodeCredential
from azure.mgmt.resource.subscriptions import SubscriptionClient

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


def _approve_as_kenji(sandbox, user_code: str) -> None:
    """What a person does on the verification page: pick kenji.sato and submit the code."""
    page_url = f"{sandbox.authority_host.rstrip('/')}/devicelogin"
    page = requests.get(page_url, verify=sandbox.ca_cert, timeout=10)
    page.raise_for_status()
    buttons = re.findall(r"<button\b[^>]*>", page.text)
    [kenji] = [b for b in buttons if 'data-upn="kenji.sato@contoso.com"' in b]
    object_id = re.search(r'\bname="user"[^>]*\bvalue="([^"]+)"', kenji) or re.search(
        r'\bvalue="([^"]+)"[^>]*\bname="user"', kenji
    )
    approved = requests.post(
        page_url,
        data={"user_code": user_code, "user": object_id.group(1)},
        verify=sandbox.ca_cert,
        timeout=10,
    )
    approved.raise_for_status()


@pytest.mark.sandbox_args("--device-poll-interval-secs", "1")
def test_device_code_sign_in_approved_on_the_verification_page_lists_subscriptions(sandbox):
    prompts = []
    approvals = []

    def prompt(verification_uri, user_code, expires_on):
        prompts.append((verification_uri, user_code, expires_on))
        # The credential keeps polling while the "person" approves in the browser.
        approval = threading.Thread(target=_approve_as_kenji, args=(sandbox, user_code))
        approval.start()
        approvals.append(approval)

    credential = DeviceCodeCredential(
        client_id=sandbox.public_client_id,
        tenant_id=sandbox.tenant_id,
        authority=sandbox.authority_host,
        disable_instance_discovery=True,
        connection_verify=sandbox.ca_cert,
        transport=sandbox.transport(),
        prompt_callback=prompt,
        timeout=30,
    )
    started = time.monotonic()
    token = credential.get_token(ARM_SCOPE)
    elapsed = time.monotonic() - started
    for approval in approvals:
        approval.join(timeout=10)
    with SubscriptionClient(
        credential,
        base_url=sandbox.arm_endpoint,
        credential_scopes=[ARM_SCOPE],
        connection_verify=sandbox.ca_cert,
        transport=sandbox.transport(),
        retry_total=0,
    ) as client:
        subscriptions = list(client.subscriptions.list())

    [(verification_uri, user_code, expires_on)] = prompts
    assert verification_uri.rstrip("/") == f"{sandbox.authority_host.rstrip('/')}/devicelogin"
    assert user_code and expires_on.timestamp() > time.time()
    # One poll interval (1 s here) or two, not Entra's default 5 s.
    assert elapsed < 4, elapsed
    claims = _claims(token.token)
    assert claims["aud"] == ARM_AUDIENCE
    assert claims["tid"] == sandbox.tenant_id
    assert claims["upn"] == "kenji.sato@contoso.com"
    assert sorted(s.display_name for s in subscriptions) == [
        "Contoso Development",
        "Contoso Production",
    ]
    [device_code] = [e for e in sandbox.exchanges if e.path.endswith("/oauth2/v2.0/devicecode")]
    advertised = json.loads(device_code.body)
    assert advertised["interval"] == 1
    assert advertised["user_code"] == user_code
    assert advertised["verification_uri"] == verification_uri
