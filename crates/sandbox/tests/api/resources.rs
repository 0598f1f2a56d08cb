use crate::support::{arm_error, start, start_with};

#[tokio::test]
async fn an_unknown_api_version_is_rejected_like_arm_does() {
    let s = start().await;
    let token = s.arm_token().await;
    let (status, _, body) = s
        .get("/subscriptions?api-version=2099-01-01", Some(&token))
        .await;
    assert_eq!(status, 400);
    let message = arm_error(&body, "InvalidApiVersionParameter");
    assert!(
        message.contains("2099-01-01") && message.contains("2022-12-01"),
        "{message}"
    );

    let sub = s.first_subscription(&token).await;
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2099-01-01"
    );
    let (status, _, body) = s.get(&path, Some(&token)).await;
    assert_eq!(status, 400);
    arm_error(&body, "NoRegisteredProviderFound");

    let (status, _, body) = s.get("/subscriptions", Some(&token)).await;
    assert_eq!(status, 400);
    arm_error(&body, "MissingApiVersionParameter");
}

#[tokio::test]
async fn old_and_new_published_api_versions_are_accepted() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.first_subscription(&token).await;
    for version in ["2016-06-01", "2024-04-01", "2026-11-01"] {
        let path = format!(
            "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults?api-version={version}"
        );
        let (status, _, body) = s.get(&path, Some(&token)).await;
        assert_eq!(status, 200, "{version}: {body}");
    }
}

#[tokio::test]
async fn the_demo_tenant_has_two_subscriptions_with_vaults() {
    let s = start().await;
    let token = s.arm_token().await;
    let (_, _, body) = s
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    let subs = body["value"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    for sub in subs {
        assert_eq!(sub["tenantId"], s.sandbox.endpoints().tenant_id.as_str());
        assert_eq!(sub["state"], "Enabled");
        let path = format!(
            "/subscriptions/{}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01",
            sub["subscriptionId"].as_str().unwrap()
        );
        let (status, _, vaults) = s.get(&path, Some(&token)).await;
        assert_eq!(status, 200);
        let vault = &vaults["value"][0];
        assert_eq!(vault["type"], "Microsoft.RecoveryServices/vaults");
        assert_eq!(vault["sku"]["name"], "RS0");
        assert!(
            vault["properties"]["redundancySettings"]["standardTierStorageRedundancy"].is_string()
        );
    }
}

#[tokio::test]
async fn lists_page_with_next_link_until_every_item_is_seen() {
    let s = start_with(|c| c.page_size = 1).await;
    let token = s.arm_token().await;
    let sub = s.first_subscription(&token).await;
    let url = s.arm(&format!(
        "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01"
    ));
    let mut names = Vec::new();
    for page in s.pages(&url, &token).await {
        let page = crate::support::names(&page);
        assert_eq!(page.len(), 1);
        names.extend(page);
    }
    assert_eq!(
        names,
        [
            "rsv-prod-japaneast",
            "rsv-prod-japanwest",
            "rsv-finance-eastus2"
        ]
    );
}

#[tokio::test]
async fn paths_and_ids_match_case_insensitively() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.first_subscription(&token).await.to_uppercase();
    let path = format!(
        "/SUBSCRIPTIONS/{sub}/resourcegroups/RG-BACKUP-PROD/PROVIDERS/microsoft.recoveryservices/VAULTS/RSV-PROD-JAPANEAST?api-version=2024-04-01"
    );
    let (status, _, body) = s.get(&path, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "rsv-prod-japaneast");
}

#[tokio::test]
async fn unknown_subscriptions_and_vaults_are_404_with_arm_codes() {
    let s = start().await;
    let token = s.arm_token().await;
    let (status, _, body) = s
        .get("/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01", Some(&token))
        .await;
    assert_eq!(status, 404);
    arm_error(&body, "SubscriptionNotFound");

    let sub = s.first_subscription(&token).await;
    let path = format!(
        "/subscriptions/{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/nope?api-version=2024-04-01"
    );
    let (status, _, body) = s.get(&path, Some(&token)).await;
    assert_eq!(status, 404);
    arm_error(&body, "ResourceNotFound");
}

#[tokio::test]
async fn state_and_trust_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = safehold_sandbox::Sandbox::start(safehold_sandbox::Config::new(dir.path()))
        .await
        .unwrap();
    let (tenant, ca) = (
        first.endpoints().tenant_id.clone(),
        first.ca_pem().to_owned(),
    );
    first.shutdown().await;
    let second = safehold_sandbox::Sandbox::start(safehold_sandbox::Config::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(second.endpoints().tenant_id, tenant);
    assert_eq!(second.ca_pem(), ca);
    second.shutdown().await;
}

#[tokio::test]
async fn a_dropped_sandbox_stops_serving() {
    let s = start().await;
    let url = s.arm("/subscriptions?api-version=2022-12-01");
    let http = s.http.clone();
    drop(s.sandbox);
    let mut refused = false;
    for _ in 0..50 {
        if http.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "the sandbox still answers after being dropped");
}

#[tokio::test]
async fn a_recovery_services_vault_is_created_with_its_redundancy_and_a_default_policy() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let url = |rg: &str, name: &str| {
        format!(
            "{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}?api-version=2024-04-01"
        )
    };
    let body = serde_json::json!({
        "location": "japaneast", "sku": {"name": "RS0", "tier": "Standard"},
        "properties": {"publicNetworkAccess": "Enabled", "redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}
    });
    let (status, created) = s
        .put(&url("rg-backup-prod", "rsv-new-jpe"), &token, &body)
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["properties"]["redundancySettings"]["standardTierStorageRedundancy"],
        "LocallyRedundant"
    );
    let policies = s.ok(&format!("{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-new-jpe/backupPolicies?api-version=2024-04-01"), &token).await;
    assert_eq!(policies["value"][0]["name"], "DefaultPolicy");

    // Before anything is protected the redundancy may still change; afterwards it may not.
    let mut geo = body.clone();
    geo["properties"]["redundancySettings"]["standardTierStorageRedundancy"] =
        serde_json::json!("GeoRedundant");
    assert_eq!(
        s.put(&url("rg-backup-prod", "rsv-new-jpe"), &token, &geo)
            .await
            .0,
        200
    );
    let (status, error) = s
        .put(&url("rg-backup-prod", "rsv-prod-japaneast"), &token, &body)
        .await;
    assert_eq!(status, 400, "{error}");
    arm_error(&error, "BMSUserErrorStorageRedundancyChangeNotAllowed");
    assert_eq!(
        s.put(&url("rg-missing", "rsv-x"), &token, &body).await.0,
        404
    );
}
