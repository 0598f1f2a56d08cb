"""Fixtures and hooks of the conformance suite.

- `sandbox`: a fresh sandbox process per test (startup is ~50 ms), in pytest's temp dir. Options go
  through a marker: `@pytest.mark.sandbox_args("--page-size", "1")`.
- `production_subscription_id`: the id of "Contoso Production", looked up through the SDK.
- After each passing test, every response the test received is validated against the swagger of
  its operation (arm_specs.py). A mismatch, an undocumented status or a request no mapped spec
  covers fails the test; only the endpoints no swagger documents (Entra ID, Microsoft Graph, cloud
  metadata, classic VMs; see `UNSPECIFIED_PATHS`) go unchecked.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from azure.mgmt.resource.subscriptions import SubscriptionClient

import arm_specs
from sandbox import SandboxProcess, sandbox_binary

EXCHANGES = pytest.StashKey[list]()
DATA_PLANE_ORIGINS = pytest.StashKey[set]()
_SPEC_INDEX: arm_specs.SpecIndex | None = None
# (operation, api-version) pairs the SDKs sent during the session, for the summary at the end.
_API_VERSIONS_SEEN: set[tuple[str, str]] = set()


def spec_index() -> arm_specs.SpecIndex:
    """The spec index, loaded once per session (the files are large; parsing them is not free)."""
    global _SPEC_INDEX
    if _SPEC_INDEX is None:
        _SPEC_INDEX = arm_specs.SpecIndex()
    return _SPEC_INDEX


def pytest_sessionstart(session):
    # One clear line instead of the same setup error on every test.
    try:
        arm_specs.specs_dir()
    except FileNotFoundError as error:
        pytest.exit(str(error), returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_report_header(config):
    try:
        binary = sandbox_binary()
    except FileNotFoundError as error:
        binary = error
    try:
        specs = arm_specs.specs_dir()
    except FileNotFoundError as error:
        specs = error
    return [f"sandbox binary: {binary}", f"azure specs: {specs}"]


@pytest.fixture(scope="session")
def specs() -> arm_specs.SpecIndex:
    return spec_index()


@pytest.fixture
def sandbox(request, tmp_path, monkeypatch, specs):
    """A running sandbox; the official SDKs reach it through `sandbox.mgmt_client(...)`."""
    marker = request.node.get_closest_marker("sandbox_args")
    extra_args = tuple(marker.args) if marker else ()
    process = SandboxProcess(tmp_path, extra_args)
    # requests lets REQUESTS_CA_BUNDLE (set machine-wide here) win over a session's `verify`;
    # point it at the sandbox CA so nothing in the process can fall back to the system store.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.sandbox.ca_cert)
    monkeypatch.setenv("CURL_CA_BUNDLE", process.sandbox.ca_cert)
    request.node.stash[EXCHANGES] = process.sandbox.exchanges
    request.node.stash[DATA_PLANE_ORIGINS] = process.sandbox.data_plane_origins
    try:
        yield process.sandbox
        crash = process.crashed()
        if crash:
            pytest.fail(crash, pytrace=False)
    finally:
        process.stop()


@pytest.fixture
def production_subscription_id(sandbox) -> str:
    """The id of "Contoso Production", the subscription holding the demo VMs, disks and vaults."""
    with sandbox.mgmt_client(SubscriptionClient) as client:
        return next(
            s.subscription_id
            for s in client.subscriptions.list()
            if s.display_name == "Contoso Production"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    exchanges = _arm_exchanges(
        item.stash.get(EXCHANGES, []), item.stash.get(DATA_PLANE_ORIGINS, set())
    )
    _note_api_versions(exchanges)
    problems = [line for exchange in exchanges for line in spec_index().problems(exchange)]
    if problems:
        pytest.fail(
            "responses that do not conform to the Azure swagger:\n  " + "\n  ".join(problems),
            pytrace=False,
        )
    return result


def _arm_exchanges(exchanges, data_plane_origins: set[str]) -> list:
    """The exchanges to check against the ARM swagger: all but those with a vault's data plane.

    Key Vault's data plane (`/secrets`, `/keys`, ...) is not ARM and not in the ARM spec pack. Each
    sandbox vault serves it on its own origin, which `Sandbox.secret_client`/`key_client` note;
    only exchanges with exactly those origins (scheme, host and port) are left out.
    """
    def origin(url: str) -> str:
        split = urlsplit(url)
        return f"{split.scheme}://{split.netloc}".lower()

    return [e for e in exchanges if origin(e.url) not in data_plane_origins]


def _note_api_versions(exchanges) -> None:
    for exchange in exchanges:
        version = parse_qs(urlsplit(exchange.url).query).get("api-version", ["(none)"])[0]
        operation = spec_index().operation_for(exchange.method, exchange.path)
        name = operation.name if operation else f"{exchange.method} {exchange.path}"
        if not spec_index().is_unspecified(exchange):
            _API_VERSIONS_SEEN.add((name, version))


def pytest_terminal_summary(terminalreporter):
    """Which api-version each operation was called with: what the sandbox has to accept."""
    if not _API_VERSIONS_SEEN:
        return
    terminalreporter.section("api-versions sent to the sandbox")
    for name, version in sorted(_API_VERSIONS_SEEN):
        terminalreporter.write_line(f"{version}  {name}")


@pytest.fixture
def ade_vault_uri(sandbox, production_subscription_id) -> str:
    """The data-plane URI of kv-prod-jpe-ade (each sandbox vault has its own origin)."""
    from azure.mgmt.keyvault import KeyVaultManagementClient

    client = sandbox.mgmt_client(KeyVaultManagementClient, production_subscription_id)
    return client.vaults.get("rg-security-prod", "kv-prod-jpe-ade").properties.vault_uri
