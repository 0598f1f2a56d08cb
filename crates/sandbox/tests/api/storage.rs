//! Storage accounts: lists, get, the long-running create, delete, name checks, and the staging
//! rules a restore applies to them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Running, arm_error, names, newest_point, refused, start_fast};

const API: &str = "api-version=2023-05-01";

fn account_path(sub: &str, rg: &str, name: &str) -> String {
    format!("{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}?{API}")
}

/// Creates an account and follows its `Location` until the account is there.
async fn create(s: &Running, token: &str, path: &str, body: &Value) -> Value {
    let response = s
        .http
        .put(s.arm(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert!(response.headers().contains_key("retry-after"));
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/providers/Microsoft.Storage/locations/"),
        "{location}"
    );
    assert!(response.bytes().await.unwrap().is_empty());
    for _ in 0..40 {
        let response = s
            .http
            .get(&location)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            202 => tokio::time::sleep(Duration::from_millis(100)).await,
            200 => return response.json().await.unwrap(),
            other => panic!("polling the create answered {other}"),
        }
    }
    panic!("the create did not finish");
}

#[tokio::test]
async fn the_demo_staging_account_is_listed_and_points_at_the_blob_endpoint() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let list = s
        .ok(
            &format!("{sub}/providers/Microsoft.Storage/storageAccounts?{API}"),
            &token,
        )
        .await;
    let account = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "stcontosorestorejpe")
        .expect("the staging account")
        .clone();
    assert_eq!(account["type"], "Microsoft.Storage/storageAccounts");
    assert_eq!(account["kind"], "StorageV2");
    assert_eq!(
        account["sku"],
        json!({"name": "Standard_LRS", "tier": "Standard"})
    );
    assert_eq!(account["location"], "japaneast");
    assert_eq!(account["properties"]["accessTier"], "Hot");
    assert_eq!(account["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        account["properties"]["primaryEndpoints"]["blob"],
        format!(
            "{}/stcontosorestorejpe/",
            s.sandbox.endpoints().blob_endpoint
        )
    );
    let by_group = s
        .ok(
            &format!("{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.Storage/storageAccounts?{API}"),
            &token,
        )
        .await;
    assert!(names(&by_group).iter().any(|n| n == "stcontosorestorejpe"));
    let got = s
        .ok(
            &account_path(&sub, "rg-backup-prod", "stcontosorestorejpe"),
            &token,
        )
        .await;
    assert_eq!(got["id"], account["id"]);
    let (status, _, body) = s
        .get(
            &account_path(&sub, "rg-backup-prod", "stnosuch"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    arm_error(&body, "ResourceNotFound");
}

#[tokio::test]
async fn a_create_is_long_running_and_a_repeat_updates_in_place() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let path = account_path(&sub, "rg-backup-prod", "stcreatedjpe01");
    let body = json!({
        "location": "japaneast", "kind": "StorageV2", "sku": {"name": "Standard_GRS"},
        "tags": {"purpose": "staging"},
        "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": false}
    });
    let account = create(&s, &token, &path, &body).await;
    assert_eq!(account["name"], "stcreatedjpe01");
    assert_eq!(account["properties"]["provisioningState"], "Succeeded");
    assert_eq!(account["properties"]["secondaryLocation"], "japanwest");
    assert_eq!(account["tags"]["purpose"], "staging");

    let mut cool = body.clone();
    cool["properties"]["accessTier"] = json!("Cool");
    let (status, updated) = s.put(&path, &token, &cool).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["properties"]["accessTier"], "Cool");

    // Names are global: another group cannot take it.
    let elsewhere = account_path(&sub, "rg-sql-prod", "stcreatedjpe01");
    let (status, error) = s.put(&elsewhere, &token, &body).await;
    assert_eq!(status, 409);
    arm_error(&error, "StorageAccountAlreadyTaken");

    let delete = |path: String| {
        let s = &s;
        let token = &token;
        async move {
            s.http
                .delete(s.arm(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(delete(path.clone()).await, 200);
    assert_eq!(delete(path.clone()).await, 204);
    assert_eq!(s.get(&path, Some(&token)).await.0, 404);
}

#[tokio::test]
async fn bad_names_kinds_and_groups_are_refused() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let body =
        json!({"location": "japaneast", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}});
    let bad_name = account_path(&sub, "rg-backup-prod", "Bad-Name");
    refused(
        s.put(&bad_name, &token, &body).await,
        400,
        "AccountNameInvalid",
    );
    let no_group = account_path(&sub, "rg-nope", "stnogroup");
    refused(
        s.put(&no_group, &token, &body).await,
        404,
        "ResourceGroupNotFound",
    );
    let mut odd = body.clone();
    odd["kind"] = json!("FloppyDisk");
    let odd_kind = account_path(&sub, "rg-backup-prod", "stoddkind");
    assert_eq!(s.put(&odd_kind, &token, &odd).await.0, 400);
}

#[tokio::test]
async fn name_availability_says_why_a_name_is_not_free() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let path = format!("{sub}/providers/Microsoft.Storage/checkNameAvailability?{API}");
    let check = |name: &str| json!({"name": name, "type": "Microsoft.Storage/storageAccounts"});
    let (status, body) = s.post(&path, &token, &check("stcontosorestorejpe")).await;
    assert_eq!(status, 200);
    assert_eq!(body["nameAvailable"], false);
    assert_eq!(body["reason"], "AlreadyExists");
    let (_, body) = s.post(&path, &token, &check("NOT_VALID")).await;
    assert_eq!(body["reason"], "AccountNameInvalid");
    let (_, body) = s.post(&path, &token, &check("stfreename01")).await;
    assert_eq!(body, json!({"nameAvailable": true}));
}

