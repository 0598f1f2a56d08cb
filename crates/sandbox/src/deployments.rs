//! Template deployments (`Microsoft.Resources/deployments`), enough to create a VM from the
//! disks a restore made, with the template the restore wrote.
//!
//! The template comes inline (`properties.template`) or by link (`properties.templateLink.uri`,
//! which must point at the sandbox's blob endpoint, as a restore's `Template Blob Uri` does).
//! Expressions are evaluated for the forms restore templates use: `parameters('…')`,
//! `resourceGroup().location` and `resourceId('…', …)`. A VM resource that attaches an OS disk
//! becomes a VM in the tenant, carrying the disk's ADE settings. The deployment fails, like ARM's,
//! when a disk is missing or its key vault secret is gone.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, segment_after, subscription_not_found};
use crate::tenant::{DiskRecord, SubscriptionRecord, Tenant, VirtualMachineRecord};

/// A deployment as the tenant keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeploymentRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// `Succeeded` or `Failed`.
    pub state: String,
    /// When it ran (RFC 3339).
    pub timestamp: String,
    /// Ids of the resources it made.
    #[serde(default)]
    pub output_resources: Vec<String>,
    /// Why it failed: code and message of the inner error.
    #[serde(default)]
    pub error: Option<(String, String)>,
}

fn bad(code: &'static str, message: String) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

/// What template expressions can see: the parameters and the deployment's resource group.
struct Context<'a> {
    parameters: &'a serde_json::Map<String, Value>,
    location: &'a str,
    subscription: &'a str,
    resource_group: &'a str,
}

/// Splits a function's arguments at the commas outside quotes and parentheses.
fn arguments(inner: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0_i32, false, 0);
    let mut out = Vec::new();
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim());
    out
}

/// Evaluates one expression (the text inside `[...]`) of the forms restore templates use:
/// `parameters('…')`, `resourceGroup().location|name`, `resourceId([group,] type, names…)` and
/// quoted strings. `None` for anything else.
fn expression(expr: &str, cx: &Context<'_>) -> Option<Value> {
    let expr = expr.trim();
    if let Some(text) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
        return Some(json!(text.replace("\'\'", "\'")));
    }
    if expr == "resourceGroup().location" {
        return Some(json!(cx.location));
    }
    if expr == "resourceGroup().name" {
        return Some(json!(cx.resource_group));
    }
    let (function, inner) = expr.split_once('(')?;
    let inner = inner.strip_suffix(')')?;
    let args: Vec<Value> = arguments(inner)
        .into_iter()
        .map(|a| expression(a, cx))
        .collect::<Option<_>>()?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match function.trim() {
        "parameters" => {
            let name = text(args.first()?)?;
            let p = cx.parameters.get(&name)?;
            let value = p.get("value").or_else(|| p.get("defaultValue"))?.clone();
            // A default may itself be an expression, e.g. `[resourceGroup().name]`.
            Some(evaluate(&value, cx))
        }
        "resourceId" => {
            let texts: Vec<String> = args.iter().map(text).collect::<Option<_>>()?;
            let at = texts.iter().position(|t| t.contains('/'))?;
            let group = match at {
                0 => cx.resource_group.to_owned(),
                1 => texts[0].clone(),
                _ => texts[1].clone(),
            };
            let subscription = if at == 2 {
                texts[0].as_str()
            } else {
                cx.subscription
            };
            let (namespace, types) = texts[at].split_once('/')?;
            let mut id = format!(
                "/subscriptions/{subscription}/resourceGroups/{group}/providers/{namespace}"
            );
            let names = &texts[at + 1..];
            let types: Vec<&str> = types.split('/').collect();
            if types.len() != names.len() {
                return None;
            }
            for (t, n) in types.iter().zip(names) {
                id.push_str(&format!("/{t}/{n}"));
            }
            Some(json!(id))
        }
        _ => None,
    }
}

