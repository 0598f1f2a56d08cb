//! Azure role-based access control: the role assignments that apply at a scope, role
//! definitions, and assigning a role.

use safehold_core::inventory::{RoleAssignmentRecord, RoleDefinitionRecord, resource_id_segment};
use safehold_core::ports::{AuthorizationApi, RoleAssignmentFilter};
use safehold_core::{Error, Problem, Service};
use serde_json::Value;

use crate::ArmClient;
use crate::json::{list, text};

const AUTHORIZATION_API: &str = "2022-04-01";

impl ArmClient {
    /// The role assignments at `scope` that ARM's `$filter` `filter` selects.
    async fn role_assignments_matching(
        &self,
        scope: &str,
        filter: &str,
    ) -> Result<Vec<RoleAssignmentRecord>, Error> {
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments",
            scope.trim_end_matches('/')
        );
        let mut url = self.url(&path, AUTHORIZATION_API)?;
        url.query_pairs_mut().append_pair("$filter", filter);
        let items: Vec<Value> = self.list_all(url).await?;
        Ok(items
            .iter()
            .filter_map(|a| {
                Some(RoleAssignmentRecord {
                    role_definition_id: text(a, "/properties/roleDefinitionId")?,
                    principal_id: text(a, "/properties/principalId")?,
                    scope: text(a, "/properties/scope").unwrap_or_default(),
                })
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl AuthorizationApi for ArmClient {
    #[tracing::instrument(skip_all, fields(scope = %scope))]
    async fn role_assignments(
        &self,
        scope: &str,
        whom: RoleAssignmentFilter<'_>,
    ) -> Result<Vec<RoleAssignmentRecord>, Error> {
        match whom {
            // `atScope()`: the assignments made at the vault or above it, not those below.
            RoleAssignmentFilter::Everyone => {
                self.role_assignments_matching(scope, "atScope()").await
            }
            RoleAssignmentFilter::Principal(principal_id) => {
                self.role_assignments_matching(scope, &format!("principalId eq '{principal_id}'"))
                    .await
            }
        }
    }

    #[tracing::instrument(skip_all, fields(role = %role_guid))]
    async fn get_role_definition(
        &self,
        scope: &str,
        role_guid: &str,
    ) -> Result<RoleDefinitionRecord, Error> {
        let subscription = resource_id_segment(scope, "subscriptions").unwrap_or_default();
        let path = format!(
            "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
        );
        let response = self.get(self.url(&path, AUTHORIZATION_API)?).await?;
        let role: Value = serde_json::from_slice(response.body()).map_err(|e| {
            Error::new(
                safehold_core::ErrorCode::Internal,
                Problem::UnreadableAnswer {
                    service: Service::ResourceManager,
                },
            )
            .with_source(e)
        })?;
        let actions = |field: &str| -> Vec<String> {
            list(&role, "/properties/permissions")
                .iter()
                .flat_map(|block| list(block, &format!("/{field}")))
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        Ok(RoleDefinitionRecord {
            id: role_guid.to_owned(),
            name: text(&role, "/properties/roleName").unwrap_or_else(|| role_guid.to_owned()),
            data_actions: actions("dataActions"),
            not_data_actions: actions("notDataActions"),
        })
    }

    #[tracing::instrument(skip_all, fields(scope = %scope))]
    async fn assign_role(
        &self,
        scope: &str,
        role_definition_guid: &str,
        principal_id: &str,
    ) -> Result<(), Error> {
        let subscription = resource_id_segment(scope, "subscriptions").unwrap_or_default();
        let body = serde_json::json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_guid}"),
            "principalId": principal_id,
            "principalType": "ServicePrincipal"
        }});
        let path = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            scope.trim_end_matches('/'),
            uuid::Uuid::new_v4()
        );
        match self.put_json(&path, AUTHORIZATION_API, &body).await {
            Ok(_) => Ok(()),
            // The same role for the same principal at the same scope is already there.
            Err(error) if error.service_code_is("RoleAssignmentExists") => Ok(()),
            Err(error) => Err(error),
        }
    }
}
