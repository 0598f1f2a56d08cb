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

    pub async fn put(&self, path_and_query: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .put(self.arm(path_and_query))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
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

/// Restores the newest recovery point of a Contoso Production VM (jobs of about a second) and
/// returns its job once ended.
pub async fn restore_newest(s: &Running, token: &str, rg: &str, vm: &str) -> Value {
    let sub = s.sub_path(token, "Contoso Production").await;
    let vault = format!(
        "{sub}/resourceGroups/rg-backup-prod/providers/Microsoft.RecoveryServices/vaults/rsv-prod-japaneast"
    );
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
        "{vault}/backupJobs/{}?api-version=2024-04-01",
        op["properties"]["jobId"].as_str().unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    s.ok(&job_url, token).await
}
