//! Azure RBAC for key vaults: role assignments at a vault's scope (list, get, create, delete),
//! the built-in Key Vault role definitions and the tenant's custom ones, and the one decision of
//! whether a principal may perform a data action on a vault ([`grants_data_action`]).
//!
//! Both the Key Vault data plane (on an RBAC vault) and Backup's check of its access to a key
//! vault ask [`grants_data_action`], so a role that lets Backup read a vault also lets the
//! data plane serve Backup's reads, and the other way round. The decision follows Azure's
//! rules: every assignment of the principal at the vault, its resource group or its
//! subscription counts; a role grants an action when one of its data actions matches it and
//! none of its not-data-actions does; `*` matches any run of characters; role definition ids
//! and principal ids compare without case.

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Shared;
use crate::arm::{ArmError, subscription_not_found};
use crate::tenant::{KeyVaultRecord, RoleAssignmentRecord, SubscriptionRecord, Tenant};

/// Key Vault Administrator, the built-in role the docs prescribe for RBAC vaults.
pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

/// A built-in role: id, name, description, data actions. None of the Key Vault roles takes
/// data actions back.
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
    not_data_actions: Vec<&'a str>,
    kind: &'static str,
}

impl RoleView<'_> {
    /// Whether this role, on its own, grants `action`.
    fn grants(&self, action: &str) -> bool {
        self.data_actions
            .iter()
            .any(|pattern| action_matches(pattern, action))
            && !self
                .not_data_actions
                .iter()
                .any(|pattern| action_matches(pattern, action))
    }
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
            not_data_actions: vec![],
            kind: "BuiltInRole",
        })
        .chain(tenant.custom_roles.iter().map(|r| RoleView {
            id: &r.id,
            name: &r.name,
            description: &r.description,
            data_actions: r.data_actions.iter().map(String::as_str).collect(),
            not_data_actions: r.not_data_actions.iter().map(String::as_str).collect(),
            kind: "CustomRole",
        }))
        .collect()
}

/// The role a role definition id names: a bare GUID or a full
/// `.../providers/Microsoft.Authorization/roleDefinitions/{guid}` id, in any case.
fn role<'a>(roles: &'a [RoleView<'a>], definition: &str) -> Option<&'a RoleView<'a>> {
    let guid = definition.rsplit('/').next().unwrap_or(definition);
    roles.iter().find(|r| r.id.eq_ignore_ascii_case(guid))
}

/// The role assignments that apply at key vault `kv` of `sub`: those made at the vault, at
/// its resource group and at the subscription.
pub fn assignments_at_vault<'a>(
    sub: &'a SubscriptionRecord,
    kv: &'a KeyVaultRecord,
) -> impl Iterator<Item = &'a RoleAssignmentRecord> {
    let group = sub
        .resource_groups
        .iter()
        .filter(|g| g.name.eq_ignore_ascii_case(&kv.resource_group))
        .flat_map(|g| &g.role_assignments);
    kv.role_assignments
        .iter()
        .chain(group)
        .chain(&sub.role_assignments)
}

/// Whether `principal`'s role assignments that apply at key vault `kv` of `sub` grant the data
/// action `action` (for example `Microsoft.KeyVault/vaults/secrets/getSecret/action`).
///
/// Roles are the built-in Key Vault ones and the tenant's custom ones; an assignment of a role
/// that does not exist grants nothing. Access policies are not consulted: the caller decides
/// whether the vault uses RBAC.
pub fn grants_data_action(
    tenant: &Tenant,
    sub: &SubscriptionRecord,
    kv: &KeyVaultRecord,
    principal: &str,
    action: &str,
) -> bool {
    let roles = all_roles(tenant);
    assignments_at_vault(sub, kv)
        .filter(|a| a.principal_id.eq_ignore_ascii_case(principal))
        .filter_map(|a| role(&roles, &a.role_definition))
        .any(|r| r.grants(action))
}

/// Whether the action pattern `pattern` matches `action`, without case; `*` stands for any
/// run of characters (`Microsoft.KeyVault/vaults/secrets/*`, `Microsoft.KeyVault/*/read`).
fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole action must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
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
            "permissions": [{ "actions": [], "notActions": [], "dataActions": role.data_actions, "notDataActions": role.not_data_actions }]
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
    scoped_assignment_json(subscription, &vault_scope(subscription, kv), a)
}