/// Restores vm-sql-01's newest point into `account` and returns the answer's status and body.
async fn restore_into(s: &Running, token: &str, account: &str) -> (u16, Value) {
    let sub = s.sub_path(token, "Contoso Production").await;
    let (item, rp) = newest_point(s, token, "rg-sql-prod", "vm-sql-01").await;
    let body = json!({"properties": {
        "objectType": "IaasVMRestoreRequest",
        "recoveryPointId": rp,
        "recoveryType": "RestoreDisks",
        "sourceResourceId": format!("{sub}/resourceGroups/rg-sql-prod/providers/Microsoft.Compute/virtualMachines/vm-sql-01"),
        "storageAccountId": format!("{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.Storage/storageAccounts/{account}"),
        "targetResourceGroupId": format!("{sub}/resourceGroups/rg-sql-prod"),
        "region": "japaneast",
        "createNewCloudService": false,
        "originalStorageAccountOption": false,
        "encryptionDetails": {"encryptionEnabled": true}
    }});
    s.post(
        &format!("{item}/recoveryPoints/{rp}/restore?api-version=2024-04-01"),
        token,
        &body,
    )
    .await
}

#[tokio::test]
async fn a_restore_refuses_staging_accounts_the_service_does_not_support() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    for (name, location, kind, sku, code) in [
        (
            "stwestjpw01",
            "japanwest",
            "StorageV2",
            "Standard_LRS",
            "UserErrorStorageAccountRegionMismatch",
        ),
        (
            "stblobjpe01",
            "japaneast",
            "BlobStorage",
            "Standard_LRS",
            "UserErrorStorageAccountNotSupported",
        ),
        (
            "stzonejpe01",
            "japaneast",
            "StorageV2",
            "Standard_ZRS",
            "UserErrorStorageAccountNotSupported",
        ),
    ] {
        let body = json!({"location": location, "kind": kind, "sku": {"name": sku}});
        create(
            &s,
            &token,
            &account_path(&sub, "rg-backup-prod", name),
            &body,
        )
        .await;
        refused(restore_into(&s, &token, name).await, 400, code);
    }
    let body =
        json!({"location": "japaneast", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}});
    create(
        &s,
        &token,
        &account_path(&sub, "rg-backup-prod", "stgoodjpe01"),
        &body,
    )
    .await;
    let (status, body) = restore_into(&s, &token, "stgoodjpe01").await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn the_demo_tenant_has_a_usable_a_wrong_region_and_a_refused_staging_account() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    for (account, expected) in [
        (
            "stcontosorestorejpw",
            Some("UserErrorStorageAccountRegionMismatch"),
        ),
        (
            "stcontosoarchivejpe",
            Some("UserErrorStorageAccountNotSupported"),
        ),
        (
            "stcontosozrsjpe",
            Some("UserErrorStorageAccountNotSupported"),
        ),
        ("stcontosorestorejpe", None),
    ] {
        let (status, body) = restore_into(&s, &token, account).await;
        match expected {
            Some(code) => {
                assert_eq!(status, 400, "{account}: {body}");
                arm_error(&body, code);
            }
            None => assert_eq!(status, 202, "{account}: {body}"),
        }
    }
}

#[tokio::test]
async fn an_update_changes_what_it_names_and_keeps_the_rest() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let path = account_path(&sub, "rg-backup-prod", "stcontosorestorejpe");
    let patch = |body: Value| {
        let (s, token, path) = (&s, &token, &path);
        async move { s.patch(path, token, &body).await }
    };
    let (status, body) =
        patch(json!({"tags": {"team": "backup"}, "properties": {"accessTier": "Cool"}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tags"], json!({"team": "backup"}));
    assert_eq!(body["properties"]["accessTier"], "Cool");
    assert_eq!(body["sku"]["name"], "Standard_LRS");
    let (status, body) = patch(json!({"sku": {"name": "Standard_GRS"}})).await;
    assert_eq!(status, 200);
    assert_eq!(body["properties"]["secondaryLocation"], "japanwest");
    let (status, _) = patch(json!({"sku": {"name": "Standard_ZRS"}})).await;
    assert_eq!(status, 400);
    let (status, _) = patch(json!({"kind": "BlobStorage"})).await;
    assert_eq!(status, 400);
}
