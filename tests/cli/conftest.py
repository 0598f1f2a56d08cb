"""The Azure CLI against the standalone sandbox: fixtures.

Each pytest process (each xdist worker) starts its own sandbox from `SAFEHOLD_SANDBOX_BIN` in a
temporary data directory and gives the CLI its own `AZURE_CONFIG_DIR`, so nothing touches the
user's `~/.azure` and workers never share state. The session registers the sandbox as a cloud
from its metadata document, turns off MSAL's instance discovery and signs in as the operator
principal; every test then runs `az` as a subprocess and checks what it printed against the
demo tenant.

Every `az` run is timed. With `SAFEHOLD_CLI_TIMINGS_DIR` set, each process writes its timings
there (`<worker>.json`); `report.py` turns them into `docs/benchmarks/azure-cli.md`.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STARTUP_TIMEOUT_SECONDS = 30
COMMAND_TIMEOUT_SECONDS = 180
CLOUD = "SafeholdSandbox"


@dataclass
class Sandbox:
    """A running sandbox, as its JSON line describes it."""

    arm_endpoint: str
    authority_host: str
    graph_endpoint: str
    blob_endpoint: str
    tenant_id: str
    client_id: str
    client_secret: str
    object_id: str
    ca_cert: str
    data_dir: Path


@dataclass
class Run:
    """One `az` run: its arguments, exit status, output and wall time."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None


@dataclass
class Az:
    """Runs the Azure CLI of this virtualenv with a private config directory."""

    config_dir: Path
    ca_cert: str
    timings: list[dict] = field(default_factory=list)

    def env(self, config_dir: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AZURE_CONFIG_DIR=str(config_dir or self.config_dir),
            # Overrides the machine's own bundle: the CLI trusts the sandbox CA and nothing else.
            REQUESTS_CA_BUNDLE=self.ca_cert,
            # `deployment group create --template-uri` fetches the template with urllib, whose
            # default SSL context reads this one.
            SSL_CERT_FILE=self.ca_cert,
            AZURE_CORE_COLLECT_TELEMETRY="0",
            AZURE_CORE_NO_COLOR="1",
            AZURE_CORE_ONLY_SHOW_ERRORS="1",
            AZURE_CORE_SURVEY_MESSAGE="0",
            AZURE_CORE_LOGIN_EXPERIENCE_V2="0",
        )
        return env

    def run(self, *args: str, label: str | None = None, check: bool = True,
            output: str = "json", config_dir: Path | None = None) -> Run:
        argv = [str(Path(sys.executable).parent / "az"), *args]
        if output:
            argv += ["-o", output]
        started = time.monotonic()
        done = subprocess.run(
            argv, capture_output=True, text=True, env=self.env(config_dir),
            timeout=COMMAND_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        run = Run(list(args), done.returncode, done.stdout, done.stderr, seconds)
        self.timings.append({"command": label or _label(args), "seconds": seconds,
                             "ok": done.returncode == 0})
        if check and done.returncode != 0:
            raise AssertionError(
                f"az {' '.join(args)} exited {done.returncode}\n{done.stderr[-4000:]}"
            )
        return run

    def json(self, *args: str, label: str | None = None):
        return self.run(*args, label=label).json()


def _label(args) -> str:
    """The command as the benchmark names it: the same for every run, ids and ports left out."""
    text = "az " + " ".join(args)
    for pattern, placeholder in [
        (r"https://127\.0\.0\.1:\d+/\S*", "<vault url>"),
        (r"IaasVMContainer;\S+", "<container>"),
        (r"VM;\S+", "<item>"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>"),
        (r"\b\d{10,}\b", "<recovery point>"),
    ]:
        text = re.sub(pattern, placeholder, text)
    return text


def _sandbox_binary() -> Path:
    path = os.environ.get("SAFEHOLD_SANDBOX_BIN")
    if not path:
        pytest.exit("SAFEHOLD_SANDBOX_BIN is not set: run this suite through `cargo xtask cli-conformance`")
    return Path(path)


def _start_sandbox(data_dir: Path) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [str(_sandbox_binary()), "--data-dir", str(data_dir), "--port", "0",
         "--job-duration-secs", "1", "--lro-retry-after-secs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            process.kill()
            raise TimeoutError("the sandbox did not print its JSON line in time")
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"the sandbox exited ({process.wait()}) before starting")
            line += chunk
    return process, json.loads(line.split(b"\n", 1)[0])


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="safehold-cli-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox(workdir):
    process, announced = _start_sandbox(workdir / "sandbox")
    credentials = json.loads(Path(announced["credentials_file"]).read_text())
    yield Sandbox(
        arm_endpoint=announced["arm_endpoint"],
        authority_host=announced["authority_host"],
        graph_endpoint=announced["graph_endpoint"],
        blob_endpoint=announced["blob_endpoint"],
        tenant_id=announced["tenant_id"],
        client_id=announced["client_id"],
        client_secret=credentials["client_secret"],
        object_id=credentials["object_id"],
        ca_cert=announced["ca_cert"],
        data_dir=workdir / "sandbox",
    )
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def sign_in(az: Az, sandbox: Sandbox, arm_url: str, config_dir: Path | None = None) -> list:
    """Registers the sandbox as a cloud from `arm_url`, selects it and signs in."""
    az.run("cloud", "register", "-n", CLOUD, "--endpoint-resource-manager", arm_url,
           label="az cloud register --endpoint-resource-manager ARM" + ("/" if arm_url.endswith("/") else ""),
           output="", config_dir=config_dir)
    az.run("cloud", "set", "-n", CLOUD, output="", label="az cloud set", config_dir=config_dir)
    az.run("config", "set", "core.instance_discovery=false", output="",
           label="az config set core.instance_discovery=false", config_dir=config_dir)
    return az.run(
        "login", "--service-principal", "-u", sandbox.client_id, "-p", sandbox.client_secret,
        "--tenant", sandbox.tenant_id, label="az login --service-principal",
        config_dir=config_dir,
    ).json()


@pytest.fixture(scope="session")
def az(sandbox, workdir, worker_name):
    cli = Az(config_dir=workdir / "azure-config", ca_cert=sandbox.ca_cert)
    cli.login = sign_in(cli, sandbox, sandbox.arm_endpoint)
    yield cli
    target = os.environ.get("SAFEHOLD_CLI_TIMINGS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / f"{worker_name}.json").write_text(json.dumps(cli.timings, indent=1))


@pytest.fixture(scope="session")
def subscription(az) -> str:
    """The id of Contoso Production, the demo tenant's main subscription."""
    return next(s["id"] for s in az.login if s["name"] == "Contoso Production")


@pytest.fixture(scope="session")
def worker_name(request) -> str:
    """The xdist worker's id, `main` without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"
