use crate::Result;
use crate::inventory::{RoleAssignmentRecord, RoleDefinitionRecord};

/// Whose role assignments to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleAssignmentFilter<'a> {
    /// Everyone's that apply at the scope (made there or inherited from above it).
    Everyone,
    /// Only this principal's that apply at the scope.
    Principal(&'a str),
}

/// Azure role-based access control (Microsoft.Authorization).
#[async_trait::async_trait]
pub trait AuthorizationApi: Send + Sync {
    /// The role assignments that apply at `scope` (a key vault's id), for `whom`.
    async fn role_assignments(
        &self,
        scope: &str,
        whom: RoleAssignmentFilter<'_>,
    ) -> Result<Vec<RoleAssignmentRecord>>;

    /// A role definition by its GUID, as seen from `scope` (custom roles live in the
    /// subscription).
    async fn get_role_definition(
        &self,
        scope: &str,
        role_guid: &str,
    ) -> Result<RoleDefinitionRecord>;

    /// Assigns `role_definition_guid` to a service principal at `scope`. An identical existing
    /// assignment counts as done.
    async fn assign_role(
        &self,
        scope: &str,
        role_definition_guid: &str,
        principal_id: &str,
    ) -> Result<()>;
}
