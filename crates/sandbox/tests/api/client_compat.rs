//! What the Azure CLI and other clients rely on beyond the API shapes: a cloud registered with a
//! trailing slash, request ids on every service's answers, and Graph's own endpoint.

use serde_json::Value;

use crate::support::start;

#[tokio::test]
async fn a_doubled_leading_slash_reaches_the_metadata_document_and_arm() {
    let s = start().await;
    let (status, headers, body) = s
        .get("//metadata/endpoints?api-version=2022-09-01", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["resourceManager"],
        format!("{}/", s.sandbox.endpoints().arm_endpoint)
    );
    assert!(headers.contains_key("x-ms-request-id"));
    assert!(headers.contains_key("x-ms-correlation-request-id"));

    let token = s.arm_token().await;
    let (status, _, body) = s
        .get("//subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body["value"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn arm_answers_carry_request_and_correlation_ids_errors_included() {
    let s = start().await;
    let (status, headers, _) = s.get("/subscriptions?api-version=2022-12-01", None).await;
    assert_eq!(status, 401);
    for name in ["x-ms-request-id", "x-ms-correlation-request-id"] {
        let value = headers[name].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(value).is_ok(), "{name}: {value}");
    }
}

#[tokio::test]
async fn key_vault_answers_carry_a_request_id_and_echo_the_client_request_id() {
    let s = start().await;
    let arm = s.arm_token().await;
    let vault = s.vault_uri(&arm, "rg-security-prod", "kv-shared-jpe").await;
    let url = format!("{vault}secrets?api-version=7.5");

    // The challenge first, then the list itself.
    let response = s.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("x-ms-request-id"));

    let token = s.vault_token().await;
    let response = s
        .http
        .get(&url)
        .bearer_auth(&token)
        .header("x-ms-client-request-id", "cli-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-ms-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(response.headers()["x-ms-client-request-id"], "cli-7");
}

#[tokio::test]
async fn blob_answers_carry_a_request_id() {
    let s = start().await;
    let url = format!("{}/nosuchaccount/c/b", s.sandbox.endpoints().blob_endpoint);
    let response = s.http.get(&url).send().await.unwrap();
    assert!(response.status().is_client_error());
    assert!(response.headers().contains_key("x-ms-request-id"));
}

#[tokio::test]
async fn graph_has_its_own_endpoint_which_the_metadata_document_names() {
    let s = start().await;
    let e = s.sandbox.endpoints();
    assert_ne!(e.graph_endpoint, e.arm_endpoint);
    let (_, _, metadata) = s
        .get("/metadata/endpoints?api-version=2022-09-01", None)
        .await;
    let graph = format!("{}/", e.graph_endpoint);
    assert_eq!(metadata["microsoftGraphResourceId"], graph.as_str());
    assert_eq!(metadata["graph"], graph.as_str());

    // A token for that resource works there, as the Azure CLI asks for one.
    let response = s
        .request_token(s.sandbox.client_secret(), &format!("{graph}.default"))
        .await;
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let url = format!(
        "{}/v1.0/servicePrincipals?$filter=appId%20eq%20'262044b1-e2ce-469f-a196-69ab7ada62d3'",
        e.graph_endpoint
    );
    let response = s.http.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["value"][0]["displayName"], "Backup Management Service");

    // An ARM token is still not a Graph token.
    let arm = s.arm_token().await;
    let response = s.http.get(&url).bearer_auth(arm).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_vm_lists_its_ade_extension_in_full_and_managed_hsm_lists_are_empty() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vm = s
        .ok(
            &format!("{sub}/resourceGroups/rg-web-prod/providers/Microsoft.Compute/virtualMachines/vm-web01?api-version=2026-04-01"),
            &token,
        )
        .await;
    let extension = &vm["resources"][0];
    assert_eq!(
        extension["properties"]["publisher"],
        "Microsoft.Azure.Security"
    );
    assert_eq!(extension["properties"]["type"], "AzureDiskEncryption");
    assert_eq!(
        extension["type"],
        "Microsoft.Compute/virtualMachines/extensions"
    );

    let hsms = s
        .ok(
            &format!("{sub}/providers/Microsoft.KeyVault/managedHSMs?api-version=2026-02-01"),
            &token,
        )
        .await;
    assert_eq!(hsms["value"], serde_json::json!([]));
}

#[tokio::test]
async fn what_the_clis_backup_commands_read_besides_the_operations() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast"
    );
    let config = s
        .ok(
            &format!("{vault}/backupEncryptionConfigs/backupResourceEncryptionConfig?api-version=2026-08-01"),
            &token,
        )
        .await;
    assert_eq!(
        config["properties"]["encryptionAtRestType"],
        "MicrosoftManaged"
    );
    let proxies = s
        .ok(
            &format!("{vault}/backupResourceGuardProxies?api-version=2026-08-01"),
            &token,
        )
        .await;
    assert_eq!(proxies["value"], serde_json::json!([]));
    let (status, _, body) = s
        .get(
            &format!("{vault}/backupOperations/no-such-operation?api-version=2026-08-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    crate::support::arm_error(&body, "BMSUserErrorOperationNotFound");
}

#[tokio::test]
async fn deployment_preflight_checks_the_template_and_the_group_without_deploying() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let validate = |rg: &str| {
        format!(
            "{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/preflight/validate?api-version=2025-04-01"
        )
    };
    let post = |url: String, body: Value| {
        let request = s.http.post(s.arm(&url)).bearer_auth(&token).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let template = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{ "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-03-01", "name": "vnet-x", "location": "japaneast" }]
    });
    let body = serde_json::json!({ "properties": { "mode": "Incremental", "template": template } });
    let (status, result) = post(validate("rg-app-prod"), body.clone()).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["properties"]["provisioningState"], "Succeeded");
    // Nothing was made.
    let (status, _, _) = s
        .get(
            &format!("{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Resources/deployments/preflight?api-version=2025-04-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);

    let (status, error) = post(validate("rg-nowhere"), body).await;
    assert_eq!(status, 404);
    crate::support::arm_error(&error, "ResourceGroupNotFound");
    let linked = serde_json::json!({ "properties": { "mode": "Incremental",
        "templateLink": { "uri": format!("{}/nosuchaccount/c/t.json", s.sandbox.endpoints().blob_endpoint) } } });
    let (status, error) = post(validate("rg-app-prod"), linked).await;
    assert_eq!(status, 400);
    crate::support::arm_error(&error, "InvalidContentLink");
}
