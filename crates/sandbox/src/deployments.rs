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

/// Evaluates an ARM template expression string of the forms restore templates use.
fn evaluate(
    value: &Value,
    parameters: &serde_json::Map<String, Value>,
    location: &str,
    scope: &str,
) -> Value {
    let Some(text) = value.as_str() else {
        return value.clone();
    };
    let Some(expr) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return value.clone();
    };
    let parameter = |name: &str| {
        parameters
            .get(name)
            .and_then(|p| {
                p.get("value")
                    .cloned()
                    .or_else(|| p.get("defaultValue").cloned())
            })
            .unwrap_or(Value::Null)
    };
    let quoted = |s: &str| s.trim().trim_matches('\'').to_owned();
    if let Some(inner) = expr
        .strip_prefix("parameters(")
        .and_then(|e| e.strip_suffix(')'))
    {
        return parameter(&quoted(inner));
    }
    if expr == "resourceGroup().location" {
        return json!(location);
    }
    if let Some(inner) = expr
        .strip_prefix("resourceId(")
        .and_then(|e| e.strip_suffix(')'))
    {
        let mut parts = inner.splitn(2, ',');
        let kind = quoted(parts.next().unwrap_or_default());
        let name_expr = parts.next().unwrap_or_default().trim();
        let name = if name_expr.starts_with("parameters(") {
            evaluate(
                &json!(format!("[{name_expr}]")),
                parameters,
                location,
                scope,
            )
            .as_str()
            .unwrap_or_default()
            .to_owned()
        } else {
            quoted(name_expr)
        };
        return json!(format!("{scope}/providers/{kind}/{name}"));
    }
    value.clone()
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
    let tenant_view: &Tenant = &tenant;
    let sub = tenant_view
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
        })?;
    let scope = format!("/subscriptions/{sub_id}/resourceGroups/{}", group.name);
    let location = group.location.clone();

    let mut made = Vec::new();
    let mut error = None;
    for resource in &resources {
        if !resource["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/virtualMachines"))
        {
            continue;
        }
        let vm_name = evaluate(&resource["name"], &parameters, &location, &scope)
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let disk_id = evaluate(
            &resource["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"],
            &parameters,
            &location,
            &scope,
        );
        match vm_from_disk(
            tenant_view,
            sub,
            &vm_name,
            disk_id.as_str().unwrap_or_default(),
            resource,
            &location,
        ) {
            Ok(vm) => made.push(vm),
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
        output_resources: made
            .iter()
            .map(|vm| {
                format!(
                    "{scope}/providers/Microsoft.Compute/virtualMachines/{}",
                    vm.name
                )
            })
            .collect(),
        error,
    };
    let sub = tenant
        .subscription_mut(&sub_id)
        .ok_or_else(|| subscription_not_found(&sub_id))?;
    if record.error.is_none() {
        for vm in made {
            sub.virtual_machines.retain(|v| {
                !(v.resource_group.eq_ignore_ascii_case(&vm.resource_group)
                    && v.name.eq_ignore_ascii_case(&vm.name))
            });
            sub.virtual_machines.push(vm);
        }
    }
    sub.deployments.retain(|d| {
        !(d.resource_group.eq_ignore_ascii_case(rg) && d.name.eq_ignore_ascii_case(name))
    });
    sub.deployments.push(record.clone());
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
