//! Restoring disks of encrypted VMs: outputs, and failures computed from the key vault's state.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Running, arm_error};

const API: &str = "api-version=2024-04-01";

struct Prod {
    sub: String,
    vault: String,
}

async fn prod(s: &Running, token: &str) -> Prod {
    let sub = s.sub_path(token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast"
    );
    Prod { sub, vault }
}

fn item(vault: &str, rg: &str, vm: &str) -> String {
    format!(
        "{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;{rg};{vm}/protectedItems/VM;iaasvmcontainerv2;{rg};{vm}"
    )
}

fn request(p: &Prod, rp: &str, vm_id: &str, recovery_type: &str) -> Value {
    json!({"properties": {
        "objectType": "IaasVMRestoreRequest",
        "recoveryPointId": rp,
        "recoveryType": recovery_type,
        "sourceResourceId": vm_id,
        "storageAccountId": format!("{}/resourceGroups/rg-backup-prod/providers/Microsoft.Storage/storageAccounts/stcontosorestorejpe", p.sub),
        "targetResourceGroupId": format!("{}/resourceGroups/rg-app-prod", p.sub),
        "region": "japaneast",
        "createNewCloudService": false,
        "originalStorageAccountOption": false,
        "encryptionDetails": {"encryptionEnabled": true}
    }})
}

