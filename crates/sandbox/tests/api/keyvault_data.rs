//! The Key Vault data plane: challenge, secrets and keys, backup and restore, soft delete.

use serde_json::{Value, json};

use crate::support::Running;

const V: &str = "api-version=7.5";

async fn call(
    s: &Running,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = s.http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The BEK secret URL and KEK key URL of a VM, from its instance view.
async fn ade_urls(s: &Running, token: &str, rg: &str, vm: &str) -> (String, String) {
    let sub = s.sub_path(token, "Contoso Production").await;
    let vm = s
        .ok(&format!("{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}?$expand=instanceView&api-version=2024-07-01"), token)
        .await;
    let settings = &vm["properties"]["instanceView"]["disks"][0]["encryptionSettings"][0];
    (
        settings["diskEncryptionKey"]["secretUrl"]
            .as_str()
            .unwrap()
            .to_owned(),
        settings["keyEncryptionKey"]["keyUrl"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test]
async fn an_unauthenticated_call_gets_the_challenge_that_names_the_tenant() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let kv = s
        .vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade")
        .await;
    let response = s.http.get(format!("{kv}secrets?{V}")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let tenant = &s.sandbox.endpoints().tenant_id;
    assert!(
        challenge.contains(&format!(
            "authorization=\"{}/{tenant}\"",
            s.sandbox.endpoints().authority_host
        )),
        "{challenge}"
    );
    assert!(
        challenge.contains("resource=\"https://vault.azure.net\""),
        "{challenge}"
    );
    // An ARM token is not a Key Vault token.
    assert_eq!(
        call(
            &s,
            reqwest::Method::GET,
            &format!("{kv}secrets?{V}"),
            &token,
            None
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn the_bek_secret_ade_wrote_is_readable_with_its_content_type_and_tags() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = s.vault_token().await;
    let (secret_url, key_url) = ade_urls(&s, &token, "rg-sql-prod", "vm-sql-01").await;
    let (status, secret) = call(
        &s,
        reqwest::Method::GET,
        &format!("{secret_url}?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 200, "{secret}");
    assert_eq!(secret["id"], secret_url.as_str());
    assert_eq!(secret["contentType"], "Wrapped BEK");
    assert_eq!(secret["tags"]["MachineName"], "vm-sql-01");
    assert!(secret["value"].as_str().is_some_and(|v| !v.is_empty()));
    let (status, key) = call(
        &s,
        reqwest::Method::GET,
        &format!("{key_url}?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(key["key"]["kid"], key_url.as_str());
    assert_eq!(key["key"]["kty"], "RSA");
}

#[tokio::test]
async fn a_restore_fails_while_the_key_and_secret_are_deleted_and_works_once_they_are_recovered() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = s.vault_token().await;
    let (secret_url, key_url) = ade_urls(&s, &token, "rg-app-prod", "vm-app-lnx01").await;
    let secret_name = secret_url
        .split("/secrets/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let key_name = key_url
        .split("/keys/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let kv = s
        .vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade")
        .await;

    // Someone deletes the key and the secret.
    assert_eq!(
        call(
            &s,
            reqwest::Method::DELETE,
            &format!("{kv}secrets/{secret_name}?{V}"),
            &vault,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &s,
            reqwest::Method::DELETE,
            &format!("{kv}keys/{key_name}?{V}"),
            &vault,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &s,
            reqwest::Method::GET,
            &format!("{secret_url}?{V}"),
            &vault,
            None
        )
        .await
        .0,
        404
    );
    let (status, deleted) = call(
        &s,
        reqwest::Method::GET,
        &format!("{kv}deletedsecrets/{secret_name}?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        deleted["recoveryId"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/deletedsecrets/{secret_name}"))
    );

    let job = crate::support::restore_newest(&s, &token, "rg-app-prod", "vm-app-lnx01").await;
    assert_eq!(
        job["properties"]["errorDetails"][0]["errorTitle"],
        "UserErrorKeyAndSecretNotFound"
    );

    // Purge protection keeps them; recover them instead.
    assert_eq!(
        call(
            &s,
            reqwest::Method::DELETE,
            &format!("{kv}deletedsecrets/{secret_name}?{V}"),
            &vault,
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        call(
            &s,
            reqwest::Method::POST,
            &format!("{kv}deletedsecrets/{secret_name}/recover?{V}"),
            &vault,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &s,
            reqwest::Method::POST,
            &format!("{kv}deletedkeys/{key_name}/recover?{V}"),
            &vault,
            None
        )
        .await
        .0,
        200
    );
    let job = crate::support::restore_newest(&s, &token, "rg-app-prod", "vm-app-lnx01").await;
    assert_eq!(job["properties"]["status"], "Completed", "{job}");
}

#[tokio::test]
async fn key_and_secret_backups_restore_only_into_the_same_subscription_and_geography_and_never_over_a_name()
 {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = s.vault_token().await;
    let (_, key_url) = ade_urls(&s, &token, "rg-sql-prod", "vm-sql-01").await;
    let key_name = key_url
        .split("/keys/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let source = s
        .vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade")
        .await;
    let (status, backup) = call(
        &s,
        reqwest::Method::POST,
        &format!("{source}keys/{key_name}/backup?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 200);

    // Same vault: the name exists.
    let (status, error) = call(
        &s,
        reqwest::Method::POST,
        &format!("{source}keys/restore?{V}"),
        &vault,
        Some(backup.clone()),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    // Another vault in the same subscription and geography (Japan): restored, same name and version.
    let shared = s
        .vault_uri(&token, "rg-security-prod", "kv-shared-jpe")
        .await;
    let (status, key) = call(
        &s,
        reqwest::Method::POST,
        &format!("{shared}keys/restore?{V}"),
        &vault,
        Some(backup.clone()),
    )
    .await;
    assert_eq!(status, 200, "{key}");
    assert_eq!(
        key["key"]["kid"].as_str().unwrap(),
        key_url.replace(&source, &shared)
    );
    // A vault in another geography (United States): refused.
    let finance = s.vault_uri(&token, "rg-finance", "kv-finance-ade").await;
    let (status, error) = call(
        &s,
        reqwest::Method::POST,
        &format!("{finance}keys/restore?{V}"),
        &vault,
        Some(backup),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "BadParameter");
    // Garbage is not a backup.
    let (status, _) = call(
        &s,
        reqwest::Method::POST,
        &format!("{shared}secrets/restore?{V}"),
        &vault,
        Some(json!({"value": "bm90IGEgYmFja3Vw"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn set_secret_keeps_content_type_and_tags_and_access_policies_decide_who_may() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = s.vault_token().await;
    let kv = s
        .vault_uri(&token, "rg-security-prod", "kv-shared-jpe")
        .await;
    let body = json!({"value": "wrapped-bek", "contentType": "Wrapped BEK", "tags": {"MachineName": "vm-web01", "DiskEncryptionKeyEncryptionAlgorithm": "RSA-OAEP"}});
    let (status, secret) = call(
        &s,
        reqwest::Method::PUT,
        &format!("{kv}secrets/restored-bek?{V}"),
        &vault,
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{secret}");
    assert_eq!(secret["contentType"], "Wrapped BEK");
    assert_eq!(
        secret["tags"]["DiskEncryptionKeyEncryptionAlgorithm"],
        "RSA-OAEP"
    );
    assert!(
        secret["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{kv}secrets/restored-bek/"))
    );

    // Take the operator's secret permissions away: reads are now forbidden.
    let sub = s.sub_path(&token, "Contoso Production").await;
    let mgmt = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    );
    let policies = s
        .ok(&format!("{mgmt}?api-version=2023-07-01"), &token)
        .await;
    let operator = policies["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let remove = json!({"properties": {"accessPolicies": [{
        "tenantId": operator["tenantId"], "objectId": operator["objectId"],
        "permissions": {"secrets": ["get", "list"]}
    }]}});
    assert_eq!(
        s.put(
            &format!("{mgmt}/accessPolicies/remove?api-version=2023-07-01"),
            &token,
            &remove
        )
        .await
        .0,
        200
    );
    let (status, error) = call(
        &s,
        reqwest::Method::GET,
        &format!("{kv}secrets/restored-bek?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["error"]["innererror"]["code"], "AccessDenied");
}

#[tokio::test]
async fn on_an_rbac_vault_a_custom_role_grants_its_data_actions_and_no_others() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let vault = s.vault_token().await;
    let kv = s.vault_uri(&token, "rg-hr", "kv-hr-rbac").await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let scope =
        format!("{sub}/resourceGroups/rg-hr/providers/Microsoft.KeyVault/vaults/kv-hr-rbac");
    let operator = crate::support::operator_object_id(&s, &token).await;

    // The demo makes the operator Key Vault Administrator here; swap that for the demo's
    // least-privilege custom role, which may read and back up secrets but not write them.
    let mine = s
        .ok(
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{operator}'&api-version=2022-04-01"),
            &token,
        )
        .await;
    for assignment in mine["value"].as_array().unwrap() {
        let id = assignment["id"].as_str().unwrap();
        let response = s
            .http
            .delete(s.arm(&format!("{id}?api-version=2022-04-01")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let (status, _) = call(
        &s,
        reqwest::Method::GET,
        &format!("{kv}secrets?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 403, "no role, no listing");

    let body = json!({"properties": {
        "roleDefinitionId": format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/{}", safehold_sandbox::BACKUP_KEY_READER_ROLE.to_ascii_uppercase()),
        "principalId": operator,
        "principalType": "ServicePrincipal"
    }});
    let (status, created) = s
        .put(
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/2d4e6f80-1a3b-4c5d-9e7f-0a1b2c3d4e5f?api-version=2022-04-01"),
            &token,
            &body,
        )
        .await;
    assert_eq!(status, 201, "{created}");

    let (status, listed) = call(
        &s,
        reqwest::Method::GET,
        &format!("{kv}secrets?{V}"),
        &vault,
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let (status, error) = call(
        &s,
        reqwest::Method::PUT,
        &format!("{kv}secrets/not-allowed?{V}"),
        &vault,
        Some(json!({"value": "x"})),
    )
    .await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["error"]["innererror"]["code"], "ForbiddenByRbac");
}
