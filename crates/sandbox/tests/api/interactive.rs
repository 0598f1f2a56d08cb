//! Interactive sign-in: authorization code with PKCE, refresh tokens, device code.

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

use crate::support::{Running, arm_error, start_with};

const REDIRECT: &str = "http://localhost:53118/callback";

fn no_redirects(s: &Running) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(s.sandbox.ca_pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authority(s: &Running) -> String {
    let e = s.sandbox.endpoints();
    format!("{}/{}", e.authority_host, e.tenant_id)
}

fn pkce() -> (String, String) {
    let verifier = "x".repeat(20) + "the-verifier-is-long-enough-43-chars";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The object id behind the account button for `upn` on a sign-in page.
fn user_id(html: &str, upn: &str) -> String {
    let marker = format!("data-upn=\"{upn}\"");
    let end = html.find(&marker).expect("the account is offered");
    let start = html[..end].rfind("value=\"").unwrap() + 7;
    html[start..].split('"').next().unwrap().to_owned()
}

async fn sign_in(
    s: &Running,
    http: &reqwest::Client,
    challenge: &str,
    cancel: bool,
) -> reqwest::Response {
    sign_in_as(s, http, challenge, cancel, "mei.tanaka@contoso.com").await
}

async fn sign_in_as(
    s: &Running,
    http: &reqwest::Client,
    challenge: &str,
    cancel: bool,
    upn: &str,
) -> reqwest::Response {
    let client_id = s.sandbox.endpoints().public_client_id.clone();
    let url = format!(
        "{}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code&redirect_uri={}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default%20offline_access%20openid&state=s123&code_challenge={challenge}&code_challenge_method=S256",
        authority(s),
        url_escape(REDIRECT)
    );
    let html = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Sandbox sign-in"), "{html}");
    let user = user_id(&html, upn);
    let mut form = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT.to_owned()),
        (
            "scope",
            "https://management.azure.com/.default offline_access openid".to_owned(),
        ),
        ("state", "s123".to_owned()),
        ("code_challenge", challenge.to_owned()),
        ("response_type", "code".to_owned()),
    ];
    if cancel {
        form.push(("cancel", "1".to_owned()));
    } else {
        form.push(("user", user));
    }
    http.post(format!("{}/oauth2/v2.0/authorize", authority(s)))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn query(location: &str, key: &str) -> Option<String> {
    location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix(&format!("{key}=")))
        .map(str::to_owned)
}

