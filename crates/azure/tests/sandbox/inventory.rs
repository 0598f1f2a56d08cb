//! The inventory's list calls against the demo tenant: every VM classified as the seed
//! describes it, from a handful of list calls.

use safehold_core::ade::{AdePass, AgentState, DiskKind, KeyProtection, OsType, classify};
use safehold_core::inventory::join_disks;
use safehold_core::ports::{ComputeApi, KeyVaultApi, RecoveryServicesApi, ResourceManagerApi};

use crate::{client, start};

#[tokio::test]
async fn every_demo_vm_is_classified_from_list_calls_only() {
    let r = start(3).await;
    let arm = client(&r, r.sandbox.client_secret());
    let production = arm.list_subscriptions().await.unwrap()[0]
        .subscription_id
        .clone();
    r.sandbox.faults().reset_counts();
    let mut vms = arm.list_vms(&production).await.unwrap();
    let disks = arm.list_disks(&production).await.unwrap();
    join_disks(&mut vms, &disks);
    let classified: Vec<_> = vms
        .iter()
        .map(|vm| {
            (
                vm.name.as_str(),
                classify(&vm.facts),
                &vm.facts,
                &vm.problems,
            )
        })
        .collect();
    let find = |name: &str| {
        classified
            .iter()
            .find(|(n, ..)| *n == name)
            .unwrap_or_else(|| panic!("{name} is not listed"))
    };
    for (name, _, _, problems) in &classified {
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }

    let (_, sql, facts, _) = find("vm-sql-01");
    let ade = sql.ade.as_ref().unwrap();
    assert_eq!(
        (ade.pass, ade.keys),
        (AdePass::SinglePass, KeyProtection::BekKek)
    );
    assert_eq!(
        (sql.os, sql.disks),
        (Some(OsType::Windows), Some(DiskKind::Managed))
    );
    assert_eq!(ade.secret.as_ref().unwrap().vault_name, "kv-prod-jpe-ade");
    assert_eq!(facts.agent, AgentState::Ready);

    let (_, legacy, ..) = find("vm-legacy-web01");
    let ade = legacy.ade.as_ref().unwrap();
    assert_eq!(
        (ade.pass, ade.keys),
        (AdePass::DualPass, KeyProtection::BekOnly)
    );
    assert_eq!(legacy.disks, Some(DiskKind::Unmanaged));

    let (_, linux, ..) = find("vm-app-lnx01");
    assert_eq!(linux.os, Some(OsType::Linux));
    assert_eq!(linux.ade.as_ref().unwrap().keys, KeyProtection::BekKek);

    let (_, _, batch, _) = find("vm-batch02");
    assert_eq!(batch.agent, AgentState::NotReady);

    let (_, rbac, ..) = find("vm-hr-rbac01");
    assert_eq!(
        rbac.ade
            .as_ref()
            .unwrap()
            .secret
            .as_ref()
            .unwrap()
            .vault_name,
        "kv-hr-rbac"
    );

    // Key vaults and protected VMs: one list each.
    let vaults = arm.list_key_vaults(&production).await.unwrap();
    let hr = vaults.iter().find(|v| v.name == "kv-hr-rbac").unwrap();
    assert!(hr.rbac_authorization);
    let shared = vaults.iter().find(|v| v.name == "kv-shared-jpe").unwrap();
    assert!(shared.access_policies.len() >= 3, "{shared:?}");
    let recovery = arm.list_recovery_vaults(&production).await.unwrap();
    let protected = arm
        .list_protected_vms(
            &recovery
                .iter()
                .find(|v| v.name == "rsv-prod-japaneast")
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert!(
        protected.iter().any(|p| p
            .source_resource_id
            .to_ascii_lowercase()
            .ends_with("/virtualmachines/vm-sql-01")),
        "{protected:?}"
    );
}
