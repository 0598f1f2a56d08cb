//! The blob endpoint: user delegation keys, and reading a restore's outputs with a SAS.

use serde_json::Value;

async fn template_url(s: &crate::support::Running) -> String {
    let token = s.arm_token().await;
    let job = crate::support::restore_newest(s, &token, "rg-sql-prod", "vm-sql-01").await;
    job["properties"]["extendedInfo"]["propertyBag"]["Template Blob Uri"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_read_sas_from_a_user_delegation_key_downloads_the_template_without_a_token() {
    let s = crate::support::start_fast().await;
    let url = template_url(&s).await;
    let signed = s.with_read_sas(&url).await;
    let response = s.http.get(&signed).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let template: Value = response.json().await.unwrap();
    assert!(template["resources"].is_array(), "{template}");

    // The same URL without its SAS, or with a signature for another blob, is refused.
    let bare = s.http.get(&url).send().await.unwrap();
    assert_eq!(
        bare.status(),
        404,
        "anonymous reads look like a missing blob"
    );
    let other = signed.replacen('?', "-copy?", 1);
    let refused = s.http.get(&other).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-ms-error-code"], "AuthenticationFailed");
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("<AuthenticationErrorDetail>Signature did not match")
    );
}

#[tokio::test]
async fn a_sas_asking_for_more_than_it_was_signed_for_is_refused() {
    let s = crate::support::start_fast().await;
    let url = template_url(&s).await;
    let signed = s.with_read_sas(&url).await;
    let widened = signed.replacen("sp=r&", "sp=rw&", 1);
    assert_ne!(widened, signed);
    let response = s.http.get(&widened).send().await.unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn delegation_keys_are_refused_for_bad_bodies_and_over_long_lifetimes() {
    let s = crate::support::start().await;
    let (status, body) = s.delegation_key("stcontosorestorejpe", "not xml").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>InvalidXmlDocument</Code>"));
    let (status, body) = s
        .delegation_key(
            "stcontosorestorejpe",
            "<KeyInfo><Expiry>2099-01-01T00:00:00Z</Expiry></KeyInfo>",
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("seven days"));
    let (status, _) = s
        .delegation_key(
            "nosuchaccount",
            "<KeyInfo><Expiry>2099-01-01T00:00:00Z</Expiry></KeyInfo>",
        )
        .await;
    assert_eq!(status, 404);
}
