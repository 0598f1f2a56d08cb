//! The accounts service against a real sandbox and an in-memory keyring.

use super::*;
use safehold_keystore::MemoryBackend;

fn keystore(dir: &std::path::Path) -> Result<SecretStore, StoreError> {
    SecretStore::open(Box::new(MemoryBackend::new()), dir.join("overflow"))
}

fn sandbox_choice() -> CloudChoice {
    CloudChoice {
        kind: CloudKind::Sandbox,
        arm_endpoint: None,
        public_client_id: None,
    }
}

#[tokio::test]
async fn a_first_start_signs_in_to_the_sandbox_and_lists_its_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::open(dir.path().to_owned(), keystore(dir.path()), vec![]);
    accounts.ensure_default().await.unwrap();
    let view = accounts.view().await;
    assert!(view.keyring.available);
    assert_eq!(view.accounts.len(), 1);
    assert_eq!(view.accounts[0].method, SignInMethod::Sandbox);
    let names: Vec<String> = accounts
        .subscriptions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.display_name)
        .collect();
    assert_eq!(names, ["Contoso Production", "Contoso Development"]);
    // A second call does not add another.
    accounts.ensure_default().await.unwrap();
    assert_eq!(accounts.view().await.accounts.len(), 1);
}

#[tokio::test]
async fn a_service_principal_is_remembered_in_the_keyring_and_signed_out_completely() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::open(dir.path().to_owned(), keystore(dir.path()), vec![]);
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    let secret = sandbox.sandbox.client_secret().to_owned();
    let added = accounts
        .sign_in(
            SignInRequest::ServicePrincipalSecret {
                cloud: sandbox_choice(),
                tenant_id: e.tenant_id.clone(),
                client_id: e.client_id.clone(),
                secret: secret.clone(),
            },
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    assert!(added.remembered);
    assert_eq!(added.status, AccountStatus::Ready);
    let file = std::fs::read_to_string(dir.path().join("accounts.json")).unwrap();
    assert!(
        !file.contains(&secret),
        "the secret never reaches the accounts file"
    );

    // A wrong secret: a clear error, nothing stored.
    let wrong = accounts
        .sign_in(
            SignInRequest::ServicePrincipalSecret {
                cloud: sandbox_choice(),
                tenant_id: e.tenant_id.clone(),
                client_id: e.client_id.clone(),
                secret: "wrong".to_owned(),
            },
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::Auth);
    assert_eq!(accounts.view().await.accounts.len(), 1);

    let after = accounts.sign_out(&added.id).await.unwrap();
    assert!(after.accounts.is_empty());
}

#[tokio::test]
async fn without_a_keyring_a_sign_in_lasts_for_the_run_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let unavailable = Err(StoreError::Unavailable {
        detail: "no session bus".to_owned(),
    });
    let accounts = Accounts::open(dir.path().to_owned(), unavailable, vec![]);
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    let added = accounts
        .sign_in(
            SignInRequest::ServicePrincipalSecret {
                cloud: sandbox_choice(),
                tenant_id: e.tenant_id.clone(),
                client_id: e.client_id.clone(),
                secret: sandbox.sandbox.client_secret().to_owned(),
            },
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    assert!(!added.remembered);
    let view = accounts.view().await;
    assert!(!view.keyring.available);
    assert!(view.keyring.suggestion.unwrap().contains("gnome-keyring"));
    let file = std::fs::read_to_string(dir.path().join("accounts.json")).unwrap_or_default();
    assert!(!file.contains(&e.client_id), "{file}");
    assert_eq!(accounts.subscriptions().await.unwrap().len(), 2);
}
