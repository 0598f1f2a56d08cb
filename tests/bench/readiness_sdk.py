#!/usr/bin/env python3
"""The readiness picture of a sandbox tenant, computed with the official Azure SDKs for Python.

This is the yardstick for Safehold's Rust inventory (`crates/core/src/scan.rs`): the same list
calls, read the same way, judged by the same rules, but written the way a careful Python engineer
would write it with azure-identity and the azure-mgmt-* packages:

- one `ClientSecretCredential` for the sandbox's service principal, shared by every client;
- one `requests.Session` whose connection pool holds as many connections per host as there are
  worker threads (urllib3 keeps 10 by default, which would queue the other threads);
- a `ThreadPoolExecutor` over subscriptions, and a second one for the list calls, so that each
  subscription's independent lists (VM models, VM instance views, classic VMs, managed disks, key
  vaults, Recovery Services vaults, then protected items and failed jobs per vault) are in flight
  together; the Backup Management Service's object id is looked up in Microsoft Graph alongside
  all of that.

Usage: `python readiness_sdk.py ANNOUNCEMENT_JSON_FILE [--threads N]`, where the file holds the
JSON line `safehold-sandbox` prints once it listens. One JSON object goes to stdout:

    {"elapsedMs": float, "requests": int, "vms": int, "encrypted": int,
     "picture": {"<vm name>": ["<failing check>", ...], ...}}

`elapsedMs` runs from creating the credential to having the picture. `requests` counts every HTTP
request the transport sent: ARM, Graph and the token endpoint (including the OpenID discovery
MSAL performs before its first token request), retries included. The picture has one entry per VM
encrypted with Azure Disk Encryption: the checks whose outcome is Fail, as Rust names them
(`Check` serialized in camelCase), de-duplicated and sorted alphabetically.

Only the standard library and the packages pinned in tests/conformance/requirements.txt are used.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import requests
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# The sandbox accepts tokens for the public cloud's audiences (as Safehold's sandbox cloud asks
# for them), and serves Microsoft Graph on the ARM origin: the announcement has no Graph endpoint.
ARM_SCOPE = "https://management.azure.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# The Backup Management Service's application id in the public cloud (and in the sandbox).
BACKUP_APP_ID = "262044b1-e2ce-469f-a196-69ab7ada62d3"
# Key Vault Administrator. Safehold also accepts roles whose data actions cover what Backup needs;
# this yardstick checks Key Vault Administrator only, which is enough for the generated tenants
# (they have no RBAC key vaults).
KEY_VAULT_ADMINISTRATOR_ROLE = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
# The protected items Safehold lists per Recovery Services vault.
PROTECTED_VM_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def failed_jobs_filter() -> str:
    """Failed VM jobs of the last 30 days, in the jobs list's twelve-hour time format."""
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%d %I:%M:%S %p")
    return (f"backupManagementType eq 'AzureIaasVM' and status eq 'Failed' and "
            f"startTime eq '{stamp(now - datetime.timedelta(days=30))}' and endTime eq '{stamp(now)}'")


DEFAULT_THREADS = 32


# --- HTTP: one pooled session, one counter ------------------------------------------------------


