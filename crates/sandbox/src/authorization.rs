//! Azure RBAC at key vault scope: role assignments (list, get, create, delete) and the
//! built-in Key Vault role definitions.
//!
//! An assignment of Key Vault Administrator, or of roles (the tenant's custom ones included)
//! whose data actions cover what Backup needs, to the Backup Management Service is what lets
//! Backup read an RBAC vault's keys and secrets; the backup outcome reads these records.

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, subscription_not_found};
use crate::tenant::{KeyVaultRecord, RoleAssignmentRecord, Tenant};

/// Key Vault Administrator, the built-in role the docs prescribe for RBAC vaults.
pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

/// A built-in role: id, name, description, data actions.
struct BuiltInRole {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    data_actions: &'static [&'static str],
}

const ROLES: &[BuiltInRole] = &[
    BuiltInRole {
        id: crate::authorization::KEY_VAULT_ADMINISTRATOR,
        name: "Key Vault Administrator",
        description: "Every data-plane operation on a key vault and its keys, secrets and certificates.",
        data_actions: &["Microsoft.KeyVault/vaults/*"],
    },
    BuiltInRole {
        id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        name: "Key Vault Crypto Officer",
        description: "Every operation on a key vault's keys, except managing permissions.",
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/*",
            "Microsoft.KeyVault/vaults/keyrotationpolicies/*",
        ],
    },
    BuiltInRole {
        id: "12338af0-0e69-4776-bea7-57ae8d297424",
        name: "Key Vault Crypto User",
        description: "Cryptographic operations with keys.",
        data_actions: &[
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
    },
    BuiltInRole {
        id: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        name: "Key Vault Secrets Officer",
        description: "Every operation on a key vault's secrets, except managing permissions.",
        data_actions: &["Microsoft.KeyVault/vaults/secrets/*"],
    },
    BuiltInRole {
        id: "4633458b-17de-408a-b874-0445c86b69e6",
        name: "Key Vault Secrets User",
        description: "Read secret contents.",
        data_actions: &[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ],
    },
];

/// A role as the API shows it: built in, or one of the tenant's custom roles.
struct RoleView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    data_actions: Vec<&'a str>,
    kind: &'static str,
}

/// Every role the tenant can assign: the built-in Key Vault roles, then its custom ones.
fn all_roles(tenant: &Tenant) -> Vec<RoleView<'_>> {
    ROLES
        .iter()
        .map(|r| RoleView {
            id: r.id,
            name: r.name,
            description: r.description,
            data_actions: r.data_actions.to_vec(),
            kind: "BuiltInRole",
        })
        .chain(tenant.custom_roles.iter().map(|r| RoleView {
            id: &r.id,
            name: &r.name,
            description: &r.description,
            data_actions: r.data_actions.iter().map(String::as_str).collect(),
            kind: "CustomRole",
        }))
        .collect()
}

/// The data actions role `id` grants (none for an unknown role).
pub fn data_actions_of(tenant: &Tenant, id: &str) -> Vec<String> {
    all_roles(tenant)
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
        .map(|r| r.data_actions.iter().map(|a| (*a).to_owned()).collect())
        .unwrap_or_default()
}

/// Whether a data-action pattern (`*` at its end or alone) grants `action`, without case.
pub fn grants(pattern: &str, action: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => action
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase()),
        None => pattern.eq_ignore_ascii_case(action),
    }
}

fn role_json(subscription: &str, role: &RoleView<'_>) -> Value {
    json!({
        "id": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}", role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.name,
            "type": role.kind,
            "description": role.description,
            "assignableScopes": if role.kind == "BuiltInRole" { json!(["/"]) } else { json!([format!("/subscriptions/{subscription}")]) },
            "permissions": [{ "actions": [], "notActions": [], "dataActions": role.data_actions, "notDataActions": [] }]
        }
    })
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=roleName eq '…']`
pub fn list_role_definitions(
    tenant: &Tenant,
    subscription: &str,
    filter: Option<&str>,
) -> Response {
    let wanted = filter
        .and_then(|f| f.trim().strip_prefix("roleName eq '"))
        .and_then(|r| r.strip_suffix('\''));
    let value: Vec<Value> = all_roles(tenant)
        .iter()
        .filter(|r| wanted.is_none_or(|w| r.name.eq_ignore_ascii_case(w)))
        .map(|r| role_json(subscription, r))
        .collect();
    Json(json!({ "value": value })).into_response()
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}`
pub fn get_role_definition(
    tenant: &Tenant,
    subscription: &str,
    id: &str,
) -> Result<Response, ArmError> {
    all_roles(tenant)
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
        .map(|r| Json(role_json(subscription, r)).into_response())
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "RoleDefinitionDoesNotExist",
                format!("The role definition '{id}' does not exist."),
            )
        })
}

fn vault_scope(subscription: &str, kv: &KeyVaultRecord) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
        kv.resource_group, kv.name
    )
}

fn assignment_json(subscription: &str, kv: &KeyVaultRecord, a: &RoleAssignmentRecord) -> Value {
    let scope = vault_scope(subscription, kv);
    json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{}", a.name),
        "name": a.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}", a.role_definition),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": scope
        }
    })
}

#[derive(Deserialize)]
struct AssignmentBody {
    properties: AssignmentProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentProperties {
    role_definition_id: String,
    principal_id: String,
    principal_type: Option<String>,
}

/// A request at a key vault's scope, for `roleAssignments[/{name}]`.
pub struct VaultScoped<'a> {
    /// Method.
    pub method: &'a Method,
    /// Subscription as sent.
    pub subscription: &'a str,
    /// Key vault resource group.
    pub resource_group: &'a str,
    /// Key vault name.
    pub vault: &'a str,
    /// Assignment name, when one is addressed.
    pub name: Option<&'a str>,
    /// `$filter`, for lists.
    pub filter: Option<&'a str>,
    /// Body, for PUT.
    pub body: &'a [u8],
}

fn bad_request(code: &'static str, message: impl Into<String>) -> ArmError {
    ArmError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Role assignments at a key vault's scope.
pub fn role_assignments(state: &Shared, r: &VaultScoped<'_>) -> Result<Response, ArmError> {
    if *r.method == Method::PUT {
        return create(state, r);
    }
    if *r.method == Method::GET {
        return read_assignments(state, r);
    }
    let mut tenant = state.tenant_mut();
    let sub = tenant
        .subscription_mut(r.subscription)
        .ok_or_else(|| subscription_not_found(r.subscription))?;
    let sub_id = sub.subscription_id.clone();
    let kv = crate::keyvault::live_vault_mut(sub, r.resource_group, r.vault)?;
    match (r.method, r.name) {
        (&Method::DELETE, Some(name)) => {
            let index = kv
                .role_assignments
                .iter()
                .position(|a| a.name.eq_ignore_ascii_case(name))
                .ok_or_else(|| assignment_not_found(name))?;
            let removed = kv.role_assignments.remove(index);
            let body = assignment_json(&sub_id, kv, &removed);
            state.persist(&tenant)?;
            Ok(Json(body).into_response())
        }
        _ => Err(ArmError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Use GET, PUT or DELETE on role assignments.",
        )),
    }
}

/// `GET` of a vault's role assignments, all of them or one: `$filter=principalId eq '…'`
/// keeps one principal's; `atScope()` (or no filter) keeps them all, as every assignment the
/// sandbox holds is made at the vault.
fn read_assignments(state: &Shared, r: &VaultScoped<'_>) -> Result<Response, ArmError> {
    let tenant = state.tenant();
    let sub = tenant
        .subscription(r.subscription)
        .ok_or_else(|| subscription_not_found(r.subscription))?;
    let kv = crate::keyvault::find(sub, r.resource_group, r.vault)?;
    match r.name {
        None => {
            let principal = r
                .filter
                .and_then(|f| f.trim().strip_prefix("principalId eq '"))
                .and_then(|p| p.strip_suffix('\''));
            let value: Vec<Value> = kv
                .role_assignments
                .iter()
                .filter(|a| principal.is_none_or(|p| a.principal_id.eq_ignore_ascii_case(p)))
                .map(|a| assignment_json(&sub.subscription_id, kv, a))
                .collect();
            Ok(Json(json!({ "value": value })).into_response())
        }
        Some(name) => kv
            .role_assignments
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| Json(assignment_json(&sub.subscription_id, kv, a)).into_response())
            .ok_or_else(|| assignment_not_found(name)),
    }
}

fn assignment_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "RoleAssignmentNotFound",
        format!("The role assignment '{name}' is not found."),
    )
}

fn create(state: &Shared, r: &VaultScoped<'_>) -> Result<Response, ArmError> {
    let name = r.name.ok_or_else(|| {
        bad_request(
            "InvalidRoleAssignmentId",
            "PUT a role assignment at .../roleAssignments/{new GUID}.",
        )
    })?;
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(bad_request(
            "InvalidRoleAssignmentId",
            format!("The role assignment name '{name}' is not a GUID."),
        ));
    }
    let body: AssignmentBody = serde_json::from_slice(r.body).map_err(|e| {
        bad_request(
            "InvalidRequestContent",
            format!("The role assignment body is not valid: {e}."),
        )
    })?;
    let mut tenant = state.tenant_mut();
    let role = crate::arm::segment_after(&body.properties.role_definition_id, "roleDefinitions")
        .filter(|id| {
            all_roles(&tenant)
                .iter()
                .any(|role| role.id.eq_ignore_ascii_case(id))
        })
        .ok_or_else(|| {
            bad_request(
                "RoleDefinitionDoesNotExist",
                format!(
                    "The role definition '{}' does not exist.",
                    body.properties.role_definition_id
                ),
            )
        })?
        .to_ascii_lowercase();
    if !tenant.service_principals.iter().any(|sp| {
        sp.object_id
            .eq_ignore_ascii_case(&body.properties.principal_id)
    }) {
        return Err(bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {} does not exist in the directory {}.",
                body.properties.principal_id, tenant.tenant_id
            ),
        ));
    }
    let sub = tenant
        .subscription_mut(r.subscription)
        .ok_or_else(|| subscription_not_found(r.subscription))?;
    let sub_id = sub.subscription_id.clone();
    let kv = crate::keyvault::live_vault_mut(sub, r.resource_group, r.vault)?;
    if kv.role_assignments.iter().any(|a| {
        a.role_definition.eq_ignore_ascii_case(&role)
            && a.principal_id
                .eq_ignore_ascii_case(&body.properties.principal_id)
    }) {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "RoleAssignmentExists",
            "The role assignment already exists.",
        ));
    }
    let record = RoleAssignmentRecord {
        name: name.to_ascii_lowercase(),
        role_definition: role,
        principal_id: body.properties.principal_id,
        principal_type: body
            .properties
            .principal_type
            .unwrap_or_else(|| "ServicePrincipal".to_owned()),
    };
    let json = assignment_json(&sub_id, kv, &record);
    kv.role_assignments.push(record);
    state.persist(&tenant)?;
    Ok((StatusCode::CREATED, Json(json)).into_response())
}
