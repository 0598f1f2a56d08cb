use serde_json::Value;

use crate::support::start;

#[tokio::test]
async fn the_backup_management_service_resolves_to_an_object_id_with_a_graph_token() {
    let s = start().await;
    let response = s
        .request_token(
            s.sandbox.client_secret(),
            "https://graph.microsoft.com/.default",
        )
        .await;
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let url = s.arm("/v1.0/servicePrincipals?$filter=appId%20eq%20'262044b1-e2ce-469f-a196-69ab7ada62d3'&$select=id,appId,displayName");
    let body: Value = s
        .http
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = body["value"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["displayName"], "Backup Management Service");
    assert!(uuid::Uuid::parse_str(found[0]["id"].as_str().unwrap()).is_ok());

    // An ARM token is not a Graph token.
    let arm = s.arm_token().await;
    let response = s.http.get(&url).bearer_auth(arm).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "InvalidAuthenticationToken");
    assert!(error["error"]["innerError"]["request-id"].is_string());
}

#[tokio::test]
async fn the_cloud_metadata_document_needs_no_token_and_names_the_endpoints() {
    let s = start().await;
    let body: Value = s
        .http
        .get(s.arm("/metadata/endpoints?api-version=2022-09-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = s.sandbox.endpoints();
    assert_eq!(body["resourceManager"], format!("{}/", e.arm_endpoint));
    assert_eq!(
        body["authentication"]["loginEndpoint"],
        e.authority_host.as_str()
    );
    assert!(
        body["authentication"]["audiences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "https://management.azure.com/")
    );
}