class RequestCounter:
    """How many requests went out, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


class CountingTransport(RequestsTransport):
    """azure-core's requests transport on a shared session, counting each request it sends.

    Sitting below the retry policy, it sees every attempt, the retried ones included.
    """

    def __init__(self, counter: RequestCounter, **kwargs) -> None:
        super().__init__(**kwargs)
        self._counter = counter

    def send(self, request, **kwargs):
        self._counter.add()
        return super().send(request, **kwargs)


def pooled_session(threads: int) -> requests.Session:
    """A session whose per-host pool lets every worker thread keep a connection of its own.

    azure-core mounts its own adapter only on sessions it creates; this one is ours, so it gets
    what azure-core would set (no urllib3 retries: the pipeline's retry policy owns that) plus a
    pool as large as the thread count. The sandbox is on loopback: no proxy or netrc lookup.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(
        pool_connections=4,
        pool_maxsize=threads + 2,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# --- What the list calls say about a VM (mirrors crates/azure/src/inventory.rs) -----------------


def text(value) -> Optional[str]:
    """A non-empty string, else None (Rust's `text` helper)."""
    return value if isinstance(value, str) and value else None


def resource_id_segment(resource_id: str, key: str) -> Optional[str]:
    """The segment after `key` in an ARM id, matched case-insensitively."""
    parts = [p for p in resource_id.split("/") if p]
    for i, part in enumerate(parts):
        if part.lower() == key.lower():
            return parts[i + 1] if i + 1 < len(parts) else None
    return None


def vault_name_from_url(url: str) -> Optional[str]:
    """`https://{vault}.vault.azure.net/...` -> `vault`, lower-cased."""
    if not url.startswith("https://"):
        return None
    rest = url[len("https://"):]
    host = rest.split("/", 1)[0].split(":", 1)[0]
    name = host.split(".", 1)[0]
    return name.lower() if name else None


@dataclass(frozen=True)
class VaultObject:
    """A BEK secret or KEK key reference, named by its key vault."""

    url: str
    vault_name: str

    @staticmethod
    def of(url: str, vault_id: Optional[str]) -> "VaultObject":
        # The id's segment keeps its casing; only the URL-derived name is lower-cased.
        name = (resource_id_segment(vault_id, "vaults") if vault_id else None) or vault_name_from_url(url)
        return VaultObject(url=url, vault_name=name or "")


@dataclass
class DiskKeys:
    secret: Optional[VaultObject] = None
    key: Optional[VaultObject] = None

    def any(self) -> bool:
        return self.secret is not None or self.key is not None


def keys_of(settings) -> DiskKeys:
    """BEK and KEK of an `encryptionSettings` object (VM model, instance view or managed disk)."""

    def reference(ref, url_attr: str) -> Optional[VaultObject]:
        if ref is None:
            return None
        url = text(getattr(ref, url_attr, None))
        if url is None:
            return None
        source = getattr(ref, "source_vault", None)
        return VaultObject.of(url, text(getattr(source, "id", None)) if source is not None else None)

    return DiskKeys(
        secret=reference(getattr(settings, "disk_encryption_key", None), "secret_url"),
        key=reference(getattr(settings, "key_encryption_key", None), "key_url"),
    )


def short_kind(kind: str) -> str:
    return kind.rsplit(".", 1)[-1]


@dataclass
class Extension:
    kind: str
    version: str
    status: Optional[str] = None
    message: Optional[str] = None

    def is_ade(self) -> bool:
        return short_kind(self.kind).lower() in ("azurediskencryption", "azurediskencryptionforlinux")

    def is_linux_flavour(self) -> bool:
        return short_kind(self.kind).lower() == "azurediskencryptionforlinux"

    def major(self) -> Optional[int]:
        # Rust parses the first dot-separated part, trimmed, as a u32 (a leading `+` is allowed).
        head = self.version.split(".", 1)[0].strip()
        digits = head[1:] if head.startswith("+") else head
        if not digits or not digits.isascii() or not digits.isdigit():
            return None
        number = int(digits)
        return number if number <= 0xFFFF_FFFF else None

    def failed(self) -> bool:
        return self.status is not None and "failed" in self.status.lower()


MANAGED, UNMANAGED = "managed", "unmanaged"
READY, NOT_READY, UNKNOWN_AGENT = "ready", "notReady", "unknown"


@dataclass
class Vm:
    """One VM as the lists describe it: Rust's `VmRecord` with its `VmFacts`."""

    id: str
    name: str
    location: str
    disks: Optional[str]
    model_keys: Optional[DiskKeys]
    managed_disk_ids: list[str]
    extensions: list[Extension]
    disk_keys: list[DiskKeys] = field(default_factory=list)
    disk_states: list[str] = field(default_factory=list)
    agent: str = UNKNOWN_AGENT
    classic: bool = False


def vm_from_model(model) -> Vm:
    vm_id = text(model.id) or ""
    properties = model.properties
    storage = properties.storage_profile if properties is not None else None
    os_disk = storage.os_disk if storage is not None else None
    managed = os_disk.managed_disk if os_disk is not None else None
    if managed is not None and managed.id is not None:
        disks = MANAGED
    elif os_disk is not None and os_disk.vhd is not None and os_disk.vhd.uri is not None:
        disks = UNMANAGED
    else:
        disks = None
    model_keys = None
    settings = os_disk.encryption_settings if os_disk is not None else None
    if settings is not None and (settings.enabled if isinstance(settings.enabled, bool) else True):
        model_keys = keys_of(settings)
    managed_disk_ids = []
    if managed is not None and text(managed.id):
        managed_disk_ids.append(managed.id)
    for data_disk in (storage.data_disks if storage is not None else None) or []:
        if data_disk.managed_disk is not None and text(data_disk.managed_disk.id):
            managed_disk_ids.append(data_disk.managed_disk.id)
    extensions = []
    for resource in model.resources or []:
        props = resource.properties
        kind = text(props.type if props is not None else None)
        if kind is None:
            resource_id = text(resource.id)
            if resource_id is None:
                continue
            kind = resource_id.rsplit("/", 1)[-1]
        version = text(props.type_handler_version if props is not None else None) or ""
        extensions.append(Extension(kind=kind, version=version))
    return Vm(
        id=vm_id,
        name=text(model.name) or vm_id.rsplit("/", 1)[-1],
        location=text(model.location) or "",
        disks=disks,
        model_keys=model_keys,
        managed_disk_ids=managed_disk_ids,
        extensions=extensions,
    )


def add_instance_view(vm: Vm, view) -> None:
    agent_statuses = (view.vm_agent.statuses if view.vm_agent is not None else None) or []
    display = text(agent_statuses[0].display_status) if agent_statuses else None
    vm.agent = READY if display is not None and display.lower() == "ready" else NOT_READY
    for disk in view.disks or []:
        for settings in disk.encryption_settings or []:
            if settings.enabled is not False:
                vm.disk_keys.append(keys_of(settings))
        for status in disk.statuses or []:
            code = text(status.code)
            if code is not None and code.startswith("EncryptionState/"):
                vm.disk_states.append(code)
                break
    for reported in view.extensions or []:
        kind = text(reported.type) or ""
        statuses = reported.statuses or []
        first = statuses[0] if statuses else None
        status = text(first.code) if first is not None else None
        message = text(first.message) if first is not None else None
        version = text(reported.type_handler_version) or ""
        short = short_kind(kind).lower()
        known = next((e for e in vm.extensions if short_kind(e.kind).lower() == short), None)
        if known is None:
            vm.extensions.append(Extension(kind, version, status, message))
        else:
            if not known.version:
                known.version = version
            known.status, known.message = status, message


def id_key(resource_id: str) -> str:
    return resource_id.rstrip("/").lower()


def vms_from_lists(models: Iterable, views: Iterable, disks: Iterable) -> list[Vm]:
    """The VM models joined with their instance views (statusOnly list) and managed disks."""
    by_id = {}
    for view in views:
        view_id = view.id
        if isinstance(view_id, str):
            by_id[id_key(view_id)] = view
    vms = []
    for model in models:
        vm = vm_from_model(model)
        view = by_id.get(id_key(vm.id))
        instance_view = view.properties.instance_view if view is not None and view.properties is not None else None
        if instance_view is not None:
            add_instance_view(vm, instance_view)
        vms.append(vm)
    disk_keys = {}
    for disk in disks:
        disk_id = text(disk.id)
        if disk_id is None:
            continue
        collection = disk.properties.encryption_settings_collection if disk.properties is not None else None
        keys = None
        if collection is not None and collection.enabled is True and collection.encryption_settings:
            keys = keys_of(collection.encryption_settings[0])
        disk_keys[disk_id.lower()] = keys
    for vm in vms:
        for disk_id in vm.managed_disk_ids:
            keys = disk_keys.get(disk_id.lower())
            if keys is not None:
                vm.disk_keys.append(keys)
    return vms


# --- The rules (mirror crates/core/src/ade.rs and readiness.rs) ---------------------------------

SINGLE_PASS, DUAL_PASS = "singlePass", "dualPass"
BEK_ONLY, BEK_KEK = "bekOnly", "bekKek"


@dataclass
class Ade:
    pass_: str
    keys: str
    secret: Optional[VaultObject]
    key: Optional[VaultObject]


def classify(vm: Vm) -> Optional[Ade]:
    """How the VM is encrypted with ADE, or None when it is not."""
    extension = next((e for e in vm.extensions if e.is_ade()), None)
    legacy_extension = False
    if extension is not None:
        major = extension.major()
        if major is not None:
            legacy_extension = major == (0 if extension.is_linux_flavour() else 1)
    model_keys = vm.model_keys if vm.model_keys is not None and vm.model_keys.any() else None
    references = ([model_keys] if model_keys is not None else []) + [k for k in vm.disk_keys if k.any()]
    encrypted_state = any(s.lower() == "encryptionstate/encrypted" for s in vm.disk_states)
    if extension is None and not references and not encrypted_state:
        return None
    secret = next((k.secret for k in references if k.secret is not None), None)
    key = next((k.key for k in references if k.key is not None), None)
    return Ade(
        pass_=DUAL_PASS if model_keys is not None or legacy_extension else SINGLE_PASS,
        keys=BEK_KEK if key is not None else BEK_ONLY,
        secret=secret,
        key=key,
    )


THREE = frozenset({"get", "list", "backup"})


def missing_permissions(present: tuple[set, set], required: tuple[set, set]) -> tuple[set, set]:
    """What `required` (keys, secrets) lists that `present` lacks; `all` covers a whole kind."""

    def lacking(have: set, need: set) -> set:
        return set() if "all" in have else need - have

    return lacking(present[0], required[0]), lacking(present[1], required[1])


def ade_unhealthy(vm: Vm) -> bool:
    if any(e.is_ade() and e.failed() for e in vm.extensions):
        return True
    return bool(vm.disk_states) and vm.disk_states[0].lower() == "encryptionstate/notencrypted"


def same_region(a: str, b: str) -> bool:
    return "".join(a.split()).lower() == "".join(b.split()).lower()


# Backup's access to one key vault, as the inventory found it.
GRANTED, MISSING, ROLE_MISSING, NOT_FOUND, ACCESS_UNKNOWN = (
    "granted", "missing", "roleMissing", "notFound", "unknown")
PASS, UNKNOWN, WARN, FAIL = "pass", "unknown", "warn", "fail"


def assess(ade: Ade, vm: Vm, vault_regions: list[str], access: list[str]) -> list[tuple[str, str]]:
    """(check, outcome) pairs of Rust's `assess`, with no service answer for BEK-only managed."""
    reasons = []
    if vm.classic:
        reasons.append(("supportMatrix", FAIL))
    elif ade.keys == BEK_ONLY and vm.disks == MANAGED:
        reasons.append(("supportMatrix", WARN))  # FAIL only when the service said no; never asked here
    elif ade.pass_ == DUAL_PASS:
        reasons.append(("supportMatrix", WARN))
    else:
        reasons.append(("supportMatrix", PASS))
    reasons.append(("adeHealthy", FAIL if ade_unhealthy(vm) else PASS))
    reasons.append(("agentReady", {READY: PASS, NOT_READY: FAIL}.get(vm.agent, UNKNOWN)))
    in_region = any(same_region(r, vm.location) for r in vault_regions)
    reasons.append(("vaultInRegion", PASS if in_region else FAIL))
    if not access:
        reasons.append(("keyVaultAccess", UNKNOWN))
    for state in access:
        if state in (MISSING, ROLE_MISSING, NOT_FOUND):
            reasons.append(("keyVaultAccess", FAIL))
        elif state == ACCESS_UNKNOWN:
            reasons.append(("keyVaultAccess", UNKNOWN))
    if access and all(state == GRANTED for state in access):
        reasons.append(("keyVaultAccess", PASS))
    return reasons


# --- The scan ------------------------------------------------------------------------------------


@dataclass
class Listed:
    """What one subscription's lists returned."""

    subscription_id: str
    tenant_id: str
    vms: list[Vm]
    key_vaults: list
    vault_regions: list[str]
    protected: list[str]
    classic: list[str]


class Scanner:
    """One scan of the tenant the announcement describes, with `threads` workers."""

    def __init__(self, announcement: dict, threads: int) -> None:
        self.arm = announcement["arm_endpoint"].rstrip("/")
        self.authority = announcement["authority_host"]
        self.tenant_id = announcement["tenant_id"]
        self.ca_cert = announcement["ca_cert"]
        secrets = json.loads(Path(announcement["credentials_file"]).read_text())
        self.client_id = secrets["client_id"]
        self.client_secret = secrets["client_secret"]
        self.threads = threads
        self.counter = RequestCounter()
        self.session = pooled_session(threads)
        self.credential: Optional[ClientSecretCredential] = None

    def transport(self) -> CountingTransport:
        """A transport on the shared session; clients closing it leave the session open."""
        return CountingTransport(
            self.counter, session=self.session, session_owner=False, connection_verify=self.ca_cert
        )

    def mgmt(self, client_class, *args):
        return client_class(
            self.credential,
            *args,
            base_url=self.arm,
            credential_scopes=[ARM_SCOPE],
            transport=self.transport(),
        )

    def backup_principal(self) -> Optional[str]:
        """The Backup Management Service's object id, from Graph; None when it cannot be had."""
        policies = [RetryPolicy(), BearerTokenCredentialPolicy(self.credential, GRAPH_SCOPE)]
        request = HttpRequest(
            "GET",
            f"{self.arm}/v1.0/servicePrincipals",
            params={"$filter": f"appId eq '{BACKUP_APP_ID}'", "$select": "id,appId,displayName"},
        )
        try:
            with PipelineClient(self.arm, policies=policies, transport=self.transport()) as graph:
                response = graph.send_request(request)
                response.raise_for_status()
                principals = response.json().get("value") or []
        except (HttpResponseError, ValueError) as error:
            print(f"could not look up the Backup Management Service: {error}", file=sys.stderr)
            return None
        return principals[0].get("id") if principals else None

    def classic_vm_names(self, subscription_id: str) -> list[str]:
        """The subscription's classic VMs: no pinned SDK covers ClassicCompute, so a plain
        ARM request through azure-core, following nextLink."""
        policies = [RetryPolicy(), BearerTokenCredentialPolicy(self.credential, ARM_SCOPE)]
        url = (f"{self.arm}/subscriptions/{subscription_id}/providers/"
               "Microsoft.ClassicCompute/virtualMachines?api-version=2016-04-01")
        names: list[str] = []
        with PipelineClient(self.arm, policies=policies, transport=self.transport()) as client:
            while url:
                response = client.send_request(HttpRequest("GET", url))
                if response.status_code == 404:
                    return names
                response.raise_for_status()
                page = response.json()
                names.extend(vm.get("name", "") for vm in page.get("value") or [])
                url = page.get("nextLink")
        return names

    def list_subscription(self, calls: ThreadPoolExecutor, subscription) -> Listed:
        sub_id = subscription.subscription_id
        compute = self.mgmt(ComputeManagementClient, sub_id)
        keyvault = self.mgmt(KeyVaultManagementClient, sub_id)
        recovery = self.mgmt(RecoveryServicesClient, sub_id)
        models = calls.submit(lambda: list(compute.virtual_machines.list_all()))
        views = calls.submit(lambda: list(compute.virtual_machines.list_all(status_only="true")))
        disks = calls.submit(lambda: list(compute.disks.list()))
        key_vaults = calls.submit(lambda: list(keyvault.vaults.list_by_subscription()))
        classic = calls.submit(self.classic_vm_names, sub_id)
        recovery_vaults = calls.submit(lambda: list(recovery.vaults.list_by_subscription_id()))
        # Protected items start as soon as the vaults are known, while the other lists run on.
        vaults = recovery_vaults.result()
        backup = self.mgmt(RecoveryServicesBackupClient, sub_id)

        def protected_in(vault) -> list[str]:
            group = resource_id_segment(vault.id, "resourceGroups") or ""
            items = backup.backup_protected_items.list(vault.name, group, filter=PROTECTED_VM_FILTER)
            found = []
            for item in items:
                props = item.properties
                source = text(getattr(props, "source_resource_id", None)) or text(
                    getattr(props, "virtual_machine_id", None))
                if source is not None:
                    found.append(source)
            return found

        def failed_jobs_in(vault) -> list:
            # The same window Safehold reads: jobs that failed in the last 30 days.
            group = resource_id_segment(vault.id, "resourceGroups") or ""
            return list(backup.backup_jobs.list(vault.name, group, filter=failed_jobs_filter()))

        protected = [calls.submit(protected_in, v) for v in vaults]
        failed = [calls.submit(failed_jobs_in, v) for v in vaults]
        vms = vms_from_lists(models.result(), views.result(), disks.result())
        for jobs in failed:
            jobs.result()
        return Listed(
            subscription_id=sub_id,
            tenant_id=subscription.tenant_id or "",
            vms=vms,
            key_vaults=key_vaults.result(),
            vault_regions=[v.location or "" for v in vaults],
            protected=[p for f in protected for p in f.result()],
            classic=classic.result(),
        )

    def run(self) -> dict:
        started = time.perf_counter()
        self.credential = ClientSecretCredential(
            self.tenant_id,
            self.client_id,
            self.client_secret,
            authority=self.authority,
            disable_instance_discovery=True,
            connection_verify=self.ca_cert,
            transport=self.transport(),
        )
        with ThreadPoolExecutor(self.threads, thread_name_prefix="call") as calls:
            principal: Future = calls.submit(self.backup_principal)
            subscriptions = list(self.mgmt(SubscriptionClient).subscriptions.list())
            workers = max(1, min(self.threads, len(subscriptions)))
            with ThreadPoolExecutor(workers, thread_name_prefix="subscription") as per_subscription:
                pending = [per_subscription.submit(self.list_subscription, calls, s) for s in subscriptions]
                listed = [f.result() for f in pending]
            # One tenant in the sandbox: the principal found there serves every subscription.
            backup_object_id = principal.result()
            picture, vm_count, encrypted = self.judge(listed, backup_object_id, calls)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        self.session.close()
        return {
            "elapsedMs": round(elapsed_ms, 3),
            "requests": self.counter.value,
            "vms": vm_count,
            "encrypted": encrypted,
            "picture": picture,
        }

    def judge(self, listed: list[Listed], backup_object_id: Optional[str], calls: ThreadPoolExecutor):
        """Rust's `build` after the lists: Backup's access per key vault, then each VM's checks."""
        listed.sort(key=lambda l: l.subscription_id)
        vaults_by_name = {}
        for part in listed:
            for vault in part.key_vaults:
                if text(vault.id) is None:
                    continue
                name = text(vault.name) or vault.id.rsplit("/", 1)[-1]
                vaults_by_name[name.lower()] = (vault, part.subscription_id)

        # What Backup needs on each key vault: secrets for every BEK, keys for every KEK.
        needs: dict[str, tuple[set, set]] = {}
        classified = []
        for part in listed:
            for vm in part.vms:
                ade = classify(vm)
                if ade is not None:
                    if ade.secret is not None:
                        needs.setdefault(ade.secret.vault_name.lower(), (set(), set()))[1].update(THREE)
                    if ade.key is not None:
                        needs.setdefault(ade.key.vault_name.lower(), (set(), set()))[0].update(THREE)
                classified.append((part, vm, ade))

        access: dict[str, str] = {}
        rbac: dict[str, Future] = {}
        for name, required in needs.items():
            found = vaults_by_name.get(name)
            if found is None:
                continue
            vault, sub_id = found
            properties = vault.properties
            if backup_object_id is None:
                access[name] = ACCESS_UNKNOWN
            elif properties is not None and properties.enable_rbac_authorization is True:
                rbac[name] = calls.submit(self.rbac_access, sub_id, vault.id, backup_object_id)
            else:
                access[name] = policy_access(vault, backup_object_id, required)
        for name, state in rbac.items():
            access[name] = state.result()

        picture = {}
        for part, vm, ade in classified:
            if ade is None:
                continue
            vault_names = sorted({o.vault_name for o in (ade.secret, ade.key) if o is not None})
            # Key vault names are DNS names: compared without case, as Safehold does.
            states = [access.get(name.lower(), NOT_FOUND) for name in vault_names]
            reasons = assess(ade, vm, part.vault_regions, states)
            picture[vm.name] = sorted({check for check, outcome in reasons if outcome == FAIL})
        # Classic VMs: the support matrix alone refuses them (their encryption is not listed).
        for part in listed:
            for name in part.classic:
                picture[name] = ["supportMatrix"]
        classic_count = sum(len(part.classic) for part in listed)
        vm_count = sum(len(part.vms) for part in listed) + classic_count
        encrypted = sum(1 for _, _, a in classified if a is not None) + classic_count
        return dict(sorted(picture.items())), vm_count, encrypted

    def rbac_access(self, subscription_id: str, vault_id: str, object_id: str) -> str:
        """Key Vault Administrator for Backup at or above the vault, from its role assignments."""
        client = self.mgmt(AuthorizationManagementClient, subscription_id)
        try:
            assignments = list(client.role_assignments.list_for_scope(
                vault_id.rstrip("/"), filter=f"principalId eq '{object_id}'"))
        except HttpResponseError:
            return ACCESS_UNKNOWN
        for assignment in assignments:
            role = text(assignment.role_definition_id)
            if role is not None and text(assignment.principal_id) is not None \
                    and role.rsplit("/", 1)[-1].lower() == KEY_VAULT_ADMINISTRATOR_ROLE:
                return GRANTED
        return ROLE_MISSING


def policy_access(vault, object_id: str, required: tuple[set, set]) -> str:
    """Backup's own access-policy entries (no application id) against what its VMs need."""
    keys, secrets = set(), set()
    for entry in (vault.properties.access_policies if vault.properties is not None else None) or []:
        if (text(entry.object_id) or "").lower() != object_id.lower() or text(entry.application_id):
            continue
        permissions = entry.permissions
        if permissions is None:
            continue
        # Plain strings or str-valued enums: `lower()` reads the value either way.
        keys.update(p.lower() for p in permissions.keys_property or [] if isinstance(p, str))
        secrets.update(p.lower() for p in permissions.secrets or [] if isinstance(p, str))
    missing = missing_permissions((keys, secrets), required)
    return GRANTED if not missing[0] and not missing[1] else MISSING


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("announcement", type=Path, help="file holding the sandbox's announcement line")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="worker threads (default 32)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    line = args.announcement.read_text().splitlines()[0]
    announcement = json.loads(line)
    # Nothing in this process talks to anything but the sandbox: trust its CA alone, as the
    # conformance suite does, in case a library reads the environment instead of our settings.
    os.environ["REQUESTS_CA_BUNDLE"] = announcement["ca_cert"]
    os.environ["CURL_CA_BUNDLE"] = announcement["ca_cert"]
    result = Scanner(announcement, args.threads).run()
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
