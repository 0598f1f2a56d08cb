use serde_json::{Value, json};

use crate::support::{arm_error, start, start_with};

const KV_API: &str = "api-version=2023-07-01";

async fn shared_vault_path(s: &crate::support::Running, token: &str) -> String {
    let sub = s.sub_path(token, "Contoso Production").await;
    format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    )
}

fn entry(tenant: &str, object: &str, keys: &[&str], secrets: &[&str]) -> Value {
    json!({"properties": {"accessPolicies": [{
        "tenantId": tenant, "objectId": object,
        "permissions": {"keys": keys, "secrets": secrets}
    }]}})
}

fn policies(vault: &Value) -> Vec<Value> {
    vault["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn key_vaults_show_their_permission_model_and_disk_encryption_flag() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let list = s
        .ok(
            &format!("{sub}/providers/Microsoft.KeyVault/vaults?{KV_API}"),
            &token,
        )
        .await;
    let names: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "kv-prod-jpe-ade",
            "kv-shared-jpe",
            "kv-finance-ade",
            "kv-hr-rbac"
        ]
    );
    let rbac = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "kv-hr-rbac")
        .unwrap();
    assert_eq!(rbac["properties"]["enableRbacAuthorization"], true);
    let shared = s
        .ok(
            &format!("{}?{KV_API}", shared_vault_path(&s, &token).await),
            &token,
        )
        .await;
    assert_eq!(shared["properties"]["enabledForDiskEncryption"], true);
    // Each vault's data plane has its own origin.
    let uri = shared["properties"]["vaultUri"].as_str().unwrap();
    assert!(
        uri.starts_with("https://127.0.0.1:") && uri.ends_with('/'),
        "{uri}"
    );
    // Three other principals' entries, and the sandbox operator's.
    assert_eq!(policies(&shared).len(), 4);
}

#[tokio::test]
async fn add_appends_an_entry_and_leaves_every_other_entry_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let s = start_with(|c| c.data_dir = data.clone()).await;
    let token = s.arm_token().await;
    let vault = shared_vault_path(&s, &token).await;
    let before = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let backup = "0b6c2e7a-1111-4222-8333-944455556666";
    let (status, body) = s
        .put(
            &format!("{vault}/accessPolicies/add?{KV_API}"),
            &token,
            &entry(
                &tenant,
                backup,
                &["get", "list", "backup"],
                &["get", "list", "backup"],
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "Microsoft.KeyVault/vaults/accessPolicies");
    let after = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "other principals' entries changed"
    );
    assert_eq!(after.last().unwrap()["objectId"], backup);

    // The change survives a restart.
    s.sandbox.shutdown().await;
    let again = start_with(|c| c.data_dir = data.clone()).await;
    let token = again.arm_token().await;
    let vault = shared_vault_path(&again, &token).await;
    assert_eq!(
        policies(&again.ok(&format!("{vault}?{KV_API}"), &token).await),
        after
    );
}

#[tokio::test]
async fn add_merges_remove_subtracts_and_replace_sets_one_principals_permissions() {
    let s = start().await;
    let token = s.arm_token().await;
    let vault = shared_vault_path(&s, &token).await;
    let before = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    let auditor = before[2].clone();
    let (tenant, object) = (
        auditor["tenantId"].as_str().unwrap(),
        auditor["objectId"].as_str().unwrap(),
    );
    let url = |op: &str| format!("{vault}/accessPolicies/{op}?{KV_API}");

    let (status, _) = s
        .put(
            &url("add"),
            &token,
            &entry(tenant, object, &["get"], &["get", "list"]),
        )
        .await;
    assert_eq!(status, 200);
    let merged = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    assert_eq!(merged[2]["permissions"]["keys"], json!(["list", "get"]));
    assert_eq!(merged[2]["permissions"]["secrets"], json!(["list", "get"]));

    let (status, _) = s
        .put(
            &url("remove"),
            &token,
            &entry(tenant, object, &["list"], &[]),
        )
        .await;
    assert_eq!(status, 200);
    let removed = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    assert_eq!(removed[2]["permissions"]["keys"], json!(["get"]));

    let (status, _) = s
        .put(
            &url("replace"),
            &token,
            &entry(tenant, object, &[], &["get"]),
        )
        .await;
    assert_eq!(status, 200);
    let replaced = policies(&s.ok(&format!("{vault}?{KV_API}"), &token).await);
    assert_eq!(replaced[2]["permissions"]["keys"], json!([]));
    assert_eq!(replaced[2]["permissions"]["secrets"], json!(["get"]));
    assert_eq!(
        &replaced[..2],
        &before[..2],
        "other principals' entries changed"
    );
}

