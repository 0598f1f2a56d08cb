//! Every way of signing in, against the sandbox's Entra endpoints: the browser (PKCE) with the
//! sandbox's authorize page driven by the test, device code, a refresh token across tenants,
//! service principals with a secret and a certificate, the Azure CLI, and a custom cloud
//! discovered from its metadata.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use safehold_azure::identity::credential::{self, CertificatePem};
use safehold_azure::identity::user::{self, RefreshTokenHolder, RefreshTokenSink, UserCredential};
use safehold_azure::{ArmClient, Cloud};
use safehold_core::ports::ResourceManagerApi as _;
use safehold_core::{ErrorCode, Problem};
use zeroize::Zeroizing;

use crate::{Running, start};

fn http(r: &Running) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(r.sandbox.ca_pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_merge([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The hidden inputs of the sandbox's sign-in form, and the value of `upn`'s account button.
fn form_of(html: &str, upn: &str) -> Vec<(String, String)> {
    let mut fields = vec![];
    for input in html.split("<input type=\"hidden\" ").skip(1) {
        let name = input
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = input
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        fields.push((name.to_owned(), value.replace("&amp;", "&")));
    }
    let marker = format!("data-upn=\"{upn}\"");
    let end = html.find(&marker).unwrap();
    let start = html[..end].rfind("value=\"").unwrap() + 7;
    fields.push((
        "user".to_owned(),
        html[start..].split('"').next().unwrap().to_owned(),
    ));
    fields
}

/// A person in a browser: opens the authorize URL, picks `upn` (or cancels), follows the
/// redirect back to Safehold's loopback listener.
fn browser(
    r: &Running,
    upn: &'static str,
    cancel: bool,
) -> impl FnOnce(&str) -> Result<(), safehold_core::Error> + use<> {
    let http = http(r);
    move |url: &str| {
        let url = url.to_owned();
        tokio::spawn(async move {
            let page = http.get(&url).send().await.unwrap().text().await.unwrap();
            let action = url.split('?').next().unwrap().to_owned();
            let mut form = form_of(&page, upn);
            if cancel {
                form.retain(|(k, _)| k != "user");
                form.push(("cancel".to_owned(), "1".to_owned()));
            }
            let answer = http.post(action).form(&form).send().await.unwrap();
            let back = answer.headers()["location"].to_str().unwrap().to_owned();
            reqwest::get(back).await.unwrap();
        });
        Ok(())
    }
}

#[derive(Default)]
struct Rotations(Mutex<Vec<String>>);
impl RefreshTokenSink for Rotations {
    fn store(&self, refresh_token: &str) {
        self.0.lock().unwrap().push(refresh_token.to_owned());
    }
}

#[tokio::test]
async fn a_person_signs_in_in_the_browser_and_the_refresh_token_reaches_a_guest_tenant() {
    let r = start(100).await;
    let signed_in = user::sign_in_with_browser(
        &r.cloud,
        "organizations",
        browser(&r, "mei.tanaka@contoso.com", false),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(signed_in.user.username, "mei.tanaka@contoso.com");
    assert_eq!(signed_in.user.tenant_id, r.sandbox.endpoints().tenant_id);
    assert!(!signed_in.refresh_token.is_empty());

    // One refresh token, a credential per tenant.
    let rotations = Arc::new(Rotations::default());
    let holder = RefreshTokenHolder::new(signed_in.refresh_token.clone(), rotations.clone());
    let home = UserCredential::new(&r.cloud, &signed_in.user.tenant_id, holder.clone()).unwrap();
    let arm = ArmClient::new(&r.cloud, home).unwrap();
    let tenants = arm.list_tenants().await.unwrap();
    assert_eq!(tenants.len(), 2, "{tenants:?}");
    let partner = tenants
        .iter()
        .find(|t| t.display_name == "Fabrikam Trading")
        .unwrap();

    let guest = UserCredential::new(&r.cloud, &partner.tenant_id, holder).unwrap();
    let arm = ArmClient::new(&r.cloud, guest.clone()).unwrap();
    let subscriptions = arm.list_subscriptions().await.unwrap();
    let names: Vec<_> = subscriptions
        .iter()
        .map(|s| s.display_name.as_str())
        .collect();
    assert_eq!(names, ["Fabrikam Trading Operations"]);
    // Every refresh returned a new refresh token, and each went to the sink.
    assert!(!rotations.0.lock().unwrap().is_empty());
    // A second call is served from memory.
    let first = guest
        .get_token(&[&r.cloud.arm_scope()], None)
        .await
        .unwrap();
    let again = guest
        .get_token(&[&r.cloud.arm_scope()], None)
        .await
        .unwrap();
    assert_eq!(first.token.secret(), again.token.secret());
}

#[tokio::test]
async fn the_loopback_listener_acts_only_on_this_sign_ins_answer_on_ipv4_or_ipv6() {
    let r = start(100).await;
    let person = browser(&r, "mei.tanaka@contoso.com", false);
    let signed_in = user::sign_in_with_browser(
        &r.cloud,
        "organizations",
        move |url: &str| {
            let redirect = url::Url::parse(url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            let port = url::Url::parse(&redirect).unwrap().port().unwrap();
            let url = url.to_owned();
            tokio::spawn(async move {
                // Something else on this machine answers first, without the sign-in's state,
                // over IPv4 and (where there is one) IPv6: both are ignored.
                for host in ["127.0.0.1", "[::1]"] {
                    let forged = format!("http://{host}:{port}/?error=access_denied&state=forged");
                    if let Ok(answer) = reqwest::get(&forged).await {
                        let page = answer.text().await.unwrap();
                        assert!(page.contains("does not belong"), "{page}");
                    }
                }
                let _ = person(&url);
            });
            Ok(())
        },
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(signed_in.user.username, "mei.tanaka@contoso.com");
}

#[tokio::test]
async fn a_cancelled_browser_sign_in_and_one_nobody_finishes_say_so() {
    let r = start(100).await;
    let cancelled = user::sign_in_with_browser(
        &r.cloud,
        "organizations",
        browser(&r, "mei.tanaka@contoso.com", true),
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert_eq!(
        cancelled.code,
        ErrorCode::Cancelled,
        "{}",
        cancelled.chain()
    );

    let abandoned = user::sign_in_with_browser(
        &r.cloud,
        "organizations",
        |_url: &str| Ok(()),
        Duration::from_millis(300),
    )
    .await
    .unwrap_err();
    assert_eq!(abandoned.code, ErrorCode::Cancelled);
    assert_eq!(abandoned.problem, Problem::BrowserSignInTimedOut);
}

#[tokio::test]
async fn device_code_is_polled_until_someone_signs_in_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = safehold_sandbox::Config::new(dir.path());
    config.device_poll_interval_secs = 1;
    let r = started(config, dir).await;
    let http = http(&r);
    let verification = r.sandbox.endpoints().authority_host.clone();
    let signed_in = user::sign_in_with_device_code(&r.cloud, "organizations", |prompt| {
        assert!(prompt.verification_uri.ends_with("/devicelogin"));
        let code = prompt.user_code;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let page = http
                .get(format!("{verification}/devicelogin"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let user = form_of(&page, "kenji.sato@contoso.com").pop().unwrap();
            http.post(format!("{verification}/devicelogin"))
                .form(&[("user_code".to_owned(), code), user])
                .send()
                .await
                .unwrap();
        });
    })
    .await
    .unwrap();
    assert_eq!(signed_in.user.username, "kenji.sato@contoso.com");
}

#[tokio::test]
async fn a_device_code_nobody_uses_expires_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = safehold_sandbox::Config::new(dir.path());
    config.device_poll_interval_secs = 1;
    config.device_code_lifetime_secs = 2;
    let r = started(config, dir).await;
    let error = user::sign_in_with_device_code(&r.cloud, "organizations", |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Cancelled, "{}", error.chain());
    assert_eq!(
        error.problem,
        Problem::DeviceCodeExpired,
        "{}",
        error.chain()
    );
}

async fn started(config: safehold_sandbox::Config, dir: tempfile::TempDir) -> Running {
    let sandbox = safehold_sandbox::Sandbox::start(config).await.unwrap();
    let cloud = Cloud::sandbox(
        sandbox.endpoints().arm_endpoint.parse().unwrap(),
        sandbox.endpoints().authority_host.parse().unwrap(),
        sandbox.ca_pem().to_owned(),
    );
    Running {
        sandbox,
        cloud,
        _dir: dir,
    }
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_the_person_to_sign_in_again() {
    let r = start(100).await;
    let holder = RefreshTokenHolder::new(
        Zeroizing::new("not-a-refresh-token".to_owned()),
        Arc::new(Rotations::default()),
    );
    let credential =
        UserCredential::new(&r.cloud, &r.sandbox.endpoints().tenant_id, holder).unwrap();
    let error = credential::verify(credential.as_ref(), &r.cloud)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Auth, "{}", error.chain());
}

#[tokio::test]
async fn a_service_principal_signs_in_with_its_certificate() {
    let r = start(100).await;
    let e = r.sandbox.endpoints();
    let pem = std::fs::read_to_string(&e.client_certificate).unwrap();
    let certificate = CertificatePem::parse(&pem).unwrap();
    assert!(certificate.not_after > 0);
    let credential =
        credential::client_certificate(&r.cloud, &e.tenant_id, &e.client_id, certificate).unwrap();
    credential::verify(credential.as_ref(), &r.cloud)
        .await
        .unwrap();
    let subscriptions = ArmClient::new(&r.cloud, credential)
        .unwrap()
        .list_subscriptions()
        .await
        .unwrap();
    assert_eq!(subscriptions.len(), 2);

    // Another key with the same client id is refused by the sandbox's Entra.
    let other = rsa_certificate(
        rcgen::date_time_ymd(2025, 1, 1),
        rcgen::date_time_ymd(2099, 1, 1),
    );
    let credential = credential::client_certificate(
        &r.cloud,
        &e.tenant_id,
        &e.client_id,
        CertificatePem::parse(&other).unwrap(),
    )
    .unwrap();
    let error = credential::verify(credential.as_ref(), &r.cloud)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Auth, "{}", error.chain());

    // A key that is not RSA is refused before any request.
    let ec = rcgen::generate_simple_self_signed(vec!["ec".to_owned()]).unwrap();
    let ec_pem = format!("{}{}", ec.signing_key.serialize_pem(), ec.cert.pem());
    let error = CertificatePem::parse(&ec_pem).unwrap_err();
    assert_eq!(
        error.problem,
        Problem::CertificateUnusable {
            defect: safehold_core::problem::CertificateDefect::NoRsaKey
        }
    );
}

/// A PEM bundle: a fresh RSA key and a self-signed certificate valid between the two dates.
fn rsa_certificate(
    not_before: azure_core::time::OffsetDateTime,
    not_after: azure_core::time::OffsetDateTime,
) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["safehold-test".to_owned()]).unwrap();
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params.self_signed(&key).unwrap();
    format!("{}{}", key.serialize_pem(), cert.pem())
}

#[test]
fn an_expired_certificate_is_refused_with_its_date() {
    let pem = rsa_certificate(
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
    );
    let error = CertificatePem::parse(&pem).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(
        error.problem
            == Problem::CertificateExpired {
                date: "2021-01-01".into()
            },
        "{}",
        error.chain()
    );
}

/// A stand-in `az` that prints `output` and exits with `status`.
fn stand_in_az(dir: &std::path::Path, output: &str, status: i32) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join("az");
    std::fs::write(
        &path,
        format!("#!/bin/sh\ncat <<'JSON'\n{output}\nJSON\nexit {status}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn an_existing_azure_cli_login_is_reused() {
    let r = start(100).await;
    let e = r.sandbox.endpoints();
    // What `az account get-access-token` prints, with a token the sandbox issued.
    let sp = credential::client_secret(
        &r.cloud,
        &e.tenant_id,
        &e.client_id,
        r.sandbox.client_secret().to_owned(),
    )
    .unwrap();
    let token = sp.get_token(&[&r.cloud.arm_scope()], None).await.unwrap();
    let bin = tempfile::tempdir().unwrap();
    stand_in_az(
        bin.path(),
        &serde_json::json!({
            "accessToken": token.token.secret(),
            "expiresOn": "2099-01-01 00:00:00.000000",
            "expires_on": token.expires_on.unix_timestamp(),
            "subscription": "",
            "tenant": e.tenant_id,
            "tokenType": "Bearer"
        })
        .to_string(),
        0,
    );
    let cli = credential::azure_cli(None, vec![bin.path().to_owned()]).unwrap();
    credential::verify(cli.as_ref(), &r.cloud).await.unwrap();
    let subscriptions = ArmClient::new(&r.cloud, cli)
        .unwrap()
        .list_subscriptions()
        .await
        .unwrap();
    assert_eq!(subscriptions.len(), 2);

    // Not logged in: the CLI's own advice comes through.
    let bin = tempfile::tempdir().unwrap();
    stand_in_az(
        bin.path(),
        "ERROR: Please run 'az login' to setup account.",
        1,
    );
    let cli = credential::azure_cli(None, vec![bin.path().to_owned()]).unwrap();
    let error = credential::verify(cli.as_ref(), &r.cloud)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Auth, "{}", error.chain());
}

#[tokio::test]
async fn a_custom_cloud_is_discovered_from_its_metadata_and_signed_in_to() {
    let r = start(100).await;
    let e = r.sandbox.endpoints();
    let cloud = Cloud::discover(
        &e.arm_endpoint,
        Some(r.sandbox.ca_pem().to_owned()),
        safehold_azure::Proxy::None,
    )
    .await
    .unwrap();
    assert_eq!(cloud.kind, safehold_core::cloud::CloudKind::Custom);
    assert_eq!(cloud.name, "SafeholdSandbox");
    assert_eq!(
        cloud.authority_host.as_str().trim_end_matches('/'),
        e.authority_host
    );
    let credential = credential::client_secret(
        &cloud,
        &e.tenant_id,
        &e.client_id,
        r.sandbox.client_secret().to_owned(),
    )
    .unwrap();
    credential::verify(credential.as_ref(), &cloud)
        .await
        .unwrap();

    // Not a cloud: the sandbox's blob endpoint has no metadata document.
    let error = Cloud::discover(
        &e.blob_endpoint,
        Some(r.sandbox.ca_pem().to_owned()),
        safehold_azure::Proxy::None,
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::Network, "{}", error.chain());
    // Nobody listening.
    let error = Cloud::discover("https://127.0.0.1:9", None, safehold_azure::Proxy::None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::Network);
}