/// Evaluates every template expression in `value` (strings in brackets, at any depth). An
/// expression the sandbox cannot evaluate is left as written.
fn evaluate(value: &Value, cx: &Context<'_>) -> Value {
    match value {
        Value::String(text) => text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .filter(|t| !t.starts_with('['))
            .and_then(|e| expression(e, cx))
            .unwrap_or_else(|| value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(|v| evaluate(v, cx)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), evaluate(v, cx)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The template of a deployment body: inline, or read from the sandbox's blob storage.
fn template_of(state: &Shared, properties: &Value) -> Result<Value, ArmError> {
    if let Some(template) = properties.get("template").filter(|t| t.is_object()) {
        return Ok(template.clone());
    }
    let uri = properties["templateLink"]["uri"].as_str().ok_or_else(|| {
        bad(
            "InvalidDeployment",
            "The deployment needs properties.template or properties.templateLink.uri.".to_owned(),
        )
    })?;
    let content = crate::blob::read_with_sas(state, uri).map_err(|why| {
        bad(
            "InvalidContentLink",
            format!(
                "Unable to download deployment content from '{}': {why}.",
                uri.split('?').next().unwrap_or(uri)
            ),
        )
    })?;
    serde_json::from_str(&content).map_err(|e| {
        bad(
            "InvalidTemplate",
            format!("The linked template is not valid JSON: {e}."),
        )
    })
}

/// `POST .../deployments/{name}/validate`: ARM's preflight. It checks what can be known before
/// anything is made (the body, the mode, the template and its link, the resource group, every
/// resource having a type and a name) and says nothing about whether the deployment itself will
/// succeed, as the service's preflight does not either. The Azure CLI validates before every
/// `deployment group create`.
pub fn validate(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        bad(
            "InvalidRequestContent",
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    let properties = &body["properties"];
    let mode = properties["mode"].as_str().unwrap_or_default().to_owned();
    if !mode.eq_ignore_ascii_case("Incremental") && !mode.eq_ignore_ascii_case("Complete") {
        return Err(bad(
            "InvalidDeployment",
            "properties.mode must be 'Incremental' or 'Complete'.".to_owned(),
        ));
    }
    let template = template_of(state, properties)?;
    let Some(resources) = template["resources"].as_array() else {
        return Err(bad(
            "InvalidTemplate",
            "The template has no 'resources' array.".to_owned(),
        ));
    };
    if let Some(unnamed) = resources
        .iter()
        .position(|r| !r["type"].is_string() || !r["name"].is_string())
    {
        return Err(bad(
            "InvalidTemplate",
            format!("Resource {unnamed} of the template has no type or no name."),
        ));
    }
    let tenant = state.tenant();
    let sub = tenant
        .subscription(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    if !sub
        .resource_groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(rg))
    {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    let group = resource_group_of(sub, rg);
    Ok(Json(json!({
        "id": format!("/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.Resources/deployments/{name}", sub.subscription_id),
        "name": name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "provisioningState": "Succeeded",
            "mode": mode,
            "parameters": properties["parameters"],
            "timestamp": time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "correlationId": uuid::Uuid::new_v4().to_string()
        }
    }))
    .into_response())
}

/// `PUT {sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}`
pub fn put(
    state: &Shared,
    subscription: &str,
    rg: &str,
    name: &str,
    body: &[u8],
) -> Result<Response, ArmError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        bad(
            "InvalidRequestContent",
            format!("The request body is not valid JSON: {e}."),
        )
    })?;
    let properties = &body["properties"];
    if !properties["mode"].as_str().is_some_and(|m| {
        m.eq_ignore_ascii_case("Incremental") || m.eq_ignore_ascii_case("Complete")
    }) {
        return Err(bad(
            "InvalidDeployment",
            "properties.mode must be 'Incremental' or 'Complete'.".to_owned(),
        ));
    }
    // Read before taking the tenant for writing: reading a linked template takes it too.
    let template = template_of(state, properties)?;
    let mut tenant = state.tenant_mut();
    let Some(resources) = template["resources"].as_array().cloned() else {
        return Err(bad(
            "InvalidTemplate",
            "The template has no 'resources' array.".to_owned(),
        ));
    };
    // Parameters: the request's values over the template's defaults.
    let mut parameters = template["parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, value) in properties["parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default()
    {
        parameters.insert(key, value);
    }
    let sub = tenant
        .subscription(subscription)
        .ok_or_else(|| subscription_not_found(subscription))?;
    let sub_id = sub.subscription_id.clone();
    let group = sub
        .resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(rg))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                format!("Resource group '{rg}' could not be found."),
            )
        })?
        .clone();
    let scope = format!("/subscriptions/{sub_id}/resourceGroups/{}", group.name);
    let cx = Context {
        parameters: &parameters,
        location: &group.location,
        subscription: &sub_id,
        resource_group: &group.name,
    };
    // Resources are made in dependency order: network resources (public IPs and NSGs, then
    // VNets, then NICs) before the VMs that use them. What is made before a failure stays, as
    // in ARM, where a deployment is not a transaction.
    let mut ordered: Vec<(u8, Value)> = resources
        .iter()
        .map(|r| {
            let r = evaluate(r, &cx);
            let kind = r["type"].as_str().unwrap_or_default();
            let rank = crate::network::Kind::from_type(kind).map_or(9, crate::network::Kind::rank);
            (rank, r)
        })
        .collect();
    ordered.sort_by_key(|(rank, _)| *rank);
    let mut draft = sub.clone();
    let mut made = Vec::new();
    let mut error = None;
    for (_, resource) in &ordered {
        let kind = resource["type"].as_str().unwrap_or_default();
        let name = resource["name"].as_str().unwrap_or_default().to_owned();
        let outcome = if let Some(network) = crate::network::Kind::from_type(kind) {
            let mut body = resource.clone();
            if body.get("location").is_none() {
                body["location"] = json!(group.location);
            }
            crate::network::put_resource(&mut draft, network, &group.name, &name, &body)
                .map(|_| format!("{scope}/providers/{kind}/{name}"))
                .map_err(|e| (e.code().to_owned(), e.message().to_owned()))
        } else if kind.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines") {
            build_vm(
                &tenant,
                &draft,
                &group.name,
                &name,
                resource,
                &group.location,
            )
            .map(|vm| {
                let id = format!(
                    "{scope}/providers/Microsoft.Compute/virtualMachines/{}",
                    vm.name
                );
                draft.virtual_machines.retain(|v| {
                    !(v.resource_group.eq_ignore_ascii_case(&vm.resource_group)
                        && v.name.eq_ignore_ascii_case(&vm.name))
                });
                draft.virtual_machines.push(vm);
                id
            })
        } else {
            Err((
                "NoRegisteredProviderFound".to_owned(),
                format!("The sandbox cannot deploy resources of type '{kind}'."),
            ))
        };
        match outcome {
            Ok(id) => made.push(id),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let record = DeploymentRecord {
        resource_group: group.name.clone(),
        name: name.to_owned(),
        state: if error.is_some() {
            "Failed"
        } else {
            "Succeeded"
        }
        .to_owned(),
        timestamp,
        output_resources: made,
        error,
    };
    draft.deployments.retain(|d| {
        !(d.resource_group.eq_ignore_ascii_case(rg) && d.name.eq_ignore_ascii_case(name))
    });
    draft.deployments.push(record.clone());
    let sub = tenant
        .subscription_mut(&sub_id)
        .ok_or_else(|| subscription_not_found(&sub_id))?;
    *sub = draft;
    state.persist(&tenant)?;
    let mut response = (
        StatusCode::CREATED,
        Json(deployment_json(&sub_id, &record, true)),
    )
        .into_response();
    let status_url = format!(
        "{}{scope}/providers/Microsoft.Resources/deployments/{name}/operationStatuses/{}?api-version=2024-03-01",
        state.arm_endpoint,
        uuid::Uuid::new_v4().simple()
    );
    if let Ok(value) = HeaderValue::from_str(&status_url) {
        response.headers_mut().insert("azure-asyncoperation", value);
    }
    Ok(response)
}

