//! safehold-azure against a sandbox started per test: the exact code path real Azure uses,
//! over real HTTPS, with only the endpoints and the trusted CA changed.

use safehold_azure::identity::credential;
use safehold_azure::{ArmClient, Cloud};
use safehold_core::ports::{RecoveryServicesApi as _, ResourceManagerApi as _};
use safehold_core::{Advice, ErrorCode};
use safehold_sandbox::{Config, Sandbox};

pub(crate) struct Running {
    pub(crate) sandbox: Sandbox,
    pub(crate) cloud: Cloud,
    _dir: tempfile::TempDir,
}

pub(crate) async fn start(page_size: usize) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.page_size = page_size;
    let sandbox = Sandbox::start(config).await.unwrap();
    let endpoint = sandbox.endpoints().arm_endpoint.parse().unwrap();
    let authority = sandbox.endpoints().authority_host.parse().unwrap();
    let cloud = Cloud::sandbox(endpoint, authority, sandbox.ca_pem().to_owned());
    Running {
        sandbox,
        cloud,
        _dir: dir,
    }
}

pub(crate) fn client(r: &Running, secret: &str) -> ArmClient {
    let e = r.sandbox.endpoints();
    let credential =
        credential::client_secret(&r.cloud, &e.tenant_id, &e.client_id, secret.to_owned()).unwrap();
    ArmClient::new(&r.cloud, credential).unwrap()
}

#[tokio::test]
async fn signs_in_and_lists_subscriptions_and_vaults_across_pages() {
    let r = start(1).await;
    let arm = client(&r, r.sandbox.client_secret());
    let subscriptions = arm.list_subscriptions().await.unwrap();
    let names: Vec<_> = subscriptions
        .iter()
        .map(|s| s.display_name.as_str())
        .collect();
    assert_eq!(names, ["Contoso Production", "Contoso Development"]);
    assert!(
        subscriptions
            .iter()
            .all(|s| s.tenant_id == r.sandbox.endpoints().tenant_id)
    );

    let vaults = arm
        .list_recovery_vaults(&subscriptions[0].subscription_id)
        .await
        .unwrap();
    let names: Vec<_> = vaults.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "rsv-prod-japaneast",
            "rsv-prod-japanwest",
            "rsv-finance-eastus2"
        ]
    );
    let first = &vaults[0];
    assert_eq!(first.resource_group, "rg-backup-prod");
    assert_eq!(first.subscription_id, subscriptions[0].subscription_id);
    assert_eq!(first.location, "japaneast");
    assert_eq!(first.storage_redundancy.as_deref(), Some("GeoRedundant"));
    assert_eq!(first.provisioning_state.as_deref(), Some("Succeeded"));
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_at_verification() {
    let r = start(100).await;
    let e = r.sandbox.endpoints();
    let credential =
        credential::client_secret(&r.cloud, &e.tenant_id, &e.client_id, "wrong".into()).unwrap();
    let error = credential::verify(credential.as_ref(), &r.cloud)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Auth);
    assert!(error.chain().contains("AADSTS7000215"), "{}", error.chain());
    // Nothing secret reaches the message the UI shows.
    assert!(!error.chain().contains(r.sandbox.client_secret()));
}

#[tokio::test]
async fn an_unknown_subscription_is_not_found_with_a_request_id() {
    let r = start(100).await;
    let arm = client(&r, r.sandbox.client_secret());
    let error = arm
        .list_recovery_vaults("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert!(
        error.service_code_is("SubscriptionNotFound"),
        "{}",
        error.chain()
    );
    assert!(error.request_id.is_some());
}

#[tokio::test]
async fn a_malformed_subscription_id_is_refused_before_any_request() {
    let r = start(100).await;
    let arm = client(&r, r.sandbox.client_secret());
    let error = arm.list_recovery_vaults("../../tenants").await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
}

#[tokio::test]
async fn without_the_sandbox_ca_the_connection_is_not_trusted() {
    let r = start(100).await;
    let mut untrusting = r.cloud.clone();
    untrusting.extra_trusted_ca_pem = None;
    let e = r.sandbox.endpoints();
    let credential = credential::client_secret(
        &untrusting,
        &e.tenant_id,
        &e.client_id,
        r.sandbox.client_secret().to_owned(),
    )
    .unwrap();
    let error = credential::verify(credential.as_ref(), &untrusting)
        .await
        .unwrap_err();
    assert_ne!(error.code, ErrorCode::Internal, "{}", error.chain());
    assert!(
        matches!(error.code, ErrorCode::Auth | ErrorCode::Network),
        "{:?}",
        error.code
    );
}

