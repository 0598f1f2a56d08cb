//! The accounts service against a real sandbox and an in-memory keyring.

use super::*;
use safehold_keystore::MemoryBackend;
use tokio_util::sync::CancellationToken;

fn keystore(dir: &std::path::Path) -> Result<SecretStore, StoreError> {
    SecretStore::open(Box::new(MemoryBackend::new()), dir.join("overflow"))
}

fn sandbox_choice() -> CloudChoice {
    CloudChoice {
        kind: CloudKind::Sandbox,
        arm_endpoint: None,
        public_client_id: None,
        ca_certificate_path: None,
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
            &CancellationToken::new(),
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
            &CancellationToken::new(),
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
            &CancellationToken::new(),
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    assert!(!added.remembered);
    let view = accounts.view().await;
    assert!(!view.keyring.available);
    assert_eq!(
        view.keyring.error.unwrap().advice,
        safehold_core::Advice::InstallKeyring
    );
    let file = std::fs::read_to_string(dir.path().join("accounts.json")).unwrap_or_default();
    assert!(!file.contains(&e.client_id), "{file}");
    assert_eq!(accounts.subscriptions().await.unwrap().len(), 2);
}

/// Every form a secret could be written in: plain, UTF-16 (little and big endian), base64.
fn forms(secret: &str) -> Vec<(String, Vec<u8>)> {
    use base64::Engine as _;
    let utf16le: Vec<u8> = secret.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = secret.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        ("plain".to_owned(), secret.as_bytes().to_vec()),
        ("UTF-16LE".to_owned(), utf16le),
        ("UTF-16BE".to_owned(), utf16be),
        (
            "base64".to_owned(),
            base64::engine::general_purpose::STANDARD
                .encode(secret)
                .into_bytes(),
        ),
        (
            "base64url".to_owned(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(secret)
                .into_bytes(),
        ),
    ]
}

/// Files under `dir` (recursively), skipping `except`.
fn files(dir: &std::path::Path, except: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.starts_with(except) {
            continue;
        }
        if path.is_dir() {
            found.extend(files(&path, except));
        } else {
            found.push(path);
        }
    }
    found
}

