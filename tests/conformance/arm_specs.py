"""The official swagger specs, indexed by operation, and validation of response bodies against them.

Owns: finding the spec folder, matching a request (method + URL path) to the operation that
documents it, and validating a response body against that operation's response schema with Draft 4
semantics, `$ref`s resolved across files (`referencing`).

Deliberately not done:
- The api-version a request carried does not pick the spec. The SDKs send newer versions than the
  files in `shared/azure-api` (INDEX.md section 8 lists the deltas); each API is checked against the
  one version we keep, and the fields we rely on did not change shape.
- By-id templates made of parameters only (`/{resourceId}`, `/{roleAssignmentId}`) are not matched:
  their parameter is a whole resource id, so they would claim every path, including the ones no
  mapped spec documents. Their scoped twins (`/{scope}/providers/...`) document the same responses.
- Extra properties are allowed (JSON Schema's default), since newer api-versions add fields.
- `format` (date-time, uuid, int32...) is not asserted, as in plain Draft 4 validation.
- Enums are checked as written, `x-ms-enum.modelAsString` or not: a value the spec does not list
  is reported, so a typo in the sandbox cannot hide behind "extensible enum".

Swagger 2.0 departs from Draft 4 in places we honour:
- `x-nullable: true` lets a value be null. Without it a null is a mismatch, which is stricter than
  what the SDKs tolerate, on purpose.
- `discriminator` polymorphism: a value checked against a base type that names a discriminator
  property (bms.json: `ProtectedItem.protectedItemType`, `Job.jobType`, `RecoveryPoint.objectType`,
  ...) is checked against the concrete subtype that property selects, i.e. the definition of the
  same file whose `allOf` chain reaches the base and whose `x-ms-discriminator-value` (else its
  name) equals the value; the subtype's `allOf` brings the base's own checks along. A value no
  subtype declares is reported. Subtypes are looked up in the base's own file.
- A template's leading path parameter (ARM's extension-resource `/{scope}/providers/...`) stands for
  a whole resource id and spans one or more segments; every other parameter is one segment.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, urlsplit

import jsonschema
import referencing
import referencing.jsonschema

# One line per API the sandbox serves, relative to the specs folder. Adding Backup or the Key Vault
# data plane is one more line here; a request no listed spec covers fails the test that sent it.
ARM_SPECS = (
    "resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json",
    "recoveryservices/resource-manager/Microsoft.RecoveryServices/stable/2024-04-01/vaults.json",
    "resources/resource-manager/Microsoft.Resources/stable/2024-03-01/resources.json",
    "compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-07-01/virtualMachine.json",
    "compute/resource-manager/Microsoft.Compute/DiskRP/stable/2024-03-02/disk.json",
    "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/keyvault.json",
    "recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/stable/2024-04-01/bms.json",
    "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json",
    "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json",
    "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json",
    "network/resource-manager/Microsoft.Network/stable/2024-03-01/virtualNetwork.json",
    "network/resource-manager/Microsoft.Network/stable/2024-03-01/networkInterface.json",
    "network/resource-manager/Microsoft.Network/stable/2024-03-01/publicIpAddress.json",
    "network/resource-manager/Microsoft.Network/stable/2024-03-01/networkSecurityGroup.json",
)

# Places where a spec contradicts what the real service returns, each with public evidence. Applied
# when the file is loaded: (spec, JSON pointer to a schema, keys to drop from it, why). Keep this
# list short; a sandbox that differs from a correct spec is a sandbox bug, never an erratum.
SPEC_ERRATA = (
    (
        "resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json",
        "/definitions/SubscriptionListResult",
        {"required"},
        "ARM omits nextLink on the last page; the spec marks it required "
        "(Azure/azure-rest-api-specs#17621, Azure/azure-sdk-for-rust#650)",
    ),
    (
        "resources/resource-manager/Microsoft.Resources/stable/2022-12-01/subscriptions.json",
        "/definitions/TenantListResult",
        {"required"},
        "the same paging defect as SubscriptionListResult, in the same file and written the same "
        "way: ARM's lists omit nextLink on their last page (evidence above names the subscriptions "
        "list only)",
    ),
    (
        "compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-07-01/"
        "computeRPCommon.json",
        "/definitions/HardwareProfile/properties/vmSize",
        {"enum"},
        "the VirtualMachineSizeTypes enum stopped being maintained in 2020 and lists no v5 size, "
        "yet the service returns any current size; the property's own description calls the enum "
        "deprecated and this version's examples (VirtualMachine_Create_WithSecurityTypeConfidential"
        "VM*.json) answer Standard_DC2as_v5 (Azure/azure-rest-api-specs#11595, #11598; "
        "Azure/azure-resource-manager-schemas#1686)",
    ),
)

# Spec files whose operations declare no `default` response although the service answers errors in
# ARM's envelope (INDEX.md section 3.9: "the StorageAccounts_* operations declare no default
# response"). An error status of one of their operations is checked against the error schema named
# here instead of failing as undocumented: (spec, error schema spec, JSON pointer, why).
ERRORS_WITHOUT_DEFAULT = (
    (
        "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json",
        "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/common.json",
        "/definitions/CloudError",
        "StorageAccounts_Create/GetProperties/... list only their successes; the file's own "
        "common.json defines the CloudError the service answers with",
    ),
)

# Endpoints no swagger documents. These are the only requests allowed to go unchecked; the tests
# that call them assert the response shape themselves.
UNSPECIFIED_PATHS = (
    # Entra ID: token, device code and OIDC discovery.
    re.compile(r"^/[^/]+/oauth2/v2\.0/token$", re.IGNORECASE),
    re.compile(r"^/[^/]+/oauth2/v2\.0/devicecode$", re.IGNORECASE),
    re.compile(r"^/[^/]+/v2\.0/\.well-known/openid-configuration$", re.IGNORECASE),
    # Microsoft Graph is described in CSDL, not swagger (INDEX.md section 3.8).
    re.compile(r"^/v1\.0/servicePrincipals$", re.IGNORECASE),
    # ARM's cloud metadata (`/metadata/endpoints`) has no swagger in azure-rest-api-specs.
    re.compile(r"^/metadata/endpoints$", re.IGNORECASE),
    # Classic (ASM-era) VMs through ARM: Microsoft.ClassicCompute is not in the spec pack.
    re.compile(
        r"^/subscriptions/[^/]+/providers/Microsoft\.ClassicCompute/virtualMachines$", re.IGNORECASE
    ),
    # A deployment's Azure-AsyncOperation URL: ARM's generic operation status, not in the
    # Resources swagger.
    re.compile(
        r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/Microsoft\.Resources/deployments/"
        r"[^/]+/operationStatuses/[^/]+$",
        re.IGNORECASE,
    ),
    # A storage account create's Location URL: the operation's own endpoint, which storage.json
    # does not describe (StorageAccounts_Create declares a 202 without headers).
    re.compile(
        r"^/subscriptions/[^/]+/providers/Microsoft\.Storage/locations/[^/]+/asyncoperations/[^/]+$",
        re.IGNORECASE,
    ),
    # A VM create's Azure-AsyncOperation URL: Compute's operation status, not in its swagger.
    re.compile(
        r"^/subscriptions/[^/]+/providers/Microsoft\.Compute/locations/[^/]+/operations/[^/]+$",
        re.IGNORECASE,
    ),
    # Microsoft.Network's Azure-AsyncOperation and Location URLs: ARM's generic operation status
    # and result, which the Network swagger does not describe.
    re.compile(
        r"^/subscriptions/[^/]+/providers/Microsoft\.Network/locations/[^/]+/"
        r"(operations|operationResults)/[^/]+$",
        re.IGNORECASE,
    ),
)

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}

# Where `_index_subtypes` notes, in a base type's schema, the subtypes its discriminator selects.
SUBTYPES_KEY = "x-safehold-subtypes"


def specs_dir() -> Path:
    """The `specs` folder of `shared/azure-api`: `SAFEHOLD_AZURE_SPECS`, else beside the clone."""
    override = os.environ.get("SAFEHOLD_AZURE_SPECS")
    if override:
        folder = Path(override)
        origin = "SAFEHOLD_AZURE_SPECS"
    else:
        repo_root = Path(__file__).resolve().parents[2]
        folder = repo_root.parent / "shared" / "azure-api" / "specs"
        origin = "the default location (../shared/azure-api/specs relative to the repo root)"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"The Azure swagger specs are missing: expected the folder {folder} from {origin}. "
            "Put shared/azure-api beside the clone, "
            "or point SAFEHOLD_AZURE_SPECS at its specs folder."
        )
    return folder


@dataclass(frozen=True)
class Operation:
    """One documented operation: where it is in which spec file."""

    spec: Path
    method: str
    template: str  # the path key exactly as the spec writes it
    pattern: re.Pattern[str]
    literal_segments: int

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template} ({self.spec.name})"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response it got, as seen on the wire."""

    method: str
    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