async fn token(s: &Running, form: &[(&str, &str)]) -> (u16, Value) {
    let response = s.http.post(s.token_url()).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_user_signs_in_with_pkce_and_the_tokens_work_and_refresh() {
    let s = crate::support::start().await;
    let http = no_redirects(&s);
    let (verifier, challenge) = pkce();
    let response = sign_in(&s, &http, &challenge, false).await;
    assert!(response.status().is_redirection());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(query(&location, "state").as_deref(), Some("s123"));
    let code = query(&location, "code").expect("a code");
    let client_id = s.sandbox.endpoints().public_client_id.clone();

    // A wrong verifier is refused, and so is reusing the code afterwards.
    let (status, body) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "wrong"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let response = sign_in(&s, &http, &challenge, false).await;
    let code = query(response.headers()["location"].to_str().unwrap(), "code").unwrap();
    let (status, tokens) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 400, "a code works once");

    let access = tokens["access_token"].as_str().unwrap();
    let (status, _, subs) = s
        .get("/subscriptions?api-version=2022-12-01", Some(access))
        .await;
    assert_eq!(status, 200, "{subs}");
    assert!(tokens["client_info"].is_string() && tokens["id_token"].is_string());

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, renewed) = token(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", refresh),
            (
                "scope",
                "https://management.azure.com/.default offline_access",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(
        s.get(
            "/tenants?api-version=2022-12-01",
            Some(renewed["access_token"].as_str().unwrap())
        )
        .await
        .0,
        200
    );
    // A refresh token is not an access token.
    assert_eq!(
        s.get("/subscriptions?api-version=2022-12-01", Some(refresh))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn cancelling_sends_access_denied_back_and_foreign_redirects_are_refused() {
    let s = crate::support::start().await;
    let http = no_redirects(&s);
    let (_, challenge) = pkce();
    let response = sign_in(&s, &http, &challenge, true).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(query(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&location, "state").as_deref(), Some("s123"));

    let client_id = &s.sandbox.endpoints().public_client_id;
    let url = format!(
        "{}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid&code_challenge={challenge}&code_challenge_method=S256",
        authority(&s)
    );
    let html = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("AADSTS50011"), "{html}");
    let url = format!(
        "{}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code&redirect_uri={}&scope=openid",
        authority(&s),
        url_escape(REDIRECT)
    );
    let html = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Proof Key for Code Exchange"), "{html}");
}

#[tokio::test]
async fn device_code_is_pending_until_someone_signs_in_on_the_verification_page() {
    let s = start_with(|c| c.device_poll_interval_secs = 1).await;
    let client_id = s.sandbox.endpoints().public_client_id.clone();
    let start: Value = s
        .http
        .post(format!("{}/oauth2/v2.0/devicecode", authority(&s)))
        .form(&[
            ("client_id", client_id.as_str()),
            (
                "scope",
                "https://management.azure.com/.default offline_access",
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(start["interval"], 1);
    let device_code = start["device_code"].as_str().unwrap();
    let grant = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", client_id.as_str()),
        ("device_code", device_code),
    ];
    let (status, body) = token(&s, &grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );

    let page = start["verification_uri"].as_str().unwrap();
    let html = s.http.get(page).send().await.unwrap().text().await.unwrap();
    let user = user_id(&html, "kenji.sato@contoso.com");
    let done = s
        .http
        .post(page)
        .form(&[
            ("user_code", start["user_code"].as_str().unwrap()),
            ("user", user.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("id=\"done\""), "{done}");
    let (status, tokens) = token(&s, &grant).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        s.get(
            "/subscriptions?api-version=2022-12-01",
            Some(tokens["access_token"].as_str().unwrap())
        )
        .await
        .0,
        200
    );
    // A bad code on the page is explained, not accepted.
    let bad = s
        .http
        .post(page)
        .form(&[("user_code", "NOPE1234"), ("user", user.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("id=\"error\""));
}

/// Signs `upn` in with PKCE and returns the token response.
async fn tokens_for(s: &Running, upn: &str) -> Value {
    let http = no_redirects(s);
    let (verifier, challenge) = pkce();
    let response = sign_in_as(s, &http, &challenge, false, upn).await;
    let code = query(response.headers()["location"].to_str().unwrap(), "code").unwrap();
    let client_id = s.sandbox.endpoints().public_client_id.clone();
    let (status, tokens) = token(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The claims of a token, unverified.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Redeems `refresh` at the token endpoint of `tenant`.
async fn refresh_at(s: &Running, tenant: &str, refresh: &str) -> (u16, Value) {
    let e = s.sandbox.endpoints();
    let response = s
        .http
        .post(format!("{}/{tenant}/oauth2/v2.0/token", e.authority_host))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", e.public_client_id.as_str()),
            ("refresh_token", refresh),
            (
                "scope",
                "https://management.azure.com/.default offline_access",
            ),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_guest_switches_to_the_partner_directory_with_the_same_refresh_token() {
    let s = crate::support::start().await;
    let home = s.sandbox.endpoints().tenant_id.clone();
    let tokens = tokens_for(&s, "mei.tanaka@contoso.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["tid"], home.as_str());

    // Her tenants: home first, then the directory she is a guest in.
    let (status, _, tenants) = s.get("/tenants?api-version=2022-12-01", Some(access)).await;
    assert_eq!(status, 200, "{tenants}");
    let names: Vec<&str> = tenants["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Contoso", "Fabrikam Trading"]);
    let partner = tenants["value"][1]["tenantId"].as_str().unwrap().to_owned();

    // The same refresh token gets a token for the partner directory, which lists its own
    // subscriptions only.
    let (status, guest) = refresh_at(&s, &partner, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{guest}");
    let guest_access = guest["access_token"].as_str().unwrap();
    assert_eq!(claims(guest_access)["tid"], partner.as_str());
    assert_eq!(
        claims(guest_access)["iss"],
        format!("https://sts.windows.net/{partner}/")
    );
    let (_, _, subs) = s
        .get("/subscriptions?api-version=2022-12-01", Some(guest_access))
        .await;
    let subs = subs["value"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["displayName"], "Fabrikam Trading Operations");
    assert_eq!(subs[0]["tenantId"], partner.as_str());
    let partner_sub = subs[0]["subscriptionId"].as_str().unwrap().to_owned();
    let vaults = format!(
        "/subscriptions/{partner_sub}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01"
    );
    let (status, _, listed) = s.get(&vaults, Some(guest_access)).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["value"][0]["name"], "rsv-fabrikam-japanwest");

    // The home token is refused there, with the authority to ask instead.
    let (status, headers, refused) = s.get(&vaults, Some(access)).await;
    assert_eq!(status, 401);
    let message = arm_error(&refused, "InvalidAuthenticationTokenTenant");
    assert!(message.contains(&format!("/{partner}'")), "{message}");
    assert!(headers.contains_key("www-authenticate"));
    // And home's subscriptions are not listed to the guest token.
    let (_, _, home_subs) = s
        .get("/subscriptions?api-version=2022-12-01", Some(access))
        .await;
    assert_eq!(home_subs["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_guests_and_never_service_principals_get_into_the_partner_directory() {
    let s = crate::support::start().await;
    let sp = s.arm_token().await;
    let (_, _, tenants) = s.get("/tenants?api-version=2022-12-01", Some(&sp)).await;
    assert_eq!(tenants["value"].as_array().unwrap().len(), 1, "{tenants}");
    let mei = tokens_for(&s, "mei.tanaka@contoso.com").await;
    let (_, _, tenants) = s
        .get(
            "/tenants?api-version=2022-12-01",
            Some(mei["access_token"].as_str().unwrap()),
        )
        .await;
    let partner = tenants["value"][1]["tenantId"].as_str().unwrap().to_owned();

    // Kenji is not a guest there.
    let kenji = tokens_for(&s, "kenji.sato@contoso.com").await;
    let (status, refused) =
        refresh_at(&s, &partner, kenji["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error_codes"][0], 50020, "{refused}");

    // The operator principal exists only at home.
    let e = s.sandbox.endpoints();
    let response = s
        .http
        .post(format!("{}/{partner}/oauth2/v2.0/token", e.authority_host))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", e.client_id.as_str()),
            ("client_secret", s.sandbox.client_secret()),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");

    // `organizations` signs a user in to the home directory.
    let (status, home) = refresh_at(
        &s,
        "organizations",
        kenji["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(
        claims(home["access_token"].as_str().unwrap())["tid"],
        e.tenant_id.as_str()
    );
}

#[tokio::test]
async fn the_admin_endpoint_refuses_a_signed_in_users_token_and_takes_the_operators() {
    let s = start_with(|_| {}).await;
    // Anyone on the machine can sign in as a demo user: the pages ask for no password.
    let tokens = tokens_for(&s, "mei.tanaka@contoso.com").await;
    let user = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(user)["idtyp"], "user");
    let admin = s.sandbox.endpoints().admin_endpoint.clone();
    for (method, path) in [
        (reqwest::Method::GET, "/faults"),
        (reqwest::Method::PUT, "/faults"),
        (reqwest::Method::DELETE, "/faults/counts"),
        (reqwest::Method::POST, "/reset"),
    ] {
        let response = s
            .http
            .request(method.clone(), format!("{admin}{path}"))
            .bearer_auth(user)
            .json(&serde_json::json!({ "latencyMs": 5000 }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        let message = arm_error(&body, "AuthorizationFailed");
        assert!(message.contains("mei.tanaka@contoso.com"), "{message}");
    }
    assert_eq!(s.sandbox.faults().config().latency_ms, 0);

    // The operator's client-credentials token is an application token and gets in.
    let operator = s.arm_token().await;
    assert_eq!(claims(&operator)["idtyp"], "app");
    let response = s
        .http
        .get(format!("{admin}/faults"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn sign_in_pages_are_open_unless_the_app_holds_a_key() {
    let s = start_with(|_| {}).await;
    assert_eq!(s.sandbox.endpoints().interactive_sign_in, "open");
    assert_eq!(
        s.sandbox.sign_authorize_url("https://x/?a=1"),
        "https://x/?a=1"
    );
    assert_eq!(s.sandbox.device_confirmation("ABCDEFGH"), None);
}

#[tokio::test]
async fn with_the_apps_key_the_authorize_page_wants_the_apps_signature() {
    let s = start_with(|c| c.interactive_key = Some(safehold_sandbox::InteractiveKey::generate()))
        .await;
    assert_eq!(s.sandbox.endpoints().interactive_sign_in, "app-only");
    let http = no_redirects(&s);
    let (verifier, challenge) = pkce();
    let client_id = s.sandbox.endpoints().public_client_id.clone();
    let url = format!(
        "{}/oauth2/v2.0/authorize?client_id={client_id}&response_type=code&redirect_uri={}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&state=s9&code_challenge={challenge}&code_challenge_method=S256",
        authority(&s),
        url_escape(REDIRECT)
    );
    // Anyone else who opens the page, or posts its form, is turned away.
    let html = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("open only from the app"), "{html}");
    assert!(!html.contains("data-upn"));
    let mut form = vec![
        ("client_id", client_id.clone()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", "https://management.azure.com/.default".to_owned()),
        ("state", "s9".to_owned()),
        ("code_challenge", challenge.clone()),
        ("response_type", "code".to_owned()),
    ];
    let forged = http
        .post(format!("{}/oauth2/v2.0/authorize", authority(&s)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200);
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("open only from the app")
    );
    // A signature for another sign-in (another PKCE challenge) does not fit this one.
    let other = s
        .sandbox
        .sign_authorize_url(&url.replace(&challenge, "another-challenge"));
    let stolen = other
        .rsplit_once("sandbox_signature=")
        .unwrap()
        .1
        .to_owned();
    let html = http
        .get(format!("{url}&sandbox_signature={stolen}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("open only from the app"));

    // The app's signed URL opens the page, and its form carries the signature on.
    let signed = s.sandbox.sign_authorize_url(&url);
    let html = http
        .get(&signed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let user = user_id(&html, "mei.tanaka@contoso.com");
    let signature = signed
        .rsplit_once("sandbox_signature=")
        .unwrap()
        .1
        .to_owned();
    form.push(("user", user));
    form.push(("sandbox_signature", signature));
    let response = http
        .post(format!("{}/oauth2/v2.0/authorize", authority(&s)))
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = query(&location, "code").expect("a code");
    let (status, tokens) = token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
}

#[tokio::test]
async fn with_the_apps_key_the_device_page_wants_the_confirmation_the_app_shows() {
    let s = start_with(|c| c.interactive_key = Some(safehold_sandbox::InteractiveKey::generate()))
        .await;
    let client_id = s.sandbox.endpoints().public_client_id.clone();
    let start: Value = s
        .http
        .post(format!("{}/oauth2/v2.0/devicecode", authority(&s)))
        .form(&[
            ("client_id", client_id.as_str()),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = start["user_code"].as_str().unwrap();
    let page = start["verification_uri"].as_str().unwrap();
    let html = s.http.get(page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"confirmation\""));
    let user = user_id(&html, "kenji.sato@contoso.com");
    let approve = |confirmation: String| {
        let form = [
            ("user_code", user_code.to_owned()),
            ("user", user.clone()),
            ("confirmation", confirmation),
        ];
        let request = s.http.post(page).form(&form);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    // Knowing the user code is not enough.
    assert!(
        approve(String::new())
            .await
            .contains("open only from the app")
    );
    assert!(
        approve("AAAAAAAA".to_owned())
            .await
            .contains("open only from the app")
    );
    let grant = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", client_id.as_str()),
        ("device_code", start["device_code"].as_str().unwrap()),
    ];
    let (_, pending) = token(&s, &grant).await;
    assert_eq!(pending["error"], "authorization_pending");

    let confirmation = s.sandbox.device_confirmation(user_code).unwrap();
    assert_eq!(confirmation.len(), 8);
    assert!(
        approve(confirmation.to_ascii_lowercase())
            .await
            .contains("id=\"done\"")
    );
    let (status, tokens) = token(&s, &grant).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(s.sandbox.device_confirmation("NOSUCHCD"), None);
}