/// A VM in group `rg` from its (evaluated) resource body, as a deployment or a VM PUT gives it:
/// its OS disk attached from a restore, its NICs free and in its region. Or why it cannot be
/// made, as (code, message).
pub(crate) fn build_vm(
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    rg: &str,
    name: &str,
    resource: &Value,
    default_location: &str,
) -> Result<VirtualMachineRecord, (String, String)> {
    let location = resource["location"]
        .as_str()
        .unwrap_or(default_location)
        .to_ascii_lowercase();
    let disk_id = resource["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
        .as_str()
        .unwrap_or_default();
    let mut vm = vm_from_disk(tenant, sub, name, disk_id, resource, &location)?;
    vm.resource_group = resource_group_of(sub, rg);
    let scope = format!(
        "/subscriptions/{}/resourceGroups/{}",
        sub.subscription_id, vm.resource_group
    );
    vm.network_interfaces = network_interfaces(sub, &scope, &vm, resource)?;
    Ok(vm)
}

/// The VM's NICs from its template resource: each must exist in the VM's region, and be free or
/// already this VM's.
fn network_interfaces(
    sub: &SubscriptionRecord,
    scope: &str,
    vm: &VirtualMachineRecord,
    resource: &Value,
) -> Result<Vec<String>, (String, String)> {
    let vm_id = format!(
        "{scope}/providers/Microsoft.Compute/virtualMachines/{}",
        vm.name
    );
    let ids: Vec<String> = resource["properties"]["networkProfile"]["networkInterfaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Err((
            "InvalidParameter".to_owned(),
            "Required parameter 'networkProfile' is missing (null).".to_owned(),
        ));
    }
    for nic in &ids {
        if !crate::network::nic_in_region(sub, nic, &vm.location) {
            return Err((
                "InvalidResourceReference".to_owned(),
                format!(
                    "Resource {nic} referenced by resource {vm_id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
                ),
            ));
        }
        let other = sub.virtual_machines.iter().find(|v| {
            !(v.resource_group.eq_ignore_ascii_case(&vm.resource_group)
                && v.name.eq_ignore_ascii_case(&vm.name))
                && crate::compute::network_interface_ids(sub, v)
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(nic))
        });
        if let Some(other) = other {
            return Err((
                "NicInUse".to_owned(),
                format!(
                    "Network interface {nic} is already attached to virtual machine {}. A network interface can be attached to one virtual machine only.",
                    crate::compute::vm_resource_id(sub, other)
                ),
            ));
        }
    }
    Ok(ids)
}