def _is_parameter(segment: str) -> bool:
    return re.fullmatch(r"\{[^}]+\}", segment) is not None


def _template_pattern(template: str) -> re.Pattern[str]:
    segments = template.strip("/").split("/")
    parts = ["[^/]+" if _is_parameter(s) else re.escape(s) for s in segments]
    if _is_parameter(segments[0]):
        # `/{scope}/providers/...`: the scope is a resource id of any depth.
        parts[0] = "[^/]+(?:/[^/]+)*?"
    return re.compile("^/" + "/".join(parts) + "$", re.IGNORECASE)


def _allow_nulls(node):
    """Rewrites `x-nullable: true` schemas so Draft 4 accepts null, in place, recursively."""
    if isinstance(node, list):
        for item in node:
            _allow_nulls(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _allow_nulls(value)
    if node.get("x-nullable") is not True:
        return
    declared = node.get("type")
    if isinstance(declared, str):
        node["type"] = [declared, "null"]
    elif "$ref" in node or "allOf" in node:
        # Draft 4 ignores a $ref's siblings, so the nullable form has to wrap it.
        inner = {k: v for k, v in node.items() if k != "x-nullable"}
        node.clear()
        node["anyOf"] = [{"type": "null"}, inner]


class SpecIndex:
    """The operations of the mapped specs, and a `referencing` registry over the whole folder."""

    def __init__(self, root: Path | None = None, specs: tuple[str, ...] = ARM_SPECS):
        self.root = (root or specs_dir()).resolve()
        self._documents: dict[Path, dict] = {}
        self.operations: list[Operation] = []
        for relative in specs:
            spec = self.root / relative
            if not spec.is_file():
                raise FileNotFoundError(f"mapped spec {relative} is not in {self.root}")
            for template, item in self._document(spec).get("paths", {}).items():
                # x-ms-paths style keys carry a query part; the path alone is what we match.
                path_only = template.split("?", 1)[0]
                segments = path_only.strip("/").split("/")
                if all(_is_parameter(s) for s in segments):
                    continue  # `/{resourceId}`: would claim every path (see the module docstring)
                for method in item:
                    if method not in HTTP_METHODS:
                        continue
                    self.operations.append(
                        Operation(
                            spec=spec,
                            method=method,
                            template=template,
                            pattern=_template_pattern(path_only),
                            literal_segments=sum(1 for s in segments if not s.startswith("{")),
                        )
                    )

    def _document(self, path: Path) -> dict:
        if path not in self._documents:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
            _allow_nulls(document)
            _index_subtypes(document, path.as_uri())
            for spec, pointer, keys, _why in SPEC_ERRATA:
                if path == self.root / spec:
                    schema = _resolve_pointer(document, pointer)
                    missing = keys - schema.keys()
                    if missing:
                        raise ValueError(f"erratum {spec}{pointer} no longer applies: {missing}")
                    for key in keys:
                        del schema[key]
            self._documents[path] = document
        return self._documents[path]

    @cached_property
    def registry(self) -> referencing.Registry:
        def retrieve(uri: str) -> referencing.Resource:
            path = Path(urlsplit(uri).path)
            if not path.resolve().is_relative_to(self.root):
                raise referencing.exceptions.NoSuchResource(ref=uri)
            return referencing.jsonschema.DRAFT4.create_resource(self._document(path))

        # Every file the mapped specs reach through `$ref`, loaded and crawled once up front. A
        # registry is immutable: what `retrieve` fetches during one validation is forgotten by the
        # next, and re-crawling files like virtualMachine.json per response costs ~15 ms each.
        resources = {}
        pending = list({op.spec for op in self.operations})
        while pending:
            path = pending.pop()
            uri = path.as_uri()
            if uri in resources:
                continue
            document = self._document(path)
            resources[uri] = referencing.jsonschema.DRAFT4.create_resource(document)
            for ref in _file_refs(document):
                target = (path.parent / ref).resolve()
                if target.is_relative_to(self.root) and target.is_file():
                    pending.append(target)
        registry = referencing.Registry(retrieve=retrieve).with_resources(resources.items())
        return registry.crawl()

    def is_unspecified(self, exchange: Exchange) -> bool:
        """True for the endpoints no swagger documents (`UNSPECIFIED_PATHS`)."""
        return any(p.match(exchange.path) for p in UNSPECIFIED_PATHS)

    def operation_for(self, method: str, path: str) -> Operation | None:
        """The operation documenting `method path`, the most literal template winning ties."""
        path = "/" + path.strip("/")
        candidates = [
            op for op in self.operations if op.method == method.lower() and op.pattern.match(path)
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda op: op.literal_segments)

    def response_schema_pointer(self, operation: Operation, status: int) -> tuple[str, str] | None:
        """(response key, JSON pointer to its schema), or None when the spec lists no such status.

        A status the operation does not list falls back to `default` only for errors (4xx/5xx):
        ARM documents error envelopes under `default`, but an unlisted success is a mismatch.
        """
        paths = self._document(operation.spec)["paths"]
        responses = paths[operation.template][operation.method]["responses"]
        if str(status) in responses:
            key = str(status)
        elif status >= 400 and "default" in responses:
            key = "default"
        else:
            return None
        if "schema" not in responses[key]:
            return key, ""
        pointer = "/".join(
            ["", "paths", _escape(operation.template), operation.method]
            + ["responses", key, "schema"]
        )
        return key, pointer

    def problems(self, exchange: Exchange) -> list[str]:
        """Everything wrong with one exchange's response, as readable lines (empty: it conforms)."""
        if self.is_unspecified(exchange):
            return []
        operation = self.operation_for(exchange.method, exchange.path)
        where = exchange.describe()
        if operation is None:
            return [
                f"{where}: no mapped spec documents {exchange.method} {exchange.path} "
                f"(add its spec to ARM_SPECS in {Path(__file__).name})"
            ]
        found = self.response_schema_pointer(operation, exchange.status)
        if found is None and exchange.status >= 400:
            fallback = self._error_schema_without_default(operation)
            if fallback is not None:
                return self._check_json(where, operation.name, "error", exchange, *fallback)
        if found is None:
            return [f"{where}: {operation.name} documents no response for status {exchange.status}"]
        key, pointer = found
        if not pointer:
            if exchange.body.strip():
                body = exchange.body[:200]
                return [f"{where}: {operation.name} response {key} has no body, got {body!r}"]
            return []
        return self._check_json(where, operation.name, key, exchange, operation.spec, pointer)

    def _error_schema_without_default(self, operation: Operation) -> tuple[Path, str] | None:
        for spec, error_spec, pointer, _why in ERRORS_WITHOUT_DEFAULT:
            if operation.spec == self.root / spec:
                return self.root / error_spec, pointer
        return None

    def _check_json(
        self, where: str, name: str, key: str, exchange: Exchange, spec: Path, pointer: str
    ) -> list[str]:
        if "json" not in exchange.content_type.lower():
            return [f"{where}: expected a JSON body, got content-type {exchange.content_type!r}"]
        try:
            body = json.loads(exchange.body)
        except ValueError as error:
            return [f"{where}: body is not JSON ({error}): {exchange.body[:200]!r}"]
        return [
            f"{where}: {name} response {key}: {message}"
            for message in self.schema_errors(spec, pointer, body)
        ]

    def schema_errors(self, spec: Path, pointer: str, body) -> list[str]:
        """Draft 4 validation of `body` against the schema at `pointer` in `spec`."""
        schema = {"$ref": spec.as_uri() + "#" + quote(pointer, safe="/~")}
        validator = SwaggerValidator(schema, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        # A subtype's `allOf` re-checks the base the value was first checked against: the same
        # failure can come twice, once from each.
        return list(dict.fromkeys(f"at {error.json_path}: {error.message}" for error in errors))


def _index_subtypes(document: dict, uri: str) -> None:
    """Notes in each base type with a `discriminator` which definition each value selects.

    A subtype is a definition of the same file whose `allOf` chain (local `$ref`s) reaches the
    base; its value is its `x-ms-discriminator-value`, else its name. Written into the base as
    `{SUBTYPES_KEY: {"base": name, "own": value, "subtypes": {value: absolute $ref}}}`.
    """
    definitions = document.get("definitions", {})

    def parents(name: str) -> list[str]:
        refs = [part.get("$ref", "") for part in definitions[name].get("allOf", [])]
        prefix = "#/definitions/"
        return [r[len(prefix):] for r in refs if r.startswith(prefix) and r[len(prefix):] in definitions]

    def ancestors(name: str) -> set[str]:
        found: set[str] = set()
        pending = parents(name)
        while pending:
            parent = pending.pop()
            if parent not in found:
                found.add(parent)
                pending.extend(parents(parent))
        return found

    lineage = {name: ancestors(name) for name in definitions if isinstance(definitions[name], dict)}
    for base_name, base in definitions.items():
        if not isinstance(base, dict) or "discriminator" not in base:
            continue
        subtypes: dict[str, str] = {}
        for name, above in lineage.items():
            if base_name not in above:
                continue
            value = definitions[name].get("x-ms-discriminator-value", name)
            if value in subtypes:
                raise ValueError(f"{uri}: {base_name} has two subtypes for {value!r}")
            subtypes[value] = f"{uri}#/definitions/{quote(_escape(name), safe='~')}"
        base[SUBTYPES_KEY] = {
            "base": base_name,
            "own": base.get("x-ms-discriminator-value", base_name),
            "subtypes": subtypes,
        }


# The instances being checked against a subtype right now: when that subtype's `allOf` comes back
# to the base, the base must not dispatch again (it would loop). Validation is single-threaded.
_DISPATCHING: set[int] = set()


def _discriminator(validator, prop, instance, schema):
    """Swagger's `discriminator`: validate `instance` against the subtype its `prop` selects."""
    index = schema.get(SUBTYPES_KEY)
    if index is None or not isinstance(instance, dict) or prop not in instance:
        return  # a missing discriminator is the base's `required` to report
    if id(instance) in _DISPATCHING:
        return
    value = instance[prop]
    if value == index["own"]:
        return
    target = index["subtypes"].get(value) if isinstance(value, str) else None
    if target is None:
        known = ", ".join(sorted([index["own"], *index["subtypes"]]))
        yield jsonschema.ValidationError(
            f"{value!r} is not a {prop} that {index['base']} declares a subtype for "
            f"(known: {known})"
        )
        return
    _DISPATCHING.add(id(instance))
    try:
        yield from validator.descend(instance, {"$ref": target}, schema_path="discriminator")
    finally:
        _DISPATCHING.discard(id(instance))


# Draft 4 plus swagger's `discriminator` keyword (which Draft 4 ignores).
SwaggerValidator = jsonschema.validators.extend(
    jsonschema.Draft4Validator, {"discriminator": _discriminator}
)


def _file_refs(node) -> set[str]:
    """The files (relative paths) that `$ref`s anywhere in `node` point into."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                found.add(ref.split("#", 1)[0])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _resolve_pointer(document: dict, pointer: str) -> dict:
    node = document
    for segment in pointer.split("/")[1:]:
        node = node[segment.replace("~1", "/").replace("~0", "~")]
    return node


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")
