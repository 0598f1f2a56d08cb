//! Granting Backup access on the demo tenant's key vaults: the verdicts turn green, and no
//! other principal's entry is ever lost or altered, even with concurrent writers.

use std::sync::Arc;

use safehold_core::ade::{KeyProtection, Permissions, required_permissions};
use safehold_core::grant::{GrantChange, VaultLocks, apply};
use safehold_core::inventory::AccessPolicy;
use safehold_core::ports::{ArmApi, DirectoryApi, KeyVaultAccessApi};

use crate::start;

async fn setup() -> (
    crate::Running,
    Arc<safehold_azure::ArmClient>,
    String,
    String,
) {
    let r = start(100).await;
    let e = r.sandbox.endpoints().clone();
    let credential = safehold_azure::credential::client_secret(
        &r.cloud,
        &e.tenant_id,
        &e.client_id,
        r.sandbox.client_secret().to_owned(),
    )
    .unwrap();
    let arm = Arc::new(safehold_azure::ArmClient::new(&r.cloud, credential.clone()).unwrap());
    let backup = safehold_azure::GraphClient::new(&r.cloud, credential)
        .unwrap()
        .service_principal_by_app_id(safehold_azure::cloud::BACKUP_APP_ID_PUBLIC)
        .await
        .unwrap()
        .unwrap();
    let production = arm.list_subscriptions().await.unwrap()[0]
        .subscription_id
        .clone();
    (r, arm, backup, production)
}

fn vault_id(subscription: &str, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}"
    )
}

#[tokio::test]
async fn a_grant_adds_backups_entry_and_leaves_every_other_entry_as_it_was() {
    let (_r, arm, backup, production) = setup().await;
    let id = vault_id(&production, "rg-finance", "kv-finance-ade");
    let before = arm.get_key_vault(&id).await.unwrap();
    let required = required_permissions(KeyProtection::BekKek);
    let planned = apply(
        arm.as_ref(),
        &VaultLocks::default(),
        &id,
        &backup,
        &required,
    )
    .await
    .unwrap();
    assert!(matches!(planned.change, GrantChange::AccessPolicy { .. }));
    let after = arm.get_key_vault(&id).await.unwrap();
    let others_before: Vec<&AccessPolicy> = before
        .access_policies
        .iter()
        .filter(|p| p.object_id != backup)
        .collect();
    let others_after: Vec<&AccessPolicy> = after
        .access_policies
        .iter()
        .filter(|p| p.object_id != backup)
        .collect();
    assert_eq!(others_before, others_after);
    let mine = after
        .access_policies
        .iter()
        .find(|p| p.object_id == backup)
        .unwrap();
    assert_eq!(mine.permissions, required);
    // A second grant changes nothing.
    let again = apply(
        arm.as_ref(),
        &VaultLocks::default(),
        &id,
        &backup,
        &required,
    )
    .await
    .unwrap();
    assert_eq!(again.change, GrantChange::Nothing);
}

#[tokio::test]
async fn an_rbac_vault_gets_key_vault_administrator_for_backup() {
    use safehold_core::ports::InventoryApi;
    let (_r, arm, backup, production) = setup().await;
    let id = vault_id(&production, "rg-hr", "kv-hr-rbac");
    assert!(
        arm.list_role_assignments(&id, &backup)
            .await
            .unwrap()
            .is_empty()
    );
    let planned = apply(
        arm.as_ref(),
        &VaultLocks::default(),
        &id,
        &backup,
        &required_permissions(KeyProtection::BekKek),
    )
    .await
    .unwrap();
    assert!(matches!(planned.change, GrantChange::RoleAssignment { .. }));
    let assignments = arm.list_role_assignments(&id, &backup).await.unwrap();
    assert_eq!(
        safehold_core::scan::rbac_access(&assignments),
        safehold_core::scan::BackupAccess::Granted
    );
}

#[tokio::test]
async fn concurrent_grants_and_a_foreign_writer_never_lose_an_entry() {
    let (_r, arm, _backup, production) = setup().await;
    let id = vault_id(&production, "rg-security-prod", "kv-shared-jpe");
    let before = arm.get_key_vault(&id).await.unwrap();
    let tenant = before.tenant_id.clone();
    // Eight workers, each in its own "process" (its own locks), each granting one principal,
    // and a foreign writer adding its own entry several times, all at once.
    let principals: Vec<String> = (0..8).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let required = required_permissions(KeyProtection::BekOnly);
    let mut tasks = vec![];
    for principal in principals.clone() {
        let (arm, id, required) = (arm.clone(), id.clone(), required.clone());
        tasks.push(tokio::spawn(async move {
            apply(
                arm.as_ref(),
                &VaultLocks::default(),
                &id,
                &principal,
                &required,
            )
            .await
            .map(drop)
        }));
    }
    let foreign = uuid::Uuid::new_v4().to_string();
    {
        let (arm, id, foreign, tenant) = (arm.clone(), id.clone(), foreign.clone(), tenant.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..3 {
                let entry = AccessPolicy {
                    tenant_id: tenant.clone(),
                    object_id: foreign.clone(),
                    application_id: None,
                    permissions: Permissions::from_lists(
                        ["get"],
                        if round == 2 { vec!["list"] } else { vec![] },
                    ),
                };
                // The foreign writer retries its own conflicts, as any client should.
                loop {
                    match arm.add_access_policy(&id, &entry).await {
                        Ok(()) => break,
                        Err(e) if e.code == safehold_core::ErrorCode::Conflict => {
                            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let after = arm.get_key_vault(&id).await.unwrap();
    for original in &before.access_policies {
        assert!(
            after.access_policies.contains(original),
            "{original:?} was lost or altered"
        );
    }
    for principal in &principals {
        let entry = after
            .access_policies
            .iter()
            .find(|p| &p.object_id == principal)
            .unwrap();
        assert_eq!(entry.permissions, required);
    }
    let foreign_entry = after
        .access_policies
        .iter()
        .find(|p| p.object_id == foreign)
        .unwrap();
    assert_eq!(
        foreign_entry.permissions,
        Permissions::from_lists(["get"], ["list"])
    );
    assert_eq!(
        after.access_policies.len(),
        before.access_policies.len() + 9
    );
}