#[tokio::test]
async fn overlapping_writes_to_one_vault_get_409_but_sequential_ones_never_do() {
    let s = start_with(|c| c.key_vault_write_window = std::time::Duration::from_millis(300)).await;
    let token = s.arm_token().await;
    let vault = shared_vault_path(&s, &token).await;
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let url = format!("{vault}/accessPolicies/add?{KV_API}");
    let first = entry(
        &tenant,
        "0b6c2e7a-1111-4222-8333-944455556666",
        &["get"],
        &[],
    );
    let second = entry(
        &tenant,
        "1c7d3f8b-2222-4333-8444-a55566667777",
        &["list"],
        &[],
    );
    let (a, b) = tokio::join!(s.put(&url, &token, &first), s.put(&url, &token, &second));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let conflict = if a.0 == 409 { &a.1 } else { &b.1 };
    arm_error(conflict, "ConflictError");

    // One after another, each waiting for its answer: no conflict.
    for _ in 0..3 {
        assert_eq!(s.put(&url, &token, &second).await.0, 200);
    }
    let bad = entry(
        &tenant,
        "0b6c2e7a-1111-4222-8333-944455556666",
        &["fly"],
        &[],
    );
    let (status, error) = s.put(&url, &token, &bad).await;
    assert_eq!(status, 400);
    assert!(arm_error(&error, "BadRequest").contains("'fly'"));
}

