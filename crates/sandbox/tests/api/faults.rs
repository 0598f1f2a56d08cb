use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{arm_error, start};

const LIST: &str = "/subscriptions?api-version=2022-12-01";

async fn set_faults(s: &crate::support::Running, token: &str, config: Value) -> Value {
    let url = s.sandbox.endpoints().admin_endpoint.clone() + "/faults";
    let response = s
        .http
        .put(url)
        .bearer_auth(token)
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn counts(s: &crate::support::Running, token: &str) -> Value {
    let url = s.sandbox.endpoints().admin_endpoint.clone() + "/faults";
    let body: Value = s
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["counts"].clone()
}

#[tokio::test]
async fn the_admin_endpoint_needs_a_sandbox_token_and_checks_the_config() {
    let s = start().await;
    let url = s.sandbox.endpoints().admin_endpoint.clone() + "/faults";
    let response = s.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let token = s.arm_token().await;
    let response = s
        .http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"throttleRate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = s
        .http
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({"noSuchFault": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn latency_delays_every_answer_and_is_counted() {
    let s = start().await;
    let token = s.arm_token().await;
    set_faults(&s, &token, json!({"latencyMs": 150})).await;
    let started = Instant::now();
    let (status, _, _) = s.get(LIST, Some(&token)).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(counts(&s, &token).await["delayed"], 1);
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_but_never_the_token_endpoint() {
    let s = start().await;
    let token = s.arm_token().await;
    set_faults(
        &s,
        &token,
        json!({"throttleRate": 1.0, "retryAfterSecs": 7}),
    )
    .await;
    let (status, headers, body) = s.get(LIST, Some(&token)).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    arm_error(&body, "TooManyRequests");
    // Signing in still works while ARM throttles.
    assert!(!s.arm_token().await.is_empty());
    assert_eq!(counts(&s, &token).await["throttled"], 1);
}

#[tokio::test]
async fn the_token_bucket_allows_250_reads_then_throttles() {
    let s = start().await;
    let token = s.arm_token().await;
    set_faults(&s, &token, json!({"tokenBucket": true})).await;
    let sub_path = format!(
        "{}?api-version=2022-12-01",
        s.sub_path(&token, "Contoso Production").await
    );
    let mut first_throttled = None;
    let started = Instant::now();
    for i in 0..400 {
        let (status, headers, _) = s.get(&sub_path, Some(&token)).await;
        if status == 429 {
            assert_eq!(headers["retry-after"], "1");
            first_throttled = Some(i);
            break;
        }
    }
    // The bucket holds 250 and refills 25 a second while the loop runs.
    let first = first_throttled.expect("never throttled");
    let refilled = (started.elapsed().as_secs_f64() * 25.0).ceil() as usize;
    assert!(
        (250..=250 + refilled).contains(&first),
        "throttled at request {first}, refilled {refilled}"
    );
}

#[tokio::test]
async fn server_errors_are_5xx_with_the_arm_envelope() {
    let s = start().await;
    let token = s.arm_token().await;
    set_faults(&s, &token, json!({"serverErrorRate": 1.0})).await;
    let (status, _, body) = s.get(LIST, Some(&token)).await;
    assert!(status == 500 || status == 503, "{status}");
    arm_error(&body, "InternalServerError");
}

#[tokio::test]
async fn a_reset_before_drops_the_connection_and_changes_nothing() {
    let s = start().await;
    let token = s.arm_token().await;
    set_faults(&s, &token, json!({"resetBeforeRate": 1.0})).await;
    assert!(
        s.http
            .get(s.arm(LIST))
            .bearer_auth(&token)
            .send()
            .await
            .is_err()
    );
    assert_eq!(counts(&s, &token).await["resetsBefore"], 1);
}

#[tokio::test]
async fn a_reset_after_loses_the_answer_but_the_write_took_effect() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    );
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let object = "5d3c8f21-aaaa-4bbb-8ccc-0123456789ab";
    set_faults(&s, &token, json!({"resetAfterRate": 1.0})).await;
    let body = json!({"properties": {"accessPolicies": [{"tenantId": tenant, "objectId": object, "permissions": {"secrets": ["get"]}}]}});
    let sent = s
        .http
        .put(s.arm(&format!(
            "{vault}/accessPolicies/add?api-version=2023-07-01"
        )))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await;
    assert!(sent.is_err(), "the answer should have been lost");
    set_faults(&s, &token, json!({})).await;
    let vault = s
        .ok(&format!("{vault}?api-version=2023-07-01"), &token)
        .await;
    assert!(
        vault["properties"]["accessPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["objectId"] == object)
    );
    assert_eq!(counts(&s, &token).await["resetsAfter"], 1);
}

#[tokio::test]
async fn reset_restores_the_demo_tenant_but_keeps_the_tenant_and_sign_in() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    );
    let tenant = s.sandbox.endpoints().tenant_id.clone();
    let body = json!({"properties": {"accessPolicies": [{"tenantId": tenant, "objectId": "5d3c8f21-aaaa-4bbb-8ccc-0123456789ab", "permissions": {"secrets": ["get"]}}]}});
    assert_eq!(
        s.put(
            &format!("{vault}/accessPolicies/add?api-version=2023-07-01"),
            &token,
            &body
        )
        .await
        .0,
        200
    );
    let url = s.sandbox.endpoints().admin_endpoint.clone() + "/reset";
    assert_eq!(
        s.http
            .post(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    // Same token still works; the vault is back to its four demo entries.
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe"
    );
    let body = s
        .ok(&format!("{vault}?api-version=2023-07-01"), &token)
        .await;
    assert_eq!(
        body["properties"]["accessPolicies"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(body["properties"]["tenantId"], tenant.as_str());
}

#[tokio::test]
async fn slow_operations_stay_in_progress_and_polls_can_miss_for_a_moment() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    set_faults(&s, &token, json!({"slowLroSecs": 1})).await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast"
    );
    let item = format!(
        "{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-sql-prod;vm-sql-01/protectedItems/VM;iaasvmcontainerv2;rg-sql-prod;vm-sql-01"
    );
    let response = s
        .http
        .post(s.arm(&format!("{item}/backup?api-version=2024-04-01")))
        .bearer_auth(&token)
        .json(&json!({"properties": {"objectType": "IaasVMBackupRequest"}}))
        .send()
        .await
        .unwrap();
    let status_url = response.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let first: Value = s
        .http
        .get(&status_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "InProgress");
    assert_eq!(
        s.http
            .get(&location)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let done: Value = s
        .http
        .get(&status_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "Succeeded");

    set_faults(&s, &token, json!({"pollNotFoundRate": 1.0})).await;
    let (status, _, body) = s
        .get(
            &status_url.replace(&s.sandbox.endpoints().arm_endpoint, ""),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    arm_error(&body, "NotFound");
    assert_eq!(counts(&s, &token).await["pollNotFound"], 1);
    // Other requests are untouched by that fault.
    assert_eq!(s.get(LIST, Some(&token)).await.0, 200);
}