fn scoped_assignment_json(subscription: &str, scope: &str, a: &RoleAssignmentRecord) -> Value {
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

/// `GET` of a vault's role assignments, all of them or one. A list holds those that apply at
/// the vault, inherited ones included (shown at their own scope), as ARM lists them:
/// `$filter=principalId eq '…'` keeps one principal's; `atScope()` (or no filter) keeps them
/// all, as the sandbox holds no assignment below a vault.
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
            let subscription = &sub.subscription_id;
            let at_vault = kv
                .role_assignments
                .iter()
                .map(|a| (vault_scope(subscription, kv), a));
            let at_group = sub
                .resource_groups
                .iter()
                .filter(|g| g.name.eq_ignore_ascii_case(&kv.resource_group))
                .flat_map(|g| {
                    g.role_assignments.iter().map(|a| {
                        (
                            format!("/subscriptions/{subscription}/resourceGroups/{}", g.name),
                            a,
                        )
                    })
                });
            let at_subscription = sub
                .role_assignments
                .iter()
                .map(|a| (format!("/subscriptions/{subscription}"), a));
            let value: Vec<Value> = at_vault
                .chain(at_group)
                .chain(at_subscription)
                .filter(|(_, a)| principal.is_none_or(|p| a.principal_id.eq_ignore_ascii_case(p)))
                .map(|(scope, a)| scoped_assignment_json(subscription, &scope, a))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::CustomRoleRecord;

    const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
    const PRINCIPAL: &str = "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4";
    const GET_SECRET: &str = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    const READ_KEY: &str = "Microsoft.KeyVault/vaults/keys/read";
    const BACKUP_SECRET: &str = "Microsoft.KeyVault/vaults/secrets/backup/action";
    const PURGE_SECRET: &str = "Microsoft.KeyVault/vaults/secrets/purge/action";

    /// The demo tenant with one RBAC vault (`kv-hr-rbac`, in rg-hr) stripped of its
    /// assignments, and the position of its subscription.
    fn tenant() -> (Tenant, usize) {
        let mut tenant = crate::seed::contoso_in("00000000-0000-0000-0000-0000000000aa");
        let index = tenant
            .subscriptions
            .iter()
            .position(|s| s.key_vaults.iter().any(|k| k.name == "kv-hr-rbac"))
            .expect("the seed has kv-hr-rbac");
        for kv in &mut tenant.subscriptions[index].key_vaults {
            kv.role_assignments.clear();
        }
        (tenant, index)
    }

    fn assignment(role: &str, principal: &str) -> RoleAssignmentRecord {
        RoleAssignmentRecord {
            name: uuid::Uuid::new_v4().to_string(),
            role_definition: role.to_owned(),
            principal_id: principal.to_owned(),
            principal_type: "ServicePrincipal".to_owned(),
        }
    }

    fn vault_mut<'a>(tenant: &'a mut Tenant, sub: usize, name: &str) -> &'a mut KeyVaultRecord {
        tenant.subscriptions[sub]
            .key_vaults
            .iter_mut()
            .find(|k| k.name == name)
            .expect("vault exists")
    }

    /// Whether `PRINCIPAL` may do `action` on vault `name`.
    fn may(tenant: &Tenant, sub: usize, name: &str, action: &str) -> bool {
        let sub = &tenant.subscriptions[sub];
        let kv = sub
            .key_vaults
            .iter()
            .find(|k| k.name == name)
            .expect("vault");
        grants_data_action(tenant, sub, kv, PRINCIPAL, action)
    }

    #[test]
    fn key_vault_administrator_grants_every_data_action() {
        let (mut tenant, sub) = tenant();
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(KEY_VAULT_ADMINISTRATOR, PRINCIPAL));
        for action in [GET_SECRET, READ_KEY, BACKUP_SECRET, PURGE_SECRET] {
            assert!(may(&tenant, sub, "kv-hr-rbac", action), "{action}");
        }
        assert!(
            !grants_data_action(
                &tenant,
                &tenant.subscriptions[sub],
                &tenant.subscriptions[sub].key_vaults[0],
                "someone-else",
                GET_SECRET
            ),
            "only the assigned principal"
        );
    }

    #[test]
    fn secrets_user_reads_secrets_and_nothing_else() {
        let (mut tenant, sub) = tenant();
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(SECRETS_USER, PRINCIPAL));
        assert!(may(&tenant, sub, "kv-hr-rbac", GET_SECRET));
        assert!(may(
            &tenant,
            sub,
            "kv-hr-rbac",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
        ));
        assert!(!may(&tenant, sub, "kv-hr-rbac", BACKUP_SECRET));
        assert!(!may(&tenant, sub, "kv-hr-rbac", READ_KEY));
    }

    #[test]
    fn the_least_privilege_custom_role_grants_what_backup_needs_and_no_more() {
        let (mut tenant, sub) = tenant();
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(crate::seed::BACKUP_KEY_READER_ROLE, PRINCIPAL));
        for action in [
            "Microsoft.KeyVault/vaults/keys/backup/action",
            BACKUP_SECRET,
            GET_SECRET,
            READ_KEY,
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ] {
            assert!(may(&tenant, sub, "kv-hr-rbac", action), "{action}");
        }
        assert!(!may(
            &tenant,
            sub,
            "kv-hr-rbac",
            "Microsoft.KeyVault/vaults/secrets/setSecret/action"
        ));
        assert!(!may(&tenant, sub, "kv-hr-rbac", PURGE_SECRET));
    }

    #[test]
    fn not_data_actions_take_back_what_a_wildcard_grants() {
        let (mut tenant, sub) = tenant();
        let role = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
        tenant.custom_roles.push(CustomRoleRecord {
            id: role.to_owned(),
            name: "Secrets, never purged".to_owned(),
            description: "Everything on secrets except purging them.".to_owned(),
            data_actions: vec!["Microsoft.KeyVault/vaults/secrets/*".to_owned()],
            not_data_actions: vec!["Microsoft.KeyVault/vaults/secrets/purge/*".to_owned()],
        });
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(role, PRINCIPAL));
        assert!(may(&tenant, sub, "kv-hr-rbac", GET_SECRET));
        assert!(may(&tenant, sub, "kv-hr-rbac", BACKUP_SECRET));
        assert!(!may(&tenant, sub, "kv-hr-rbac", PURGE_SECRET));
        assert!(!may(&tenant, sub, "kv-hr-rbac", READ_KEY));
        // Another role that grants the purge still counts: not-data-actions bind one role only.
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(KEY_VAULT_ADMINISTRATOR, PRINCIPAL));
        assert!(may(&tenant, sub, "kv-hr-rbac", PURGE_SECRET));
    }

    #[test]
    fn role_definition_and_principal_ids_compare_without_case() {
        let (mut tenant, sub) = tenant();
        let subscription = tenant.subscriptions[sub].subscription_id.clone();
        let kv = vault_mut(&mut tenant, sub, "kv-hr-rbac");
        kv.role_assignments.push(assignment(
            &SECRETS_USER.to_ascii_uppercase(),
            &PRINCIPAL.to_ascii_uppercase(),
        ));
        assert!(may(&tenant, sub, "kv-hr-rbac", GET_SECRET));
        // A full role definition id, upper-case GUID and all.
        let (mut tenant, sub) = self::tenant();
        vault_mut(&mut tenant, sub, "kv-hr-rbac")
            .role_assignments
            .push(assignment(
                &format!(
                    "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{}",
                    KEY_VAULT_ADMINISTRATOR.to_ascii_uppercase()
                ),
                PRINCIPAL,
            ));
        assert!(may(&tenant, sub, "kv-hr-rbac", READ_KEY));
    }

    #[test]
    fn assignments_at_the_resource_group_or_subscription_apply_to_the_vault() {
        let (mut tenant, sub) = tenant();
        let other = tenant.subscriptions[sub]
            .key_vaults
            .iter()
            .find(|k| !k.resource_group.eq_ignore_ascii_case("rg-hr"))
            .map(|k| k.name.clone())
            .expect("a vault in another resource group");
        let group = tenant.subscriptions[sub]
            .resource_groups
            .iter_mut()
            .find(|g| g.name.eq_ignore_ascii_case("rg-hr"))
            .expect("rg-hr exists");
        group
            .role_assignments
            .push(assignment(SECRETS_USER, PRINCIPAL));
        assert!(may(&tenant, sub, "kv-hr-rbac", GET_SECRET));
        assert!(
            !may(&tenant, sub, &other, GET_SECRET),
            "a group's assignment stays in its group"
        );
        tenant.subscriptions[sub]
            .role_assignments
            .push(assignment(KEY_VAULT_ADMINISTRATOR, PRINCIPAL));
        assert!(may(&tenant, sub, &other, GET_SECRET));
    }

    #[test]
    fn wildcards_match_any_run_of_characters() {
        assert!(action_matches("*", GET_SECRET));
        assert!(action_matches(
            "microsoft.keyvault/vaults/secrets/*",
            GET_SECRET
        ));
        assert!(action_matches(
            "Microsoft.KeyVault/*/getSecret/action",
            GET_SECRET
        ));
        assert!(!action_matches(
            "Microsoft.KeyVault/vaults/keys/*",
            GET_SECRET
        ));
        assert!(!action_matches(
            "Microsoft.KeyVault/vaults/secrets/getSecret",
            GET_SECRET
        ));
        assert!(action_matches(GET_SECRET, &GET_SECRET.to_ascii_uppercase()));
    }
}
