"""Starting the standalone sandbox binary and pointing the official SDKs at it.

Owns: the sandbox process (one per test, in its own data dir), the announcement line it prints,
the service principal's credential, and a recording transport so every response the SDKs receive
can be checked against the swagger afterwards (see conftest.py).

The SDKs are used unmodified: only endpoint, authority, CA and transport are configured, which is
what a customer pointing them at a sovereign cloud would do too.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import KeyClient
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import BlobServiceClient

from arm_specs import Exchange

ARM_AUDIENCE = "https://management.azure.com/"
ARM_SCOPE = ARM_AUDIENCE + ".default"
STARTUP_TIMEOUT_SECONDS = 15


def sandbox_binary() -> Path:
    """`SAFEHOLD_SANDBOX_BIN`, else the debug build in the cargo target dir."""
    configured = os.environ.get("SAFEHOLD_SANDBOX_BIN")
    if configured:
        binary = Path(configured)
    else:
        repo_root = Path(__file__).resolve().parents[2]
        target = Path(os.environ.get("CARGO_TARGET_DIR", repo_root / "target"))
        if not target.is_absolute():
            target = repo_root / target
        binary = target / "debug" / "safehold-sandbox"
    if not binary.is_file():
        raise FileNotFoundError(
            f"sandbox binary {binary} not found: run `cargo build -p safehold-sandbox` "
            "or set SAFEHOLD_SANDBOX_BIN"
        )
    return binary


class RecordingTransport(RequestsTransport):
    """azure-core's requests transport, noting every exchange that crosses the wire."""

    def __init__(self, exchanges: list[Exchange], **kwargs):
        super().__init__(**kwargs)
        self._exchanges = exchanges

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self._exchanges.append(
            Exchange(
                method=request.method.upper(),
                url=request.url,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=response.body(),
            )
        )
        return response


@dataclass
class Sandbox:
    """A running sandbox and what a client needs to reach it."""

    arm_endpoint: str
    authority_host: str
    tenant_id: str
    client_id: str
    client_secret: str
    ca_cert: str
    # The first-party public client (the Azure CLI's role) that device-code sign-ins use.
    public_client_id: str
    # Blob storage, path-style: `{blob_endpoint}/{account}/{container}/{blob}`.
    blob_endpoint: str
    exchanges: list[Exchange] = field(default_factory=list)
    # Origins (`https://127.0.0.1:PORT`) of the vault data planes the test reached: not ARM, so
    # conftest does not validate their responses against the ARM swagger.
    data_plane_origins: set[str] = field(default_factory=set)

    def transport(self) -> RecordingTransport:
        """A recording transport trusting the sandbox CA. One per client: clients close theirs."""
        return RecordingTransport(self.exchanges, connection_verify=self.ca_cert)

    def credential(self, client_secret: str | None = None) -> ClientSecretCredential:
        """The service principal's credential, through azure-identity (MSAL underneath)."""
        return ClientSecretCredential(
            self.tenant_id,
            self.client_id,
            self.client_secret if client_secret is None else client_secret,
            authority=self.authority_host,
            disable_instance_discovery=True,
            connection_verify=self.ca_cert,
            transport=self.transport(),
        )

    def mgmt_client(self, client_class, *args, **kwargs):
        """An azure-mgmt-* client on the sandbox's ARM endpoint, retries off."""
        return client_class(
            self.credential(),
            *args,
            base_url=self.arm_endpoint,
            credential_scopes=[ARM_SCOPE],
            connection_verify=self.ca_cert,
            transport=self.transport(),
            retry_total=0,
            **kwargs,
        )


    def _data_plane_client(self, client_class, vault_url: str):
        split = urlsplit(vault_url)
        origin = f"{split.scheme}://{split.netloc}".lower()
        # Exempting ARM's own origin from validation would hide every ARM response.
        assert origin != self.arm_endpoint.rstrip("/").lower(), vault_url
        self.data_plane_origins.add(origin)
        return client_class(
            vault_url,
            self.credential(),
            # The SDK's default check wants the vault host under the challenge's resource
            # (`*.vault.azure.net`); a sandbox vault lives on an IP address.
            verify_challenge_resource=False,
            connection_verify=self.ca_cert,
            transport=self.transport(),
            retry_total=0,
        )

    def secret_client(self, vault_url: str) -> SecretClient:
        """azure-keyvault-secrets on one vault's data plane (its `vaultUri`), retries off."""
        return self._data_plane_client(SecretClient, vault_url)

    def blob_service_client(self, account: str) -> BlobServiceClient:
        """azure-storage-blob on one storage account of the blob endpoint, retries off.

        Blob storage is not ARM either: its origin joins the data-plane origins conftest leaves
        out of the swagger validation.
        """
        split = urlsplit(self.blob_endpoint)
        self.data_plane_origins.add(f"{split.scheme}://{split.netloc}".lower())
        return BlobServiceClient(
            f"{self.blob_endpoint}/{account}",
            credential=self.credential(),
            connection_verify=self.ca_cert,
            transport=self.transport(),
            retry_total=0,
        )

    def key_client(self, vault_url: str) -> KeyClient:
        """azure-keyvault-keys on one vault's data plane (its `vaultUri`), retries off."""
        return self._data_plane_client(KeyClient, vault_url)


class SandboxProcess:
    """The binary started in `data_dir`; `sandbox` is set once it has announced itself."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = ()):
        self.data_dir = data_dir
        self.stderr_path = data_dir / "sandbox.stderr"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [str(sandbox_binary()), "--data-dir", str(data_dir), "--port", "0", *extra_args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        try:
            self.sandbox = self._read_announcement()
        except BaseException:
            self.stop()
            raise

    def _stderr_tail(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-2000:]

    def _read_announcement(self) -> Sandbox:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"sandbox did not announce itself in {STARTUP_TIMEOUT_SECONDS}s")
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    raise RuntimeError(
                        f"sandbox exited ({self.process.wait()}) before announcing itself:\n"
                        + self._stderr_tail()
                    )
                line += chunk
        announced = json.loads(line.split(b"\n", 1)[0])
        credentials = json.loads(Path(announced["credentials_file"]).read_text())
        assert credentials["client_id"] == announced["client_id"]
        return Sandbox(
            arm_endpoint=announced["arm_endpoint"],
            authority_host=announced["authority_host"],
            tenant_id=announced["tenant_id"],
            client_id=announced["client_id"],
            client_secret=credentials["client_secret"],
            ca_cert=announced["ca_cert"],
            public_client_id=announced["public_client_id"],
            blob_endpoint=announced["blob_endpoint"],
        )

    def crashed(self) -> str | None:
        """The exit status and stderr if the process died on its own, else None."""
        code = self.process.poll()
        if code is None:
            return None
        return f"sandbox exited with status {code}:\n{self._stderr_tail()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
