//! Azure Backup against the demo tenant: outcomes computed from state, jobs over time.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Running, arm_error};

const API: &str = "api-version=2024-04-01";

async fn vault(s: &Running, token: &str, sub: &str, rg: &str, name: &str) -> String {
    let sub = s.sub_path(token, sub).await;
    format!("{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}")
}

async fn prod_vault(s: &Running, token: &str) -> String {
    vault(
        s,
        token,
        "Contoso Production",
        "rg-backup-prod",
        "rsv-prod-japaneast",
    )
    .await
}

fn item(vault: &str, rg: &str, vm: &str) -> String {
    format!(
        "{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;{rg};{vm}/protectedItems/VM;iaasvmcontainerv2;{rg};{vm}"
    )
}

async fn post(s: &Running, path: &str, token: &str, body: &Value) -> reqwest::Response {
    s.http
        .post(s.arm(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Follows Azure-AsyncOperation to the job id, then the job to its end.
async fn job_after(s: &Running, token: &str, response: reqwest::Response) -> (Value, Value) {
    assert_eq!(response.status(), 202, "{:?}", response.text().await);
    let headers = response.headers().clone();
    assert!(headers.contains_key("location"));
    assert_eq!(headers["retry-after"], "1");
    let status_url = headers["azure-asyncoperation"].to_str().unwrap().to_owned();
    let status: Value = s
        .http
        .get(&status_url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_id = status["properties"]["jobId"]
        .as_str()
        .unwrap_or_else(|| panic!("{status_url}: {status}"))
        .to_owned();
    let vault = status_url
        .split("/backupFabrics/")
        .next()
        .unwrap()
        .to_owned();
    let job_url = format!("{vault}/backupJobs/{job_id}?{API}");
    for _ in 0..50 {
        let job: Value = s
            .http
            .get(&job_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["properties"]["status"] != "InProgress" {
            return (status, job);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job never ended");
}

async fn back_up(s: &Running, token: &str, item: &str) -> Value {
    let body = json!({"properties": {"objectType": "IaasVMBackupRequest", "recoveryPointExpiryTimeInUTC": "2027-01-01T00:00:00Z"}});
    job_after(
        s,
        token,
        post(s, &format!("{item}/backup?{API}"), token, &body).await,
    )
    .await
    .1
}

fn failure_code(job: &Value) -> &str {
    job["properties"]["errorDetails"][0]["errorTitle"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_backup_of_a_vm_whose_vault_lacks_backup_access_fails_until_access_is_granted() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let web01 = item(&vault, "rg-web-prod", "vm-web01");
    let job = back_up(&s, &token, &web01).await;
    assert_eq!(job["properties"]["status"], "Failed");
    assert_eq!(
        failure_code(&job),
        "UserErrorKeyvaultPermissionsNotConfigured"
    );
    assert!(job["properties"]["errorDetails"][0]["errorCode"].is_i64());
    assert_eq!(
        job["properties"]["extendedInfo"]["tasksList"][0]["status"],
        "Failed"
    );

    // Grant the Backup Management Service what it needs on the shared vault.
    let backup_sp = backup_object_id(&s).await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let kv = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    );
    let grant = json!({"properties": {"accessPolicies": [{
        "tenantId": s.sandbox.endpoints().tenant_id, "objectId": backup_sp,
        "permissions": {"keys": ["get", "list", "backup"], "secrets": ["get", "list", "backup"]}
    }]}});
    assert_eq!(
        s.put(
            &format!("{kv}/accessPolicies/add?api-version=2023-07-01"),
            &token,
            &grant
        )
        .await
        .0,
        200
    );

    let job = back_up(&s, &token, &web01).await;
    assert_eq!(job["properties"]["status"], "Completed", "{job}");
    let item_body = s
        .ok(
            &format!("{web01}?$filter=expand eq 'extendedinfo'&{API}"),
            &token,
        )
        .await;
    assert_eq!(item_body["properties"]["protectionState"], "Protected");
    assert_eq!(item_body["properties"]["lastBackupStatus"], "Completed");
    assert_eq!(
        item_body["properties"]["extendedInfo"]["recoveryPointCount"],
        1
    );
}

async fn backup_object_id(s: &Running) -> String {
    let response = s
        .request_token(
            s.sandbox.client_secret(),
            "https://graph.microsoft.com/.default",
        )
        .await;
    let token: Value = response.json().await.unwrap();
    let url = s
        .arm("/v1.0/servicePrincipals?$filter=appId%20eq%20'262044b1-e2ce-469f-a196-69ab7ada62d3'");
    let body: Value = s
        .http
        .get(url)
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["value"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn enabling_protection_then_backing_up_makes_an_encrypted_recovery_point_over_time() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;

    // Discovery: refresh, then the VM is protectable.
    let refresh = s
        .http
        .post(s.arm(&format!(
            "{vault}/backupFabrics/Azure/refreshContainers?{API}"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 202);
    let location = refresh.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        s.http
            .get(location)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let protectable = s
        .ok(
            &format!(
                "{vault}/backupProtectableItems?$filter=backupManagementType eq 'AzureIaasVM'&{API}"
            ),
            &token,
        )
        .await;
    let names: Vec<_> = protectable["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["properties"]["friendlyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vm-new-app01"]);

    let item_path = item(&vault, "rg-app-prod", "vm-new-app01");
    let sub = s.sub_path(&token, "Contoso Production").await;
    let body = json!({"properties": {
        "protectedItemType": "Microsoft.Compute/virtualMachines",
        "sourceResourceId": format!("{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/vm-new-app01"),
        "policyId": format!("{vault}/backupPolicies/DefaultPolicy")
    }});
    let response = s
        .http
        .put(s.arm(&format!("{item_path}?{API}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, job) = job_after(&s, &token, response).await;
    assert_eq!(status["status"], "Succeeded");
    assert_eq!(job["properties"]["operation"], "ConfigureBackup");
    assert_eq!(job["properties"]["status"], "Completed");
    assert_eq!(
        s.ok(&format!("{item_path}?{API}"), &token).await["properties"]["protectionState"],
        "IRPending"
    );

    // The backup runs over (simulated) time: first in progress, then done.
    let body = json!({"properties": {"objectType": "IaasVMBackupRequest"}});
    let response = post(&s, &format!("{item_path}/backup?{API}"), &token, &body).await;
    let status_url = response.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_owned();
    let status: Value = s
        .http
        .get(&status_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_url = format!(
        "{vault}/backupJobs/{}?{API}",
        status["properties"]["jobId"].as_str().unwrap()
    );
    let running = s.ok(&job_url, &token).await;
    assert_eq!(running["properties"]["status"], "InProgress");
    assert_eq!(
        running["properties"]["extendedInfo"]["tasksList"][0]["taskId"],
        "Take Snapshot"
    );
    let points_url = format!("{item_path}/recoveryPoints?{API}");
    assert_eq!(
        s.ok(&points_url, &token).await["value"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "no point before the job ends"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        s.ok(&job_url, &token).await["properties"]["status"],
        "Completed"
    );
    let points = s.ok(&points_url, &token).await;
    let rp = points["value"][0]["name"].as_str().unwrap();
    let detail = s
        .ok(&format!("{item_path}/recoveryPoints/{rp}?{API}"), &token)
        .await;
    let props = &detail["properties"];
    assert_eq!(props["objectType"], "IaasVMRecoveryPoint");
    assert_eq!(props["isSourceVMEncrypted"], true);
    assert_eq!(props["keyAndSecret"]["encryptionMechanism"], "SinglePass");
    assert!(
        props["keyAndSecret"]["bekDetails"]["secretUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{}secrets/",
                s.vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade")
                    .await
            ))
    );
    assert!(
        props["keyAndSecret"]["kekDetails"]["keyUrl"]
            .as_str()
            .unwrap()
            .contains("/keys/kek-vm-new-app01/")
    );

    // A second backup while one runs is refused; the backup status names the vault.
    let status = s.http.post(s.arm(&format!("{sub}/providers/Microsoft.RecoveryServices/locations/japaneast/backupStatus?{API}")))
        .bearer_auth(&token)
        .json(&json!({"resourceType": "VM", "resourceId": format!("{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/vm-new-app01")}))
        .send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(status["protectionStatus"], "Protected");
    assert!(
        status["vaultId"]
            .as_str()
            .unwrap()
            .ends_with("/rsv-prod-japaneast")
    );
}

#[tokio::test]
async fn a_bek_only_managed_vm_fails_validation_where_the_2017_matrix_applies() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = vault(
        &s,
        &token,
        "Contoso Development",
        "rg-backup-dev",
        "rsv-dev-japaneast",
    )
    .await;
    let sub = s.sub_path(&token, "Contoso Development").await;
    let item_path = item(&vault, "rg-dev", "vm-dev-bekonly");
    let body = json!({"properties": {
        "protectedItemType": "Microsoft.Compute/virtualMachines",
        "sourceResourceId": format!("{sub}/resourceGroups/rg-dev/providers/Microsoft.Compute/virtualMachines/vm-dev-bekonly"),
        "policyId": format!("{vault}/backupPolicies/DefaultPolicy")
    }});
    let response = s
        .http
        .put(s.arm(&format!("{item_path}?{API}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, job) = job_after(&s, &token, response).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(
        status["error"]["code"],
        "UserErrorBekOnlyEncryptedVmNotSupported"
    );
    assert_eq!(
        failure_code(&job),
        "UserErrorBekOnlyEncryptedVmNotSupported"
    );
    let (code, _, body) = s.get(&format!("{item_path}?{API}"), Some(&token)).await;
    assert_eq!(code, 404, "{body}");
}

#[tokio::test]
async fn a_vm_whose_agent_is_not_ready_fails_its_backup_and_classic_vms_are_refused() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let job = back_up(&s, &token, &item(&vault, "rg-batch", "vm-batch02")).await;
    assert_eq!(failure_code(&job), "UserErrorGuestAgentStatusUnavailable");

    let classic = format!(
        "{vault}/backupFabrics/Azure/protectionContainers/iaasvmcontainer;classic-web01;classic-web01/protectedItems/vm;iaasvmcontainer;classic-web01;classic-web01?{API}"
    );
    let response = s
        .http
        .put(s.arm(&classic))
        .bearer_auth(&token)
        .json(&json!({"properties": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    arm_error(
        &response.json().await.unwrap(),
        "UserErrorClassicVmNotSupported",
    );
}

#[tokio::test]
async fn the_job_history_holds_a_failure_for_every_troubleshooting_row_of_the_seed() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let mut codes = Vec::new();
    for (sub, rg, name) in [
        ("Contoso Production", "rg-backup-prod", "rsv-prod-japaneast"),
        (
            "Contoso Production",
            "rg-backup-finance",
            "rsv-finance-eastus2",
        ),
        ("Contoso Development", "rg-backup-dev", "rsv-dev-japaneast"),
    ] {
        let vault = vault(&s, &token, sub, rg, name).await;
        let jobs = s.ok(&format!("{vault}/backupJobs?{API}"), &token).await;
        for job in jobs["value"].as_array().unwrap() {
            if job["properties"]["status"] == "Failed" {
                codes.push((
                    job["properties"]["operation"].as_str().unwrap().to_owned(),
                    failure_code(job).to_owned(),
                ));
            }
        }
    }
    for (operation, code) in [
        ("Backup", "UserErrorKeyvaultPermissionsNotConfigured"),
        ("ConfigureBackup", "UserErrorBekOnlyEncryptedVmNotSupported"),
        ("Restore", "UserErrorKeyVaultNotFound"),
        ("Restore", "UserErrorKeyAndSecretNotFound"),
        ("Restore", "UserErrorBackupNotAuthorizedInSubscription"),
    ] {
        assert!(
            codes.iter().any(|(o, c)| o == operation && c == code),
            "no failed {operation} job with {code}: {codes:?}"
        );
    }
}

#[tokio::test]
async fn policies_list_get_and_create_with_validation() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let list = s
        .ok(
            &format!("{vault}/backupPolicies?$filter=backupManagementType eq 'AzureIaasVM'&{API}"),
            &token,
        )
        .await;
    let names: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["DefaultPolicy", "prod-daily-90d"]);
    let policy = json!({"properties": {
        "backupManagementType": "AzureIaasVM",
        "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": ["2026-12-01T21:00:00Z"]},
        "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": {"retentionTimes": ["2026-12-01T21:00:00Z"], "retentionDuration": {"count": 45, "durationType": "Days"}}},
        "timeZone": "Tokyo Standard Time"
    }});
    let (status, body) = s
        .put(
            &format!("{vault}/backupPolicies/nightly-45d?{API}"),
            &token,
            &policy,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let got = s
        .ok(&format!("{vault}/backupPolicies/nightly-45d?{API}"), &token)
        .await;
    assert_eq!(
        got["properties"]["retentionPolicy"]["dailySchedule"]["retentionDuration"]["count"],
        45
    );
    let mut bad = policy.clone();
    bad["properties"]["retentionPolicy"]["dailySchedule"]["retentionDuration"]["count"] = json!(1);
    let (status, _) = s
        .put(&format!("{vault}/backupPolicies/bad?{API}"), &token, &bad)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_legacy_vm_keeps_a_recovery_point_from_before_26_april_2017() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let points = s
        .ok(
            &format!(
                "{}/recoveryPoints?{API}",
                item(&vault, "rg-web-legacy", "vm-legacy-web01")
            ),
            &token,
        )
        .await;
    let times: Vec<_> = points["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["properties"]["recoveryPointTime"].as_str().unwrap())
        .collect();
    assert!(times.contains(&"2017-03-20T14:00:00Z"), "{times:?}");
}

#[tokio::test]
async fn a_least_privilege_custom_role_is_enough_for_backup_on_an_rbac_vault() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let hr = item(&vault, "rg-hr", "vm-hr-rbac01");
    let sub = s.sub_path(&token, "Contoso Production").await;
    let scope =
        format!("{sub}/resourceGroups/rg-hr/providers/Microsoft.KeyVault/vaults/kv-hr-rbac");
    let role = s
        .ok(
            &format!(
                "{sub}/providers/Microsoft.Authorization/roleDefinitions/{}?api-version=2022-04-01",
                safehold_sandbox::BACKUP_KEY_READER_ROLE
            ),
            &token,
        )
        .await;
    assert_eq!(role["properties"]["type"], "CustomRole");
    let backup_sp = backup_object_id(&s).await;
    let assignment = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/0c6f3e2d-9a8b-4c7d-8e6f-5a4b3c2d1e0f?api-version=2022-04-01"
    );
    let body = json!({"properties": {"roleDefinitionId": role["id"], "principalId": backup_sp, "principalType": "ServicePrincipal"}});
    let (status, created) = s.put(&assignment, &token, &body).await;
    assert_eq!(status, 201, "{created}");

    let job = back_up(&s, &token, &hr).await;
    assert_eq!(job["properties"]["status"], "Completed", "{job}");
}

#[tokio::test]
async fn an_rbac_vault_needs_key_vault_administrator_for_backup_and_the_role_can_be_assigned() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let hr = item(&vault, "rg-hr", "vm-hr-rbac01");
    assert_eq!(
        failure_code(&back_up(&s, &token, &hr).await),
        "UserErrorKeyvaultPermissionsNotConfigured"
    );

    let sub = s.sub_path(&token, "Contoso Production").await;
    let scope =
        format!("{sub}/resourceGroups/rg-hr/providers/Microsoft.KeyVault/vaults/kv-hr-rbac");
    let roles = s.ok(&format!("{sub}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName eq 'Key Vault Administrator'&api-version=2022-04-01"), &token).await;
    let role_id = roles["value"][0]["id"].as_str().unwrap().to_owned();
    assert!(role_id.ends_with("/00482a5a-887f-4fb3-b363-3b7fe8e74483"));
    let backup_sp = backup_object_id(&s).await;
    let assignment = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b?api-version=2022-04-01"
    );
    let body = json!({"properties": {"roleDefinitionId": role_id, "principalId": backup_sp, "principalType": "ServicePrincipal"}});
    let (status, created) = s.put(&assignment, &token, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["properties"]["scope"], scope.as_str());
    let (status, again) = s.put(&assignment, &token, &body).await;
    assert_eq!(status, 409);
    arm_error(&again, "RoleAssignmentExists");
    let listed = s.ok(&format!("{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{backup_sp}'&api-version=2022-04-01"), &token).await;
    // Key Vault Administrator joins the "Key Vault Secrets User" the demo gave Backup.
    assert_eq!(listed["value"].as_array().unwrap().len(), 2);

    let job = back_up(&s, &token, &hr).await;
    assert_eq!(job["properties"]["status"], "Completed", "{job}");

    // Unknown principals are refused like Entra ID refuses them.
    let stranger = json!({"properties": {"roleDefinitionId": role_id, "principalId": "00000000-1111-2222-3333-444444444444"}});
    let other = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/2a1b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d?api-version=2022-04-01"
    );
    let (status, error) = s.put(&other, &token, &stranger).await;
    assert_eq!(status, 400);
    arm_error(&error, "PrincipalNotFound");
}

#[tokio::test]
async fn container_and_item_names_may_arrive_percent_encoded() {
    // The official SDKs send `;` in these names as `%3B`.
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = prod_vault(&s, &token).await;
    let encoded = item(&vault, "rg-sql-prod", "vm-sql-01").replace(';', "%3B");
    let body = s.ok(&format!("{encoded}?{API}"), &token).await;
    assert_eq!(body["properties"]["friendlyName"], "vm-sql-01");
}
