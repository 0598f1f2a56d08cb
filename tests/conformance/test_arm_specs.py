"""The validator itself: it must reject what does not conform, or the green suite means nothing."""

import json

import pytest

import arm_specs
from arm_specs import Exchange

VAULT = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1"


def _exchange(method, path, status, body, content_type="application/json; charset=utf-8"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = f"https://127.0.0.1:1{path}?api-version=2026-11-01"
    return Exchange(method, url, status, content_type, raw)


def test_conforming_vault_passes(specs):
    vault = {"id": VAULT, "name": "v1", "type": "Microsoft.RecoveryServices/vaults",
             "location": "japaneast", "sku": {"name": "Standard"}, "properties": {}}

    assert specs.problems(_exchange("GET", VAULT, 200, vault)) == []


def test_wrong_property_type_is_reported_with_its_path(specs):
    vault = {"id": VAULT, "name": "v1", "location": "japaneast", "sku": {"name": 7}}

    problems = specs.problems(_exchange("GET", VAULT, 200, vault))

    assert any("at $.sku.name: 7 is not of type 'string'" in p for p in problems), problems
    assert all("vaults.json" in p for p in problems)


def test_malformed_error_envelope_is_reported(specs):
    [problem] = specs.problems(_exchange("GET", VAULT, 404, {"error": {"code": 404}}))

    assert "response default" in problem
    assert "at $.error.code" in problem


def test_refs_into_common_types_resolve_across_files(specs):
    # DELETE vault documents its errors with common-types v3 ErrorResponse, in another file.
    [problem] = specs.problems(_exchange("DELETE", VAULT, 409, {"error": {"details": "x"}}))

    assert "at $.error.details: 'x' is not of type 'array'" in problem


def test_undocumented_success_status_is_reported(specs):
    [problem] = specs.problems(_exchange("GET", VAULT, 201, {}))

    assert "documents no response for status 201" in problem


def test_non_json_body_is_reported(specs):
    [problem] = specs.problems(_exchange("GET", VAULT, 200, b"<html/>", "text/html"))

    assert "expected a JSON body" in problem


def test_unmapped_request_is_reported(specs):
    path = "/subscriptions/s1/providers/Microsoft.Web/sites"

    [problem] = specs.problems(_exchange("GET", path, 200, {"value": []}))

    assert "no mapped spec documents GET " + path in problem


def test_only_endpoints_without_swagger_go_unchecked(specs):
    unchecked = [
        _exchange("POST", "/tenant/oauth2/v2.0/token", 200, {"access_token": "t"}),
        _exchange("GET", "/tenant/v2.0/.well-known/openid-configuration", 200, {}),
        _exchange("GET", "/v1.0/servicePrincipals", 200, {"value": 7}),
        _exchange("GET", "/metadata/endpoints", 200, b"<html/>", "text/html"),
        _exchange("GET", "/subscriptions/s1/providers/Microsoft.ClassicCompute/virtualMachines",
                  200, {}),
    ]
    lookalikes = [
        _exchange("GET", "/tenant/oauth2/v2.0/token/extra", 200, {}),
        _exchange("GET", "/v1.0/servicePrincipals/abc", 200, {}),
        _exchange("GET", "/v1.0/applications", 200, {}),
        _exchange("GET", "/metadata/endpoints/extra", 200, {}),
        _exchange("GET", "/subscriptions/s1/resourceGroups/rg/providers/"
                  "Microsoft.ClassicCompute/virtualMachines", 200, {}),
    ]

    assert [specs.problems(e) for e in unchecked] == [[]] * len(unchecked)
    assert all(specs.problems(e) != [] for e in lookalikes)


def test_mapped_specs_cover_the_operations_the_sandbox_serves(specs):
    sub = "/subscriptions/s1"
    vm = f"{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    vault = f"{sub}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
    expected = {
        ("GET", f"{sub}/resourcegroups"): "resources.json",
        ("GET", f"{sub}/resourcegroups/rg"): "resources.json",
        ("GET", f"{sub}/providers/Microsoft.Compute/virtualMachines"): "virtualMachine.json",
        ("GET", f"{vm}/instanceView"): "virtualMachine.json",
        ("GET", f"{vm}/extensions"): "virtualMachine.json",
        ("GET", f"{vm}/extensions/AzureDiskEncryption"): "virtualMachine.json",
        ("GET", f"{sub}/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"): "disk.json",
        ("GET", f"{sub}/providers/Microsoft.KeyVault/deletedVaults"): "keyvault.json",
        ("PUT", f"{vault}/accessPolicies/add"): "keyvault.json",
    }

    found = {key: specs.operation_for(*key) for key in expected}

    assert {key: op and op.spec.name for key, op in found.items()} == expected
    assert found[("GET", f"{vm}/instanceView")].template.endswith("/{vmName}/instanceView")


def test_vm_size_erratum_drops_only_the_stale_enum(specs):
    vm = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    def vm_of_size(size):
        return {"location": "japaneast", "properties": {"hardwareProfile": {"vmSize": size}}}

    assert specs.problems(_exchange("GET", vm, 200, vm_of_size("Standard_D4s_v5"))) == []
    [problem] = specs.problems(_exchange("GET", vm, 200, vm_of_size(4)))
    assert "at $.properties.hardwareProfile.vmSize: 4 is not of type 'string'" in problem


def test_templates_match_case_insensitively(specs):
    operation = specs.operation_for(
        "get", "/SUBSCRIPTIONS/s1/resourcegroups/RG/PROVIDERS/microsoft.recoveryservices/Vaults/v1"
    )

    assert operation.template.endswith("/vaults/{vaultName}")
    assert operation.spec.name == "vaults.json"


def test_most_literal_template_wins(tmp_path):
    spec = {"swagger": "2.0", "paths": {
        "/things/{name}": {"get": {"responses": {"200": {"schema": {"type": "object"}}}}},
        "/things/special": {"get": {"responses": {"200": {"schema": {"type": "array"}}}}},
    }}
    (tmp_path / "things.json").write_text(json.dumps(spec))
    index = arm_specs.SpecIndex(root=tmp_path, specs=("things.json",))

    assert index.operation_for("GET", "/things/special").template == "/things/special"
    assert index.operation_for("GET", "/things/other").template == "/things/{name}"


def test_missing_specs_folder_says_where_it_is_expected(monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEHOLD_AZURE_SPECS", str(tmp_path / "nowhere"))

    with pytest.raises(FileNotFoundError, match="nowhere.*SAFEHOLD_AZURE_SPECS"):
        arm_specs.specs_dir()


def _pets_index(tmp_path):
    """A spec with swagger polymorphism: Pet (discriminator petType) <- Dog ("dog") <- Puppy."""
    definitions = {
        "Pet": {"type": "object", "discriminator": "petType", "required": ["petType"],
                "properties": {"petType": {"type": "string"}, "name": {"type": "string"}}},
        "Dog": {"x-ms-discriminator-value": "dog", "allOf": [{"$ref": "#/definitions/Pet"}],
                "properties": {"barks": {"type": "boolean"}}},
        "Puppy": {"allOf": [{"$ref": "#/definitions/Dog"}],
                  "properties": {"ageInWeeks": {"type": "integer"}}},
        "Cat": {"allOf": [{"$ref": "#/definitions/Pet"}], "properties": {"lives": {"type": "integer"}}},
        "Kennel": {"type": "object", "properties": {
            "pets": {"type": "array", "items": {"$ref": "#/definitions/Pet"}}}},
    }
    ok = {"200": {"schema": {"$ref": "#/definitions/Kennel"}}}
    spec = {"swagger": "2.0", "paths": {"/kennel": {"get": {"responses": ok}}},
            "definitions": definitions}
    (tmp_path / "pets.json").write_text(json.dumps(spec))
    return arm_specs.SpecIndex(root=tmp_path, specs=("pets.json",))


def _kennel(*pets):
    return _exchange("GET", "/kennel", 200, {"pets": list(pets)})


def test_discriminator_selects_the_subtype_by_its_declared_value_or_its_name(tmp_path):
    index = _pets_index(tmp_path)
    pets = [{"petType": "dog", "barks": True}, {"petType": "Puppy", "ageInWeeks": 9},
            {"petType": "Cat", "lives": 9}, {"petType": "Pet", "name": "generic"}]

    assert index.problems(_kennel(*pets)) == []


def test_subtype_properties_are_checked_not_only_the_base(tmp_path):
    index = _pets_index(tmp_path)

    [dog] = index.problems(_kennel({"petType": "dog", "barks": "loudly"}))
    [cat] = index.problems(_kennel({"petType": "Cat", "lives": "nine"}))

    assert "at $.pets[0].barks: 'loudly' is not of type 'boolean'" in dog
    assert "at $.pets[0].lives: 'nine' is not of type 'integer'" in cat


def test_a_grandchild_type_brings_every_ancestor_along(tmp_path):
    index = _pets_index(tmp_path)
    puppy = {"petType": "Puppy", "ageInWeeks": "young", "barks": 1, "name": 7}

    problems = index.problems(_kennel(puppy))

    assert len(problems) == 3, problems
    for where in ("$.pets[0].ageInWeeks", "$.pets[0].barks", "$.pets[0].name"):
        assert any(f"at {where}:" in p for p in problems), (where, problems)


def test_a_discriminator_value_no_subtype_declares_is_reported(tmp_path):
    index = _pets_index(tmp_path)

    [problem] = index.problems(_kennel({"petType": "Dog", "barks": True}))

    assert "at $.pets[0]: 'Dog' is not a petType that Pet declares a subtype for" in problem
    assert "(known: Cat, Pet, Puppy, dog)" in problem


def test_bms_protected_item_is_checked_as_its_concrete_iaas_vm_type(specs):
    vault = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1"
    item = (f"{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;"
            "rg;vm1/protectedItems/VM;iaasvmcontainerv2;rg;vm1")
    def protected_item(**extra):
        properties = {"protectedItemType": "Microsoft.Compute/virtualMachines",
                      "backupManagementType": "AzureIaasVM", "friendlyName": "vm1", **extra}
        return {"id": item, "name": "VM;iaasvmcontainerv2;rg;vm1", "properties": properties}

    assert specs.problems(_exchange("GET", item, 200, protected_item())) == []
    # `extendedInfo` exists on AzureIaaSVMProtectedItem only, not on the base ProtectedItem.
    [problem] = specs.problems(
        _exchange("GET", item, 200, protected_item(extendedInfo={"recoveryPointCount": "3"}))
    )
    assert "at $.properties.extendedInfo.recoveryPointCount: '3' is not of type 'integer'" in problem


def test_scope_parameter_spans_a_whole_resource_id_but_by_id_templates_are_not_matched(specs):
    vault = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
    assignment = f"{vault}/providers/Microsoft.Authorization/roleAssignments/a1"
    definitions = "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions"

    assert specs.operation_for("PUT", assignment).template == (
        "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}"
    )
    assert specs.operation_for("GET", definitions).template == (
        "/{scope}/providers/Microsoft.Authorization/roleDefinitions"
    )
    # `/{roleAssignmentId}` and `/{resourceId}` would otherwise claim any path at all.
    assert specs.operation_for("DELETE", "/subscriptions/s1/providers/Microsoft.Nowhere/x") is None