/// Starts a restore of the newest point of `vm` and follows it to its job's end.
async fn restore(
    s: &Running,
    token: &str,
    p: &Prod,
    rg: &str,
    vm: &str,
    recovery_type: &str,
) -> (reqwest::StatusCode, Value) {
    let item = item(&p.vault, rg, vm);
    let points = s.ok(&format!("{item}/recoveryPoints?{API}"), token).await;
    let rp = points["value"][0]["name"].as_str().unwrap().to_owned();
    let vm_id = format!(
        "{}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}",
        p.sub
    );
    let response = s
        .http
        .post(s.arm(&format!("{item}/recoveryPoints/{rp}/restore?{API}")))
        .bearer_auth(token)
        .json(&request(p, &rp, &vm_id, recovery_type))
        .send()
        .await
        .unwrap();
    let status = response.status();
    if status != 202 {
        return (status, response.json().await.unwrap_or(Value::Null));
    }
    // A disk list read while the restore runs: the sandbox keeps list pages, and the restored
    // disks must still appear once the restore ends.
    s.ok(
        &format!(
            "{}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/disks?api-version=2024-03-02",
            p.sub
        ),
        token,
    )
    .await;
    let status_url = response.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_owned();
    let op: Value = s
        .http
        .get(&status_url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_url = format!(
        "{}/backupJobs/{}?{API}",
        p.vault,
        op["properties"]["jobId"].as_str().unwrap()
    );
    for _ in 0..40 {
        let job = s.ok(&job_url, token).await;
        if job["properties"]["status"] != "InProgress" {
            return (status, job);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the restore never ended");
}

#[tokio::test]
async fn restoring_disks_of_an_encrypted_vm_writes_config_template_and_encryption_info() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let p = prod(&s, &token).await;
    let (_, job) = restore(&s, &token, &p, "rg-sql-prod", "vm-sql-01", "RestoreDisks").await;
    assert_eq!(job["properties"]["status"], "Completed", "{job}");
    assert_eq!(job["properties"]["operation"], "Restore");
    let bag = &job["properties"]["extendedInfo"]["propertyBag"];
    assert_eq!(bag["Job Type"], "Recover disks");
    assert!(
        bag["Recovery point time "].is_string(),
        "the service's key has a trailing space"
    );
    assert_eq!(bag["Target Storage Account Name"], "stcontosorestorejpe");
    assert_eq!(bag["Target resource group"], "rg-app-prod");

    // Read the outputs from the blob endpoint with a storage token.
    let storage = s.storage_token().await;
    let get = |url: String| {
        let (http, storage) = (s.http.clone(), storage.clone());
        async move {
            http.get(url)
                .bearer_auth(storage)
                .header("x-ms-version", "2025-01-05")
                .send()
                .await
                .unwrap()
        }
    };
    let template: Value = get(bag["Template Blob Uri"].as_str().unwrap().to_owned())
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = template["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Microsoft.Network/networkInterfaces",
            "Microsoft.Compute/virtualMachines"
        ]
    );
    let blob_base = bag["Config Blob Uri"]
        .as_str()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0
        .to_owned();
    let info_url = format!(
        "{blob_base}/{}",
        bag["Encryption Info Blob Name"].as_str().unwrap()
    );
    let info: Value = get(info_url).await.json().await.unwrap();
    let details = &info["OsDiskKeyAndSecretDetails"];
    assert!(details["SecretUrl"].as_str().unwrap().starts_with(
        &format!("{}secrets/", s.vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade").await)
    ));
    assert!(
        details["KeyUrl"]
            .as_str()
            .unwrap()
            .contains("/keys/kek-vm-sql-01/")
    );
    assert!(
        details["KeyBackupData"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(details["SecretData"].is_string());

    // The restored OS disk exists in the target group and keeps its ADE settings.
    let disks = s.ok(&format!("{}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/disks?api-version=2024-03-02", p.sub), &token).await;
    let os_disk = disks["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"].as_str().unwrap().starts_with("vm-sql-01-osdisk"))
        .unwrap();
    assert_eq!(
        os_disk["properties"]["encryptionSettingsCollection"]["enabled"],
        true
    );

    // Without a token or with the wrong one, the blob is not readable.
    let anonymous = s
        .http
        .get(bag["Config Blob Uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404);
    let arm_token = s
        .http
        .get(bag["Config Blob Uri"].as_str().unwrap())
        .bearer_auth(&token)
        .header("x-ms-version", "2025-01-05")
        .send()
        .await
        .unwrap();
    assert_eq!(arm_token.status(), 401);
    assert!(
        arm_token
            .text()
            .await
            .unwrap()
            .contains("<Code>InvalidAuthenticationInfo</Code>")
    );
}

#[tokio::test]
async fn a_recovery_point_from_before_26_april_2017_gets_no_template() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let p = prod(&s, &token).await;
    let item = item(&p.vault, "rg-web-legacy", "vm-legacy-web01");
    let points = s.ok(&format!("{item}/recoveryPoints?{API}"), &token).await;
    let old = points["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rp| rp["properties"]["recoveryPointTime"] == "2017-03-20T14:00:00Z")
        .unwrap();
    let rp = old["name"].as_str().unwrap();
    let vm_id = format!(
        "{}/resourceGroups/rg-web-legacy/providers/Microsoft.Compute/virtualMachines/vm-legacy-web01",
        p.sub
    );
    let mut body = request(&p, rp, &vm_id, "RestoreDisks");
    body["properties"]
        .as_object_mut()
        .unwrap()
        .remove("targetResourceGroupId");
    let response = s
        .http
        .post(s.arm(&format!("{item}/recoveryPoints/{rp}/restore?{API}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let jobs = s.ok(&format!("{}/backupJobs?{API}", p.vault), &token).await;
    let job = &jobs["value"][0];
    assert_eq!(job["properties"]["status"], "Completed", "{job}");
    let bag = &job["properties"]["extendedInfo"]["propertyBag"];
    assert!(bag.get("Template Blob Uri").is_none(), "{bag}");
    assert!(bag["Encryption Info Blob Name"].is_string());
}

#[tokio::test]
async fn a_restore_fails_once_the_key_vault_is_gone_and_create_vm_or_replace_is_refused() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let p = prod(&s, &token).await;
    let (status, job) = restore(
        &s,
        &token,
        &p,
        "rg-app-prod",
        "vm-app-lnx01",
        "RestoreDisks",
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(job["properties"]["status"], "Completed");

    // Creating the VM directly from an encrypted point: not authorised (the seed's last row).
    let (_, job) = restore(
        &s,
        &token,
        &p,
        "rg-app-prod",
        "vm-app-lnx01",
        "AlternateLocation",
    )
    .await;
    assert_eq!(
        job["properties"]["errorDetails"][0]["errorTitle"],
        "UserErrorBackupNotAuthorizedInSubscription"
    );
    // Replacing the disks of an encrypted VM is refused outright.
    let (status, error) = restore(
        &s,
        &token,
        &p,
        "rg-app-prod",
        "vm-app-lnx01",
        "OriginalLocation",
    )
    .await;
    assert_eq!(status, 400);
    arm_error(&error, "UserErrorReplaceDiskNotSupportedForEncryptedVm");

    // Someone deletes the key vault that held the VM's keys: the same restore now fails.
    let kv = format!(
        "{}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-prod-jpe-ade?api-version=2023-07-01",
        p.sub
    );
    assert_eq!(
        s.http
            .delete(s.arm(&kv))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let deleted = s
        .ok(
            &format!(
                "{}/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01",
                p.sub
            ),
            &token,
        )
        .await;
    assert_eq!(deleted["value"][0]["name"], "kv-prod-jpe-ade");
    let (_, job) = restore(
        &s,
        &token,
        &p,
        "rg-app-prod",
        "vm-app-lnx01",
        "RestoreDisks",
    )
    .await;
    assert_eq!(job["properties"]["status"], "Failed");
    assert_eq!(
        job["properties"]["errorDetails"][0]["errorTitle"],
        "UserErrorKeyVaultNotFound"
    );
}

#[tokio::test]
async fn staging_accounts_must_exist_in_the_vaults_region_and_subscription() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let p = prod(&s, &token).await;
    let item = item(&p.vault, "rg-sql-prod", "vm-sql-01");
    let points = s.ok(&format!("{item}/recoveryPoints?{API}"), &token).await;
    let rp = points["value"][0]["name"].as_str().unwrap().to_owned();
    let vm_id = format!(
        "{}/resourceGroups/rg-sql-prod/providers/Microsoft.Compute/virtualMachines/vm-sql-01",
        p.sub
    );
    let url = s.arm(&format!("{item}/recoveryPoints/{rp}/restore?{API}"));
    let mut body = request(&p, &rp, &vm_id, "RestoreDisks");
    body["properties"]["storageAccountId"] = json!(format!(
        "{}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/nosuchaccount",
        p.sub
    ));
    let error: Value = s
        .http
        .post(&url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    arm_error(&error, "UserErrorStorageAccountNotFound");
    body["properties"]["storageAccountId"] = json!(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/elsewhere"
    );
    let error: Value = s
        .http
        .post(&url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    arm_error(
        &error,
        "UserErrorCrossSubscriptionRestoreNotSupportedForEncryptedAzureVM",
    );
}