/// A VM built from the restored OS disk `disk_id`, or why the deployment fails.
fn vm_from_disk(
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    name: &str,
    disk_id: &str,
    resource: &Value,
    location: &str,
) -> Result<VirtualMachineRecord, (String, String)> {
    let disk_name = segment_after(disk_id, "disks").unwrap_or_default();
    let disk_group = segment_after(disk_id, "resourceGroups").unwrap_or_default();
    let now = crate::token::now();
    let disk = sub
        .restored_disks
        .iter()
        .find(|d| {
            d.name.eq_ignore_ascii_case(disk_name)
                && d.resource_group.eq_ignore_ascii_case(disk_group)
                && d.available_at <= now
        })
        .ok_or_else(|| {
            (
                "NotFound".to_owned(),
                format!("The managed disk '{disk_id}' was not found."),
            )
        })?;
    if let Some(ade) = &disk.encryption {
        let secret_there = tenant.key_vault(&ade.bek.vault).is_some_and(|(_, kv)| {
            !kv.deleted
                && kv.secrets.iter().any(|s| {
                    !s.deleted
                        && s.name.eq_ignore_ascii_case(&ade.bek.name)
                        && s.version == ade.bek.version
                })
        });
        if !secret_there {
            return Err((
                "KeyVaultSecretDoesNotExist".to_owned(),
                format!(
                    "The disk's encryption secret '{}' no longer exists in key vault '{}'. Restore the key and secret first.",
                    ade.bek.name, ade.bek.vault
                ),
            ));
        }
    }
    Ok(VirtualMachineRecord {
        resource_group: resource_group_of(sub, disk_group),
        name: name.to_owned(),
        location: location.to_owned(),
        vm_id: uuid::Uuid::new_v4().to_string(),
        size: resource["properties"]["hardwareProfile"]["vmSize"]
            .as_str()
            .unwrap_or("Standard_D2s_v5")
            .to_owned(),
        os: disk.os.unwrap_or(crate::tenant::OsKind::Windows),
        os_name: "Restored from backup".to_owned(),
        os_disk: DiskRecord {
            name: disk.name.clone(),
            size_gb: disk.size_gb,
            vhd_uri: None,
            lun: None,
        },
        data_disks: vec![],
        agent_ready: true,
        power_state: "running".to_owned(),
        encryption: disk.encryption.clone(),
        created: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        tags: Default::default(),
        network_interfaces: vec![],
    })
}

fn resource_group_of(sub: &SubscriptionRecord, name: &str) -> String {
    sub.resource_groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |g| g.name.clone())
}

fn deployment_json(subscription: &str, d: &DeploymentRecord, accepted: bool) -> Value {
    let mut properties = json!({
        "provisioningState": if accepted { "Accepted" } else { d.state.as_str() },
        "timestamp": d.timestamp,
        "mode": "Incremental",
        "correlationId": uuid::Uuid::new_v4().to_string(),
    });
    if !accepted {
        properties["outputResources"] = json!(
            d.output_resources
                .iter()
                .map(|id| json!({ "id": id }))
                .collect::<Vec<_>>()
        );
        if let Some((code, message)) = &d.error {
            properties["error"] = json!({
                "code": "DeploymentFailed",
                "message": "At least one resource deployment operation failed. See details.",
                "details": [{ "code": code, "message": message }]
            });
        }
    }
    json!({
        "id": format!("/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.Resources/deployments/{}", d.resource_group, d.name),
        "name": d.name,
        "type": "Microsoft.Resources/deployments",
        "properties": properties
    })
}

fn find<'a>(
    sub: &'a SubscriptionRecord,
    rg: &str,
    name: &str,
) -> Result<&'a DeploymentRecord, ArmError> {
    sub.deployments
        .iter()
        .find(|d| d.resource_group.eq_ignore_ascii_case(rg) && d.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "DeploymentNotFound",
                format!("Deployment '{name}' could not be found."),
            )
        })
}

/// `GET .../deployments/{name}`
pub fn get(sub: &SubscriptionRecord, rg: &str, name: &str) -> Result<Response, ArmError> {
    find(sub, rg, name)
        .map(|d| Json(deployment_json(&sub.subscription_id, d, false)).into_response())
}

/// `GET .../deployments/{name}/operationStatuses/{id}`
pub fn status(sub: &SubscriptionRecord, rg: &str, name: &str) -> Result<Response, ArmError> {
    let d = find(sub, rg, name)?;
    let mut body = json!({ "status": d.state });
    if let Some((code, message)) = &d.error {
        body["error"] = json!({ "code": "DeploymentFailed", "message": "At least one resource deployment operation failed.", "details": [{ "code": code, "message": message }] });
    }
    Ok(Json(body).into_response())
}