#[tokio::test]
async fn an_unreachable_cloud_is_a_network_error() {
    let r = start(100).await;
    let e = r.sandbox.endpoints().clone();
    let cloud = r.cloud.clone();
    let secret = r.sandbox.client_secret().to_owned();
    r.sandbox.shutdown().await;
    let arm = ArmClient::new(
        &cloud,
        credential::client_secret(&cloud, &e.tenant_id, &e.client_id, secret).unwrap(),
    )
    .unwrap();
    let error = arm.list_subscriptions().await.unwrap_err();
    assert!(
        matches!(error.code, ErrorCode::Network | ErrorCode::Auth),
        "{:?}: {}",
        error.code,
        error.chain()
    );
}

#[tokio::test]
async fn lists_come_back_whole_through_injected_5xx_throttling_and_resets() {
    let r = start(1).await;
    let arm = client(&r, r.sandbox.client_secret());
    let clean: Vec<_> = arm.list_subscriptions().await.unwrap();
    let clean_vaults = arm
        .list_recovery_vaults(&clean[0].subscription_id)
        .await
        .unwrap();

    // A fixed seed makes the faults the same on every run.
    r.sandbox
        .faults()
        .set(safehold_sandbox::faults::FaultConfig {
            server_error_rate: 0.2,
            throttle_rate: 0.1,
            retry_after_secs: 1,
            reset_before_rate: 0.1,
            seed: Some(7),
            ..Default::default()
        })
        .unwrap();
    for _ in 0..3 {
        assert_eq!(arm.list_subscriptions().await.unwrap(), clean);
        assert_eq!(
            arm.list_recovery_vaults(&clean[0].subscription_id)
                .await
                .unwrap(),
            clean_vaults
        );
    }
    let counts = r.sandbox.faults().counts();
    assert!(
        counts.server_errors + counts.throttled + counts.resets_before > 0,
        "{counts:?}"
    );
}

mod sign_in;

/// The path of vm-sql-01's protected item in rsv-prod-japaneast.
fn sql_item(subscription: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-sql-prod;vm-sql-01/protectedItems/VM;iaasvmcontainerv2;rg-sql-prod;vm-sql-01"
    )
}

#[tokio::test]
async fn a_backup_trigger_is_sent_exactly_once() {
    let r = start(100).await;
    let arm = client(&r, r.sandbox.client_secret());
    let subscription = arm.list_subscriptions().await.unwrap()[0]
        .subscription_id
        .clone();
    let faults = r.sandbox.faults();
    faults
        .set(safehold_sandbox::faults::FaultConfig {
            server_error_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    faults.reset_counts();

    // Reads are retried (see lists_come_back_whole…); a trigger is not, and the error says to
    // look for the job first.
    let body = serde_json::json!({"properties": {"objectType": "IaasVMBackupRequest"}});
    let error = arm
        .send_once(
            azure_core::http::Method::Post,
            &format!("{}/backup", sql_item(&subscription)),
            "2024-04-01",
            &body,
        )
        .await
        .unwrap_err();
    assert_eq!(faults.counts().server_errors, 1);
    assert_eq!(
        error.advice,
        Advice::LookBeforeResending,
        "{}",
        error.chain()
    );

    // When the answer is lost after the service acted, the backup did start: sending it again
    // is refused because one is running.
    faults
        .set(safehold_sandbox::faults::FaultConfig {
            reset_after_rate: 1.0,
            ..Default::default()
        })
        .unwrap();
    let error = arm
        .send_once(
            azure_core::http::Method::Post,
            &format!("{}/backup", sql_item(&subscription)),
            "2024-04-01",
            &body,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.advice,
        Advice::LookBeforeResending,
        "{}",
        error.chain()
    );
    faults
        .set(safehold_sandbox::faults::FaultConfig::default())
        .unwrap();
    let again = arm
        .send_once(
            azure_core::http::Method::Post,
            &format!("{}/backup", sql_item(&subscription)),
            "2024-04-01",
            &body,
        )
        .await
        .unwrap_err();
    assert!(
        again.service_code_is("BMSUserErrorBackupOperationInProgress")
            || again.service_code_is("UserErrorBackupOperationInProgress"),
        "{}",
        again.chain()
    );
    assert_eq!(again.advice, Advice::FollowRunningBackup);
}

mod inventory;