#[tokio::test]
async fn a_new_key_vault_serves_its_data_plane_at_once_and_names_are_global() {
    let s = crate::support::start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let url = |name: &str| {
        format!(
            "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/{name}?{KV_API}"
        )
    };
    let operator = crate::support::operator_object_id(&s, &token).await;
    let body = json!({"location": "japaneast", "properties": {
        "tenantId": tenant, "sku": {"family": "A", "name": "standard"},
        "enabledForDiskEncryption": true, "enablePurgeProtection": true,
        "accessPolicies": [{"tenantId": tenant, "objectId": operator,
            "permissions": {"keys": ["get", "list", "restore"], "secrets": ["get", "list", "set", "restore"]}}]
    }});
    let (status, created) = s.put(&url("kv-restore-jpe"), &token, &body).await;
    assert_eq!(status, 201, "{created}");
    let uri = created["properties"]["vaultUri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(uri.starts_with("https://127.0.0.1:"), "{uri}");
    // Its data plane answers right away.
    let vault = s.vault_token().await;
    let response = s
        .http
        .get(format!("{uri}secrets?api-version=7.5"))
        .bearer_auth(&vault)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The same PUT again updates (200); the name elsewhere, or a bad one, is refused.
    assert_eq!(s.put(&url("kv-restore-jpe"), &token, &body).await.0, 200);
    let elsewhere = format!(
        "{sub}/resourceGroups/rg-hr/providers/Microsoft.KeyVault/vaults/kv-restore-jpe?{KV_API}"
    );
    let (status, error) = s.put(&elsewhere, &token, &body).await;
    assert_eq!(status, 409);
    arm_error(&error, "VaultAlreadyExists");
    let (status, error) = s.put(&url("9-bad--name"), &token, &body).await;
    assert_eq!(status, 400);
    arm_error(&error, "VaultNameNotValid");
    let missing_group = format!(
        "{sub}/resourceGroups/rg-nope/providers/Microsoft.KeyVault/vaults/kv-nope-jpe?{KV_API}"
    );
    assert_eq!(s.put(&missing_group, &token, &body).await.0, 404);
}

#[tokio::test]
async fn vaults_list_is_the_resources_view_at_its_own_api_version() {
    let s = crate::support::start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let filter = "$filter=resourceType%20eq%20'Microsoft.KeyVault/vaults'";
    let list = s
        .ok(
            &format!("{sub}/resources?{filter}&api-version=2015-11-01"),
            &token,
        )
        .await;
    let names: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "kv-prod-jpe-ade",
            "kv-shared-jpe",
            "kv-finance-ade",
            "kv-hr-rbac"
        ]
    );
    // The view belongs to Microsoft.Resources: its versions, not Key Vault's, are the valid ones.
    let (status, _, body) = s
        .get(
            &format!("{sub}/resources?{filter}&api-version=2099-01-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    arm_error(&body, "InvalidApiVersionParameter");
}

#[tokio::test]
async fn a_deleted_vault_can_be_read_and_purged_unless_purge_protection_keeps_it() {
    let s = crate::support::start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let vault = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-temp-jpe?{KV_API}"
    );
    let body = json!({"location": "japaneast", "properties": {"tenantId": tenant, "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}});
    assert_eq!(s.put(&vault, &token, &body).await.0, 201);
    assert_eq!(
        s.http
            .delete(s.arm(&vault))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let deleted = s.ok(&format!("{sub}/providers/Microsoft.KeyVault/locations/japaneast/deletedVaults/kv-temp-jpe?{KV_API}"), &token).await;
    assert_eq!(deleted["properties"]["purgeProtectionEnabled"], false);
    // While deleted, the name is taken.
    assert_eq!(s.put(&vault, &token, &body).await.0, 409);
    let purge = s.arm(&format!("{sub}/providers/Microsoft.KeyVault/locations/japaneast/deletedVaults/kv-temp-jpe/purge?{KV_API}"));
    assert_eq!(
        s.http
            .post(&purge)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        s.put(&vault, &token, &body).await.0,
        201,
        "the name is free again after a purge"
    );

    // A purge-protected vault stays.
    let shared = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe?{KV_API}"
    );
    assert_eq!(
        s.http
            .delete(s.arm(&shared))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let purge = s.arm(&format!("{sub}/providers/Microsoft.KeyVault/locations/japaneast/deletedVaults/kv-shared-jpe/purge?{KV_API}"));
    let response = s
        .http
        .post(&purge)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    arm_error(&response.json().await.unwrap(), "ConflictError");
}

#[tokio::test]
async fn patch_changes_only_what_it_sends_and_an_access_policy_list_replaces_the_whole_list() {
    let s = start().await;
    let token = s.arm_token().await;
    let vault = shared_vault_path(&s, &token).await;
    let before = s.ok(&format!("{vault}?{KV_API}"), &token).await;
    assert!(policies(&before).len() > 1);
    let patch = |body: Value| {
        let (http, url, token) = (
            s.http.clone(),
            s.arm(&format!("{vault}?{KV_API}")),
            token.clone(),
        );
        async move {
            let response = http
                .patch(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    let (status, after) =
        patch(json!({"properties": {"enabledForTemplateDeployment": true}})).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["properties"]["enabledForTemplateDeployment"], true);
    assert_eq!(
        policies(&after),
        policies(&before),
        "untouched entries stay"
    );
    assert_eq!(
        after["properties"]["enabledForDiskEncryption"],
        before["properties"]["enabledForDiskEncryption"]
    );

    // A list of one replaces every entry: the hazard grants must avoid.
    let tenant = before["properties"]["tenantId"].as_str().unwrap();
    let one = entry(
        tenant,
        "00000000-0000-0000-0000-0000000000aa",
        &["get"],
        &[],
    );
    let (status, replaced) = patch(one).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(policies(&replaced).len(), 1);

    let (status, refused) = patch(json!({"properties": {"enableSoftDelete": false}})).await;
    assert_eq!(status, 400, "{refused}");
    let (status, _) = patch(json!("not a patch")).await;
    assert_eq!(status, 400);
}
