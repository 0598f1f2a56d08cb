use safehold_sandbox::{Config, Sandbox};
use serde_json::{Value, json};

pub struct Running {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    configure(&mut config);
    let sandbox = Sandbox::start(config).await.unwrap();
    let ca = reqwest::Certificate::from_pem(sandbox.ca_pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    Running {
        sandbox,
        http,
        _dir: dir,
    }
}

/// A sandbox whose jobs take a second and whose 202s say `Retry-After: 1`.
pub async fn start_fast() -> Running {
    start_with(|c| {
        c.job_duration_secs = 1;
        c.lro_retry_after_secs = 1;
    })
    .await
}

pub async fn start() -> Running {
    start_with(|_| {}).await
}

impl Running {
    pub fn arm(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.sandbox.endpoints().arm_endpoint,
            path_and_query
        )
    }

    pub fn token_url(&self) -> String {
        let e = self.sandbox.endpoints();
        format!("{}/{}/oauth2/v2.0/token", e.authority_host, e.tenant_id)
    }

    pub async fn request_token(&self, secret: &str, scope: &str) -> reqwest::Response {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.sandbox.endpoints().client_id.as_str()),
            ("client_secret", secret),
            ("scope", scope),
        ];
        self.http
            .post(self.token_url())
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn arm_token(&self) -> String {
        let response = self
            .request_token(
                self.sandbox.client_secret(),
                "https://management.azure.com/.default",
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(
        &self,
        path_and_query: &str,
        token: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.get(self.arm(path_and_query));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    pub async fn first_subscription(&self, token: &str) -> String {
        let (_, _, body) = self
            .get("/subscriptions?api-version=2022-12-01", Some(token))
            .await;
        body["value"][0]["subscriptionId"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Asserts ARM's error envelope with `code`, and returns the message.
pub fn arm_error(body: &Value, code: &str) -> String {
    assert_eq!(body["error"]["code"], code, "unexpected body: {body}");
    let message = body["error"]["message"].as_str().expect("an error message");
    assert!(!message.is_empty());
    message.to_owned()
}

impl Running {
    /// Path of a resource in the named subscription ("Contoso Production" or "… Development").
    pub async fn sub_path(&self, token: &str, display_name: &str) -> String {
        let (_, _, body) = self
            .get("/subscriptions?api-version=2022-12-01", Some(token))
            .await;
        let id = body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["displayName"] == display_name)
            .unwrap()["subscriptionId"]
            .as_str()
            .unwrap()
            .to_owned();
        format!("/subscriptions/{id}")
    }

    pub async fn ok(&self, path_and_query: &str, token: &str) -> Value {
        let (status, _, body) = self.get(path_and_query, Some(token)).await;
        assert_eq!(status, 200, "{path_and_query}: {body}");
        body
    }

    /// Sends `body` with `method` and returns the status and the JSON answer (`null` if none).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .request(method, self.arm(path_and_query))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path_and_query: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path_and_query, token, body)
            .await
    }

    pub async fn post(&self, path_and_query: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path_and_query, token, body)
            .await
    }

    pub async fn patch(&self, path_and_query: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path_and_query, token, body)
            .await
    }

    pub async fn delete(&self, path_and_query: &str, token: &str) -> reqwest::Response {
        self.http
            .delete(self.arm(path_and_query))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// GETs a full URL (a status URL, a `nextLink`) and returns its JSON.
    pub async fn follow(&self, url: &str, token: &str) -> Value {
        let response = self.http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        response.json().await.unwrap()
    }

    /// Every page of a list from `url` (a full URL), following `nextLink`s.
    pub async fn pages(&self, url: &str, token: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut url = url.to_owned();
        loop {
            let page = self.follow(&url, token).await;
            let next = page["nextLink"].as_str().map(str::to_owned);
            pages.push(page);
            match next {
                Some(next) => url = next,
                None => return pages,
            }
        }
    }

    /// A long-running PUT that answers `expected` with the resource and an
    /// `Azure-AsyncOperation` URL that says `Succeeded`; returns the resource.
    pub async fn put_long_running(
        &self,
        path_and_query: &str,
        token: &str,
        body: &Value,
        expected: u16,
    ) -> Value {
        let response = self
            .http
            .put(self.arm(path_and_query))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
        let status_url = response.headers()["azure-asyncoperation"]
            .to_str()
            .unwrap()
            .to_owned();
        let resource: Value = response.json().await.unwrap();
        assert_eq!(self.follow(&status_url, token).await["status"], "Succeeded");
        resource
    }
}

/// The `field` of every item of a list's `value`.
pub fn field_of(body: &Value, field: &str) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

/// The names of a list's items.
pub fn names(body: &Value) -> Vec<String> {
    field_of(body, "name")
}

/// Asserts an answer's status and ARM error `code`, and returns the message.
pub fn refused((status, body): (u16, Value), expected: u16, code: &str) -> String {
    assert_eq!(status, expected, "{body}");
    arm_error(&body, code)
}

impl Running {
    /// The data-plane URI (with its trailing slash) of a Contoso Production key vault.
    pub async fn vault_uri(&self, token: &str, rg: &str, name: &str) -> String {
        let sub = self.sub_path(token, "Contoso Production").await;
        let vault = self
            .ok(&format!("{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}?api-version=2023-07-01"), token)
            .await;
        vault["properties"]["vaultUri"].as_str().unwrap().to_owned()
    }

    /// A token for Key Vault's data plane.
    pub async fn vault_token(&self) -> String {
        let response = self
            .request_token(
                self.sandbox.client_secret(),
                "https://vault.azure.net/.default",
            )
            .await;
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// The object id of the principal the sandbox's own credentials sign in as.
pub async fn operator_object_id(s: &Running, token: &str) -> String {
    let sub = s.sub_path(token, "Contoso Production").await;
    let vault = s
        .ok(&format!("{sub}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-shared-jpe?api-version=2023-07-01"), token)
        .await;
    // The demo seed appends the operator's entry last.
    vault["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["objectId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The path of `rsv-prod-japaneast`, the Contoso Production vault.
fn prod_vault(sub: &str) -> String {
    format!(
        "{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast"
    )
}

/// The protected item of a Contoso Production VM in `rsv-prod-japaneast`, and the name of its
/// newest recovery point.
pub async fn newest_point(s: &Running, token: &str, rg: &str, vm: &str) -> (String, String) {
    let sub = s.sub_path(token, "Contoso Production").await;
    let vault = prod_vault(&sub);
    let item = format!(
        "{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;{rg};{vm}/protectedItems/VM;iaasvmcontainerv2;{rg};{vm}"
    );
    let points = s
        .ok(
            &format!("{item}/recoveryPoints?api-version=2024-04-01"),
            token,
        )
        .await;
    let rp = points["value"][0]["name"].as_str().unwrap().to_owned();
    (item, rp)
}

/// Restores the newest recovery point of a Contoso Production VM (jobs of about a second) and
/// returns its job once ended.
pub async fn restore_newest(s: &Running, token: &str, rg: &str, vm: &str) -> Value {
    let sub = s.sub_path(token, "Contoso Production").await;
    let (item, rp) = newest_point(s, token, rg, vm).await;
    let body = json!({"properties": {
        "objectType": "IaasVMRestoreRequest", "recoveryPointId": rp, "recoveryType": "RestoreDisks",
        "storageAccountId": format!("{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.Storage/storageAccounts/stcontosorestorejpe"),
        "targetResourceGroupId": format!("{sub}/resourceGroups/rg-app-prod"), "region": "japaneast"
    }});
    let response = s
        .http
        .post(s.arm(&format!(
            "{item}/recoveryPoints/{rp}/restore?api-version=2024-04-01"
        )))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let status_url = response.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_owned();
    let op: Value = s
        .http
        .get(status_url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job_url = format!(
        "{}/backupJobs/{}?api-version=2024-04-01",
        prod_vault(&sub),
        op["properties"]["jobId"].as_str().unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    s.ok(&job_url, token).await
}

impl Running {
    /// A token for the blob endpoint.
    pub async fn storage_token(&self) -> String {
        let response = self
            .request_token(
                self.sandbox.client_secret(),
                "https://storage.azure.com/.default",
            )
            .await;
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// A user delegation key for `account`, requested with a storage token, as
    /// `(response status, response body)`.
    pub async fn delegation_key(&self, account: &str, key_info: &str) -> (u16, String) {
        let response = self
            .http
            .post(format!(
                "{}/{account}/?restype=service&comp=userdelegationkey",
                self.sandbox.endpoints().blob_endpoint
            ))
            .bearer_auth(self.storage_token().await)
            .header("x-ms-version", "2020-12-06")
            .body(key_info.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// `blob_url` with a read SAS signed by a fresh user delegation key, the way a client
    /// library signs one (service version 2020-12-06).
    pub async fn with_read_sas(&self, blob_url: &str) -> String {
        use base64::Engine as _;
        use hmac::Mac as _;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let iso = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .unwrap()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let path = blob_url
            .strip_prefix(&self.sandbox.endpoints().blob_endpoint)
            .unwrap();
        let account = path.trim_start_matches('/').split('/').next().unwrap();
        let (status, xml) = self
            .delegation_key(
                account,
                &format!(
                    "<KeyInfo><Start>{}</Start><Expiry>{}</Expiry></KeyInfo>",
                    iso(now - 60),
                    iso(now + 3600)
                ),
            )
            .await;
        assert_eq!(status, 200, "{xml}");
        let node = |name: &str| {
            let open = format!("<{name}>");
            let start = xml.find(&open).unwrap() + open.len();
            let end = xml[start..].find('<').unwrap() + start;
            xml[start..end].to_owned()
        };
        let (sp, se, spr, sv, sr) = ("r", iso(now + 600), "https", "2020-12-06", "b");
        let fields = [
            sp.to_owned(),
            String::new(),
            se.clone(),
            format!("/blob{path}"),
            node("SignedOid"),
            node("SignedTid"),
            node("SignedStart"),
            node("SignedExpiry"),
            node("SignedService"),
            node("SignedVersion"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            spr.to_owned(),
            sv.to_owned(),
            sr.to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
        let key = base64::engine::general_purpose::STANDARD
            .decode(node("Value"))
            .unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(fields.join("\n").as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let query: String = url_form_encode(&[
            ("sp", sp),
            ("se", &se),
            ("skoid", &node("SignedOid")),
            ("sktid", &node("SignedTid")),
            ("skt", &node("SignedStart")),
            ("ske", &node("SignedExpiry")),
            ("sks", &node("SignedService")),
            ("skv", &node("SignedVersion")),
            ("spr", spr),
            ("sv", sv),
            ("sr", sr),
            ("sig", &sig),
        ]);
        format!("{blob_url}?{query}")
    }
}

fn url_form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Creates a virtual network with one subnet, `default`, the first /24 of `prefix` (a /16).
pub async fn create_vnet(
    s: &Running,
    token: &str,
    sub: &str,
    rg: &str,
    name: &str,
    location: &str,
    prefix: &str,
) -> Value {
    let subnet = prefix.replace(".0.0/16", ".0.0/24");
    let (status, body) = s
        .put(
            &format!("{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}?api-version=2024-03-01"),
            token,
            &json!({"location": location, "properties": {
                "addressSpace": {"addressPrefixes": [prefix]},
                "subnets": [{"name": "default", "properties": {"addressPrefix": subnet}}]
            }}),
        )
        .await;
    assert!(status == 201 || status == 200, "{status}: {body}");
    body
}

/// The id of the managed OS disk a restore made in rg-app-prod of Contoso Production.
pub async fn restored_os_disk(s: &Running, token: &str, sub: &str) -> Value {
    let disks = s
        .ok(
            &format!("{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/disks?api-version=2024-03-02"),
            token,
        )
        .await;
    disks["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["properties"]["osType"].is_string()
                && d["properties"]["creationData"]["createOption"] == "Restore"
        })
        .unwrap()["id"]
        .clone()
}
