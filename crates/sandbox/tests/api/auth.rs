use crate::support::{arm_error, start};

const LIST: &str = "/subscriptions?api-version=2022-12-01";

#[tokio::test]
async fn a_missing_token_gets_401_with_the_arm_envelope_and_a_challenge() {
    let s = start().await;
    let (status, headers, body) = s.get(LIST, None).await;
    assert_eq!(status, 401);
    arm_error(&body, "AuthenticationFailed");
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer authorization_uri="),
        "{challenge}"
    );
    assert!(challenge.contains(&s.sandbox.endpoints().tenant_id));
    assert!(headers.contains_key("x-ms-request-id"));
    assert!(headers.contains_key("x-ms-correlation-request-id"));
}

#[tokio::test]
async fn an_expired_token_gets_401_expired_authentication_token() {
    let s = start().await;
    let expired = s
        .sandbox
        .issue_token("https://management.azure.com/", -60)
        .unwrap();
    let (status, _, body) = s.get(LIST, Some(&expired)).await;
    assert_eq!(status, 401);
    let message = arm_error(&body, "ExpiredAuthenticationToken");
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn a_token_for_another_audience_gets_401_invalid_audience() {
    let s = start().await;
    // Obtained through the real token endpoint, for Key Vault instead of ARM.
    let response = s
        .request_token(
            s.sandbox.client_secret(),
            "https://vault.azure.net/.default",
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let vault_token = body["access_token"].as_str().unwrap();
    let (status, _, body) = s.get(LIST, Some(vault_token)).await;
    assert_eq!(status, 401);
    let message = arm_error(&body, "InvalidAuthenticationTokenAudience");
    assert!(message.contains("https://vault.azure.net/"), "{message}");
}

#[tokio::test]
async fn a_forged_or_garbled_token_gets_401_invalid_token() {
    let s = start().await;
    let other = crate::support::start().await;
    let foreign = other.arm_token().await;
    for token in ["garbage", "a.b.c", foreign.as_str()] {
        let (status, _, body) = s.get(LIST, Some(token)).await;
        assert_eq!(status, 401, "{token}");
        arm_error(&body, "InvalidAuthenticationToken");
    }
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let s = start().await;
    let token = s.arm_token().await;
    let (status, headers, body) = s.get(LIST, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers["x-ms-ratelimit-remaining-subscription-reads"],
        "11999"
    );
}

#[tokio::test]
async fn the_client_correlation_id_is_echoed() {
    let s = start().await;
    let token = s.arm_token().await;
    let correlation = "0b7c2d3e-4f50-4a61-8b72-93a4b5c6d7e8";
    let response = s
        .http
        .get(s.arm(LIST))
        .bearer_auth(token)
        .header("x-ms-correlation-request-id", correlation)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-ms-correlation-request-id"],
        correlation
    );
}