/// Where `canaries` appear, in any form, in `bytes`.
fn hits(label: &str, bytes: &[u8], canaries: &[(&str, String)]) -> Vec<String> {
    let mut found = vec![];
    for (name, secret) in canaries {
        for (form, needle) in forms(secret) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push(format!("{name} ({form}) in {label}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_secret_or_token_reaches_a_file_a_log_or_an_ipc_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let started = std::time::SystemTime::now();
    // The app's log, at the most detailed level, for the length of the test.
    let appender = tracing_appender::rolling::never(&logs, "safehold.log");
    let (writer, _flush) = tracing_appender::non_blocking(appender);
    let _log = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(writer)
            .with_ansi(false)
            .finish(),
    );

    let backend = MemoryBackend::new();
    let keyring =
        SecretStore::open(Box::new(backend.clone()), data.join("keyring-overflow")).unwrap();
    let accounts = Accounts::open(data.clone(), Ok(keyring), vec![]).tune_sandbox(|c| {
        c.device_poll_interval_secs = 1;
    });
    accounts.ensure_default().await.unwrap();
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    let client_secret = sandbox.sandbox.client_secret().to_owned();
    let mut answers: Vec<(String, String)> = vec![];
    let mut answer =
        |name: &str, value: &dyn erased::Json| answers.push((name.to_owned(), value.json()));

    // A service principal with a secret.
    let principal = accounts
        .sign_in(
            SignInRequest::ServicePrincipalSecret {
                cloud: sandbox_choice(),
                tenant_id: e.tenant_id.clone(),
                client_id: e.client_id.clone(),
                secret: client_secret.clone(),
            },
            &CancellationToken::new(),
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    answer("sign_in (secret)", &principal);

    // A person with a device code, approved on the sandbox's page.
    let ca = reqwest::Certificate::from_pem(sandbox.sandbox.ca_pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .unwrap();
    let person = accounts
        .sign_in(
            SignInRequest::DeviceCode {
                cloud: sandbox_choice(),
                tenant: None,
            },
            &CancellationToken::new(),
            |prompt| {
                answers_prompt(&prompt);
                tokio::spawn(approve(http.clone(), prompt, "mei.tanaka@contoso.com"));
            },
            |_| Ok(()),
        )
        .await
        .unwrap();
    answer("sign_in (device code)", &person);
    let guest = person
        .tenants
        .iter()
        .find(|t| !t.home)
        .unwrap()
        .tenant
        .tenant_id
        .clone();
    answer(
        "set_account_scope",
        &accounts
            .set_scope(
                &person.id,
                vec![person.home_tenant_id.clone(), guest.clone()],
                None,
            )
            .await
            .unwrap(),
    );
    answer(
        "refresh_tenants",
        &accounts.refresh_tenants(&person.id).await.unwrap(),
    );
    let subscriptions = accounts.subscriptions().await.unwrap();
    assert_eq!(subscriptions.len(), 3, "home and guest subscriptions");
    answer("list_subscriptions", &subscriptions);
    answer(
        "list_account_subscriptions",
        &accounts
            .account_subscriptions(&person.id, &guest)
            .await
            .unwrap(),
    );
    answer(
        "list_vaults",
        &accounts
            .vaults(&subscriptions[2].subscription_id)
            .await
            .unwrap(),
    );
    answer("list_accounts", &accounts.view().await);

    // The canaries: the principal's secret, the person's refresh token as the keyring holds it,
    // and an access token the sandbox issues.
    let refresh_token = backend
        .raw(&format!("{}.refresh-token", person.id))
        .expect("the refresh token is in the keyring");
    let sp = safehold_azure::identity::credential::client_secret(
        &sandbox.cloud,
        &e.tenant_id,
        &e.client_id,
        client_secret.clone(),
    )
    .unwrap();
    let access_token = sp
        .get_token(&[&sandbox.cloud.arm_scope()], None)
        .await
        .unwrap()
        .token
        .secret()
        .to_owned();
    let canaries = [
        ("client secret", client_secret),
        ("refresh token", refresh_token),
        // The signature part of a token is unique to it and never shorter than 40 characters.
        (
            "access token",
            access_token.rsplit('.').next().unwrap().to_owned(),
        ),
    ];

    answer("sign_out", &accounts.sign_out(&person.id).await.unwrap());
    answer("sign_out", &accounts.sign_out(&principal.id).await.unwrap());
    assert!(
        backend
            .raw(&format!("{}.refresh-token", person.id))
            .is_none()
    );
    drop(_log);

    let mut found = vec![];
    for (name, json) in &answers {
        found.extend(hits(
            &format!("the {name} answer"),
            json.as_bytes(),
            &canaries,
        ));
        assert!(
            !json.contains("eyJ"),
            "the {name} answer carries something shaped like a token: {json}"
        );
    }
    // The simulated cloud keeps its own credentials in its folder: it is not Safehold's data.
    for file in files(dir.path(), &data.join("sandbox")) {
        found.extend(hits(
            &file.display().to_string(),
            &std::fs::read(&file).unwrap(),
            &canaries,
        ));
    }
    for file in files(&std::env::temp_dir(), dir.path()) {
        let recent = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .is_ok_and(|m| m >= started);
        if recent && let Ok(bytes) = std::fs::read(&file) {
            found.extend(hits(&file.display().to_string(), &bytes, &canaries));
        }
    }
    let log = std::fs::read_to_string(logs.join("safehold.log")).unwrap_or_default();
    assert!(log.contains("signed in"), "the log was written: {log}");
    assert!(found.is_empty(), "secrets found: {found:#?}");
}

fn answers_prompt(prompt: &DeviceCodeShown) {
    // The prompt itself is an IPC event: it carries a code for a person to type, never a token.
    let json = serde_json::to_string(prompt).unwrap();
    assert!(!json.contains("eyJ"), "{json}");
}

/// Serializes any IPC answer the way Tauri does.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}

#[tokio::test]
async fn a_person_without_any_subscription_is_told_why_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let backend = MemoryBackend::new();
    let keyring =
        SecretStore::open(Box::new(backend.clone()), dir.path().join("overflow")).unwrap();
    let accounts = Accounts::open(dir.path().to_owned(), Ok(keyring), vec![]).tune_sandbox(|c| {
        c.device_poll_interval_secs = 1;
    });
    let sandbox = accounts.sandbox().await.unwrap();
    let ca = reqwest::Certificate::from_pem(sandbox.sandbox.ca_pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge([ca])
        .build()
        .unwrap();
    let error = accounts
        .sign_in(
            SignInRequest::DeviceCode {
                cloud: sandbox_choice(),
                tenant: None,
            },
            &CancellationToken::new(),
            |prompt| {
                tokio::spawn(approve(http, prompt, "aiko.suzuki@contoso.com"));
            },
            |_| Ok(()),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Forbidden, "{}", error.chain());
    assert_eq!(
        error.problem,
        safehold_core::Problem::NoSubscriptionRole {
            user: "aiko.suzuki@contoso.com".into()
        }
    );
    assert_eq!(error.advice, safehold_core::Advice::AskForSubscriptionRole);
    assert!(accounts.view().await.accounts.is_empty());
    assert!(backend.names().is_empty(), "{:?}", backend.names());
    assert!(!dir.path().join("accounts.json").exists());
}

/// Signs `upn` in on the sandbox's device-login page, as a person on another device would.
async fn approve(http: reqwest::Client, prompt: DeviceCodeShown, upn: &'static str) {
    let page = http
        .get(&prompt.verification_uri)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let end = page.find(&format!("data-upn=\"{upn}\"")).unwrap();
    let start = page[..end].rfind("value=\"").unwrap() + 7;
    let user = page[start..].split('"').next().unwrap().to_owned();
    http.post(&prompt.verification_uri)
        .form(&[("user_code", prompt.user_code.as_str()), ("user", &user)])
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_sign_in_cancelled_while_it_waits_ends_at_once_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Arc::new(Accounts::open(
        dir.path().to_owned(),
        keystore(dir.path()),
        vec![],
    ));
    let waiting = accounts.clone();
    let cancel = CancellationToken::new();
    let cancelling = cancel.clone();
    let (shown, mut prompt) = tokio::sync::mpsc::unbounded_channel();
    let sign_in = tokio::spawn(async move {
        waiting
            .sign_in(
                SignInRequest::DeviceCode {
                    cloud: sandbox_choice(),
                    tenant: None,
                },
                &cancelling,
                move |p| {
                    let _ = shown.send(p);
                },
                |_| Ok(()),
            )
            .await
    });
    prompt.recv().await.expect("a device code is shown");
    cancel.cancel();
    let error = tokio::time::timeout(Duration::from_secs(5), sign_in)
        .await
        .expect("the sign-in stops waiting")
        .unwrap()
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Cancelled);
    assert!(accounts.view().await.accounts.is_empty());
}

/// A forward proxy that tunnels `CONNECT` requests and notes where each went.
async fn connect_proxy() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(vec![]));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = tokio::io::BufReader::new(client);
                let mut line = String::new();
                client.read_line(&mut line).await.unwrap();
                let target = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                loop {
                    let mut header = String::new();
                    client.read_line(&mut header).await.unwrap();
                    if header == "\r\n" || header.is_empty() {
                        break;
                    }
                }
                log.lock().unwrap().push(target.clone());
                let mut upstream = tokio::net::TcpStream::connect(&target).await.unwrap();
                let mut client = client.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (address, seen)
}

#[tokio::test]
async fn an_explicit_proxy_carries_every_request_to_a_custom_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::open(dir.path().to_owned(), keystore(dir.path()), vec![]);
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    let ca_path = dir.path().join("private-ca.pem");
    std::fs::write(&ca_path, sandbox.sandbox.ca_pem()).unwrap();
    let (proxy, seen) = connect_proxy().await;

    let refused = accounts
        .set_network_settings(NetworkSettings {
            proxy_mode: ProxyMode::Explicit,
            proxy_url: Some("not a url".to_owned()),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    let with_password = accounts
        .set_network_settings(NetworkSettings {
            proxy_mode: ProxyMode::Explicit,
            proxy_url: Some("http://mei:hunter2@proxy.contoso.com:8080".to_owned()),
        })
        .await
        .unwrap_err();
    assert_eq!(
        with_password.problem,
        safehold_core::Problem::ProxyCredentialsNotKept
    );
    assert!(
        !dir.path().join("settings.json").exists(),
        "nothing was saved"
    );
    accounts
        .set_network_settings(NetworkSettings {
            proxy_mode: ProxyMode::Explicit,
            proxy_url: Some(proxy),
        })
        .await
        .unwrap();

    // The sandbox seen as a custom cloud with a private CA: discovered, signed in to and listed
    // through the proxy.
    let account = accounts
        .sign_in(
            SignInRequest::ServicePrincipalSecret {
                cloud: CloudChoice {
                    kind: CloudKind::Custom,
                    arm_endpoint: Some(e.arm_endpoint.clone()),
                    public_client_id: None,
                    ca_certificate_path: Some(ca_path.display().to_string()),
                },
                tenant_id: e.tenant_id.clone(),
                client_id: e.client_id.clone(),
                secret: sandbox.sandbox.client_secret().to_owned(),
            },
            &CancellationToken::new(),
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    assert_eq!(account.cloud.kind, CloudKind::Custom);
    let arm = e.arm_endpoint.trim_start_matches("https://").to_owned();
    let tunnels = seen.lock().unwrap().clone();
    assert!(tunnels.iter().all(|t| *t == arm), "{tunnels:?}");
    assert!(
        tunnels.len() >= 3,
        "metadata, token and ARM went through the proxy: {tunnels:?}"
    );

    // The setting survives a restart.
    assert_eq!(
        records::load_settings(dir.path()).unwrap().proxy_mode,
        ProxyMode::Explicit
    );
}

#[tokio::test]
async fn the_azure_cli_sign_in_is_used_in_the_cloud_the_cli_is_set_to() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let accounts = Accounts::open(
        dir.path().join("data"),
        keystore(dir.path()),
        vec![bin.clone()],
    );
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    // A stand-in `az` that prints what `az account get-access-token` prints.
    let sp = safehold_azure::identity::credential::client_secret(
        &sandbox.cloud,
        &e.tenant_id,
        &e.client_id,
        sandbox.sandbox.client_secret().to_owned(),
    )
    .unwrap();
    let token = sp
        .get_token(&[&sandbox.cloud.arm_scope()], None)
        .await
        .unwrap();
    let answer = serde_json::json!({
        "accessToken": token.token.secret(),
        "expires_on": token.expires_on.unix_timestamp(),
        "tenant": e.tenant_id,
        "tokenType": "Bearer"
    });
    std::fs::write(
        bin.join("az"),
        format!("#!/bin/sh\ncat <<'JSON'\n{answer}\nJSON\n"),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("az"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sandbox.sandbox.ca_pem()).unwrap();

    // The embedded sandbox is refused: the CLI cannot know it.
    let refused = accounts
        .sign_in(
            SignInRequest::AzureCli {
                cloud: sandbox_choice(),
                tenant: None,
            },
            &CancellationToken::new(),
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidInput);

    let account = accounts
        .sign_in(
            SignInRequest::AzureCli {
                cloud: CloudChoice {
                    kind: CloudKind::Custom,
                    arm_endpoint: Some(e.arm_endpoint.clone()),
                    public_client_id: None,
                    ca_certificate_path: Some(ca.display().to_string()),
                },
                tenant: None,
            },
            &CancellationToken::new(),
            |_| {},
            |_| Ok(()),
        )
        .await
        .unwrap();
    assert_eq!(account.method, SignInMethod::AzureCli);
    assert_eq!(account.home_tenant_id, e.tenant_id);
    assert_eq!(accounts.subscriptions().await.unwrap().len(), 2);
}

/// A keyring whose writes wait for the test to let them through, once armed.
#[derive(Clone, Default)]
struct GatedBackend {
    inner: MemoryBackend,
    gate: Arc<std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>>,
    waited_too_long: Arc<std::sync::atomic::AtomicBool>,
}

impl GatedBackend {
    fn arm(&self) -> std::sync::mpsc::Sender<()> {
        let (open, gate) = std::sync::mpsc::channel();
        *self.gate.lock().unwrap() = Some(gate);
        open
    }
}

impl safehold_keystore::Backend for GatedBackend {
    fn set(&self, name: &str, value: &str) -> Result<(), safehold_keystore::BackendError> {
        if let Some(gate) = self.gate.lock().unwrap().take()
            && gate.recv_timeout(Duration::from_secs(5)).is_err()
        {
            self.waited_too_long
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        self.inner.set(name, value)
    }
    fn get(&self, name: &str) -> Result<Option<String>, safehold_keystore::BackendError> {
        self.inner.get(name)
    }
    fn delete(&self, name: &str) -> Result<(), safehold_keystore::BackendError> {
        self.inner.delete(name)
    }
}

async fn written(sink: &KeyringSink) {
    for _ in 0..500 {
        if sink.is_idle() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the rotated token was never written");
}

#[tokio::test]
async fn a_rotated_refresh_token_is_written_off_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let backend = GatedBackend::default();
    let store =
        Arc::new(SecretStore::open(Box::new(backend.clone()), dir.path().join("o")).unwrap());
    let sink = KeyringSink::new(store.clone(), "a.refresh-token".to_owned());
    let open = backend.arm();
    // On this single-threaded runtime, a write on the calling thread would hold the gate shut
    // until it gave up.
    sink.store("rotated");
    open.send(()).unwrap();
    written(&sink).await;
    assert!(
        !backend
            .waited_too_long
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    assert_eq!(
        store.get("a.refresh-token").unwrap().unwrap().as_str(),
        "rotated"
    );
}

#[tokio::test]
async fn a_failed_rotation_keeps_the_previous_refresh_token() {
    let dir = tempfile::tempdir().unwrap();
    let backend = MemoryBackend::new();
    let store =
        Arc::new(SecretStore::open(Box::new(backend.clone()), dir.path().join("o")).unwrap());
    store.put("a.refresh-token", "previous").unwrap();
    let sink = KeyringSink::new(store.clone(), "a.refresh-token".to_owned());
    backend.fail_next_writes(1);
    sink.store("rotated");
    written(&sink).await;
    assert_eq!(
        store.get("a.refresh-token").unwrap().unwrap().as_str(),
        "previous",
        "the next start can still sign in"
    );
    sink.store("rotated again");
    written(&sink).await;
    assert_eq!(
        store.get("a.refresh-token").unwrap().unwrap().as_str(),
        "rotated again"
    );
}

#[tokio::test]
async fn a_custom_clouds_endpoints_are_read_before_any_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::open(dir.path().to_owned(), keystore(dir.path()), vec![]);
    let sandbox = accounts.sandbox().await.unwrap();
    let e = sandbox.sandbox.endpoints().clone();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sandbox.sandbox.ca_pem()).unwrap();
    let ca = ca.display().to_string();

    let discovered = accounts
        .discover_cloud(&e.arm_endpoint, Some(&ca))
        .await
        .unwrap();
    assert_eq!(
        discovered,
        DiscoveredCloud {
            name: "SafeholdSandbox".to_owned(),
            arm_endpoint: e.arm_endpoint.trim_end_matches('/').to_owned(),
            login_endpoint: e.authority_host.trim_end_matches('/').to_owned(),
            // The sandbox also lists Azure's audiences; its own is the one used.
            arm_audience: e.arm_endpoint.trim_end_matches('/').to_owned(),
            graph_endpoint: "https://graph.microsoft.com".to_owned(),
        }
    );
    assert!(
        accounts.view().await.accounts.is_empty(),
        "nobody signed in"
    );

    // Without its CA the sandbox's certificate is not trusted.
    let error = accounts
        .discover_cloud(&e.arm_endpoint, None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Network, "{}", error.chain());
    // A CA path that is not a certificate says so, as the sign-in would.
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let error = accounts
        .discover_cloud(&e.arm_endpoint, Some(&not_pem.display().to_string()))
        .await
        .unwrap_err();
    assert!(
        matches!(error.problem, Problem::NoPemCertificate { .. }),
        "{:?}",
        error.problem
    );
    let error = accounts
        .discover_cloud("http://example.com", None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
}
