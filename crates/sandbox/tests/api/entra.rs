use serde_json::Value;

use crate::support::start;

async fn oauth_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_issue_a_bearer_token_with_expiry() {
    let s = start().await;
    let response = s
        .request_token(
            s.sandbox.client_secret(),
            "https://management.azure.com/.default",
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 3000);
    assert!(body["ext_expires_in"].is_number());
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_invalid_client() {
    let s = start().await;
    let (status, body) = oauth_error(
        s.request_token("not-the-secret", "https://management.azure.com/.default")
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7000215);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215")
    );
}

#[tokio::test]
async fn a_scope_without_default_is_refused() {
    let s = start().await;
    let (status, body) = oauth_error(
        s.request_token(s.sandbox.client_secret(), "user.read")
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn an_unknown_client_or_tenant_is_refused() {
    let s = start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "00000000-0000-0000-0000-000000000000"),
        ("client_secret", "x"),
        ("scope", "https://management.azure.com/.default"),
    ];
    let (status, body) =
        oauth_error(s.http.post(s.token_url()).form(&form).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );

    let other_tenant = format!(
        "{}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token",
        s.sandbox.endpoints().authority_host
    );
    let (status, body) =
        oauth_error(s.http.post(other_tenant).form(&form).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(90002))
    );
}

#[tokio::test]
async fn openid_discovery_names_the_token_endpoint() {
    let s = start().await;
    let e = s.sandbox.endpoints();
    let url = format!(
        "{}/{}/v2.0/.well-known/openid-configuration",
        e.authority_host, e.tenant_id
    );
    let body: Value = s.http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["token_endpoint"], s.token_url());
    assert!(body["issuer"].as_str().unwrap().contains(&e.tenant_id));
}

#[tokio::test]
async fn the_credentials_file_is_owner_only_and_holds_the_secret() {
    let s = start().await;
    let path = &s.sandbox.endpoints().credentials_file;
    let body: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(body["client_secret"], s.sandbox.client_secret());
    assert_eq!(body["client_id"], s.sandbox.endpoints().client_id);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

fn assertion(key_pem: &str, client_id: &str, audience: &str) -> String {
    let now = safehold_sandbox::token::now();
    let claims = serde_json::json!({
        "aud": audience, "iss": client_id, "sub": client_id,
        "jti": "7d3b1f2e-0000-4000-8000-000000000001", "nbf": now, "exp": now + 600
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .unwrap()
}

async fn with_assertion(s: &crate::support::Running, client_assertion: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", s.sandbox.endpoints().client_id.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", client_assertion),
        ("scope", "https://management.azure.com/.default"),
    ];
    oauth_error(s.http.post(s.token_url()).form(&form).send().await.unwrap()).await
}

#[tokio::test]
async fn the_principal_can_sign_in_with_its_certificate_and_only_its_own() {
    let s = start().await;
    let pem = std::fs::read_to_string(&s.sandbox.endpoints().client_certificate).unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let key_pem = pem.split("-----BEGIN CERTIFICATE-----").next().unwrap();
    let client_id = s.sandbox.endpoints().client_id.clone();

    let (status, body) = with_assertion(&s, &assertion(key_pem, &client_id, &s.token_url())).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = s
        .get(
            "/subscriptions?api-version=2022-12-01",
            body["access_token"].as_str(),
        )
        .await;
    assert_eq!(status, 200);

    // Another installation's certificate, or an assertion about someone else, is refused.
    let other = start().await;
    let other_pem = std::fs::read_to_string(&other.sandbox.endpoints().client_certificate).unwrap();
    let other_key = other_pem
        .split("-----BEGIN CERTIFICATE-----")
        .next()
        .unwrap();
    let (status, body) =
        with_assertion(&s, &assertion(other_key, &client_id, &s.token_url())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(body["error_codes"][0], 700027);
    let (status, _) = with_assertion(&s, &assertion(key_pem, "someone-else", &s.token_url())).await;
    assert_eq!(status, 401);
}
