//! Creating a VM from restored disks with the template the restore wrote.

use serde_json::{Value, json};

use crate::support::{Running, arm_error};

async fn restored(s: &Running, token: &str) -> (String, Value) {
    let sub = s.sub_path(token, "Contoso Production").await;
    let job = crate::support::restore_newest(s, token, "rg-sql-prod", "vm-sql-01").await;
    assert_eq!(job["properties"]["status"], "Completed");
    crate::support::create_vnet(
        s,
        token,
        &sub,
        "rg-app-prod",
        "vnet-app",
        "japaneast",
        "10.20.0.0/16",
    )
    .await;
    (
        sub,
        job["properties"]["extendedInfo"]["propertyBag"].clone(),
    )
}

async fn deploy(
    s: &Running,
    token: &str,
    sub: &str,
    name: &str,
    template_uri: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let body = json!({"properties": {
        "mode": "Incremental",
        "templateLink": {"uri": template_uri},
        "parameters": {"VirtualMachineName": {"value": name}, "VirtualNetwork": {"value": "vnet-app"}}
    }});
    let response = s
        .http
        .put(s.arm(&format!("{sub}/resourcegroups/rg-app-prod/providers/Microsoft.Resources/deployments/{name}?api-version=2024-03-01")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_restores_template_creates_the_vm_with_its_encryption_carried_over() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let (sub, bag) = restored(&s, &token).await;
    let template = s
        .with_read_sas(bag["Template Blob Uri"].as_str().unwrap())
        .await;
    let (status, headers, accepted) =
        deploy(&s, &token, &sub, "vm-sql-01-restored", &template).await;
    assert_eq!(status, 201, "{accepted}");
    assert_eq!(accepted["properties"]["provisioningState"], "Accepted");
    let status_url = headers["azure-asyncoperation"].to_str().unwrap().to_owned();
    let op: Value = s
        .http
        .get(&status_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(op["status"], "Succeeded", "{op}");
    let deployment = s.ok(&format!("{sub}/resourcegroups/rg-app-prod/providers/Microsoft.Resources/deployments/vm-sql-01-restored?api-version=2024-03-01"), &token).await;
    assert_eq!(deployment["properties"]["provisioningState"], "Succeeded");
    let outputs: Vec<&str> = deployment["properties"]["outputResources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        outputs
            .iter()
            .any(|id| id.ends_with("/networkInterfaces/vm-sql-01-restored-nic")),
        "{outputs:?}"
    );
    let vm_id = outputs
        .iter()
        .find(|id| id.contains("/virtualMachines/"))
        .unwrap()
        .to_string();
    let vm = s
        .ok(
            &format!("{vm_id}?$expand=instanceView&api-version=2024-07-01"),
            &token,
        )
        .await;
    assert_eq!(vm["name"], "vm-sql-01-restored");
    let disk = &vm["properties"]["instanceView"]["disks"][0];
    assert!(
        disk["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|st| st["code"] == "EncryptionState/encrypted"),
        "{vm}"
    );

    // Without a SAS, ARM cannot read the private blob.
    let (status, _, error) = deploy(
        &s,
        &token,
        &sub,
        "no-sas",
        bag["Template Blob Uri"].as_str().unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        arm_error(&error, "InvalidContentLink").contains("no SAS"),
        "{error}"
    );

    // A link outside the sandbox cannot be downloaded.
    let (status, _, error) = deploy(
        &s,
        &token,
        &sub,
        "elsewhere",
        "https://example.invalid/azuredeploy.json",
    )
    .await;
    assert_eq!(status, 400);
    arm_error(&error, "InvalidContentLink");
}

#[tokio::test]
async fn the_deployment_fails_when_the_disks_secret_is_gone() {
    let s = crate::support::start_fast().await;
    let token = s.arm_token().await;
    let (sub, bag) = restored(&s, &token).await;
    // Delete the BEK secret of vm-sql-01.
    let vm = s.ok(&format!("{sub}/resourceGroups/rg-sql-prod/providers/Microsoft.Compute/virtualMachines/vm-sql-01?$expand=instanceView&api-version=2024-07-01"), &token).await;
    let secret_url =
        vm["properties"]["instanceView"]["disks"][0]["encryptionSettings"][0]["diskEncryptionKey"]
            ["secretUrl"]
            .as_str()
            .unwrap()
            .to_owned();
    let secret = secret_url.rsplit_once('/').unwrap().0.to_owned();
    let vault = s.vault_token().await;
    assert_eq!(
        s.http
            .delete(format!("{secret}?api-version=7.5"))
            .bearer_auth(&vault)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let (status, headers, _) = deploy(
        &s,
        &token,
        &sub,
        "vm-sql-01-restored",
        &s.with_read_sas(bag["Template Blob Uri"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let op: Value = s
        .http
        .get(headers["azure-asyncoperation"].to_str().unwrap())
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(op["status"], "Failed");
    assert_eq!(
        op["error"]["details"][0]["code"],
        "KeyVaultSecretDoesNotExist"
    );
}
