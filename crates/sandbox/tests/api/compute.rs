use serde_json::Value;

use crate::support::{arm_error, names, start, start_with};

const VM_API: &str = "api-version=2024-07-01";

async fn vm(s: &crate::support::Running, token: &str, rg: &str, name: &str) -> Value {
    let sub = s.sub_path(token, "Contoso Production").await;
    s.ok(
        &format!("{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}?$expand=instanceView&{VM_API}"),
        token,
    )
    .await
}

#[tokio::test]
async fn every_demo_vm_is_listed_across_pages() {
    let s = start_with(|c| c.page_size = 4).await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let url = s.arm(&format!(
        "{sub}/providers/Microsoft.Compute/virtualMachines?{VM_API}"
    ));
    let pages = s.pages(&url, &token).await;
    let names: Vec<String> = pages.iter().flat_map(names).collect();
    for expected in [
        "vm-sql-01",
        "vm-legacy-web01",
        "vm-app-lnx01",
        "vm-web01",
        "vm-web02",
        "vm-fin-db01",
        "vm-hr-rbac01",
        "vm-batch02",
        "vm-reports01",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn a_single_pass_bek_kek_vm_shows_ade_on_its_disks_and_extension() {
    let s = start().await;
    let token = s.arm_token().await;
    let vm = vm(&s, &token, "rg-sql-prod", "vm-sql-01").await;
    let os_disk = &vm["properties"]["storageProfile"]["osDisk"];
    assert!(os_disk["managedDisk"]["id"].is_string());
    assert!(
        os_disk.get("encryptionSettings").is_none(),
        "single-pass keeps references off the VM model"
    );
    let disk_view = &vm["properties"]["instanceView"]["disks"][0];
    assert!(
        disk_view["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|st| st["code"] == "EncryptionState/encrypted")
    );
    let settings = &disk_view["encryptionSettings"][0];
    assert!(
        settings["diskEncryptionKey"]["secretUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{}secrets/",
                s.vault_uri(&token, "rg-security-prod", "kv-prod-jpe-ade")
                    .await
            ))
    );
    assert!(
        settings["keyEncryptionKey"]["keyUrl"]
            .as_str()
            .unwrap()
            .contains("/keys/kek-vm-sql-01/")
    );

    let disk_id = os_disk["managedDisk"]["id"].as_str().unwrap();
    let disk = s
        .ok(&format!("{disk_id}?api-version=2024-03-02"), &token)
        .await;
    let collection = &disk["properties"]["encryptionSettingsCollection"];
    assert_eq!(collection["enabled"], true);
    assert_eq!(collection["encryptionSettingsVersion"], "1.1");
    assert!(
        collection["encryptionSettings"][0]["keyEncryptionKey"]["sourceVault"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/vaults/kv-prod-jpe-ade")
    );

    let ext_path = format!(
        "{}/extensions/AzureDiskEncryption?{VM_API}",
        vm["id"].as_str().unwrap()
    );
    let extension = s.ok(&ext_path, &token).await;
    assert_eq!(
        extension["properties"]["publisher"],
        "Microsoft.Azure.Security"
    );
    assert_eq!(extension["properties"]["typeHandlerVersion"], "2.2");
    assert!(
        extension["properties"]["settings"]["KeyVaultResourceId"]
            .as_str()
            .unwrap()
            .ends_with("/kv-prod-jpe-ade")
    );
}

#[tokio::test]
async fn a_dual_pass_bek_only_vm_on_unmanaged_disks_keeps_references_on_the_vm_model() {
    let s = start().await;
    let token = s.arm_token().await;
    let vm = vm(&s, &token, "rg-web-legacy", "vm-legacy-web01").await;
    let os_disk = &vm["properties"]["storageProfile"]["osDisk"];
    assert!(os_disk["vhd"]["uri"].as_str().unwrap().ends_with(".vhd"));
    assert!(os_disk.get("managedDisk").is_none());
    assert_eq!(os_disk["encryptionSettings"]["enabled"], true);
    assert!(os_disk["encryptionSettings"]["diskEncryptionKey"]["secretUrl"].is_string());
    assert!(
        os_disk["encryptionSettings"]
            .get("keyEncryptionKey")
            .is_none(),
        "BEK-only"
    );
    let list = s
        .ok(
            &format!("{}/extensions?{VM_API}", vm["id"].as_str().unwrap()),
            &token,
        )
        .await;
    let extension = &list["value"][0]["properties"];
    assert_eq!(extension["typeHandlerVersion"], "1.1");
    assert!(extension["settings"]["AADClientID"].is_string());
}

#[tokio::test]
async fn the_linux_vm_uses_dm_crypt_and_the_batch_vm_agent_is_not_ready() {
    let s = start().await;
    let token = s.arm_token().await;
    let linux = vm(&s, &token, "rg-app-prod", "vm-app-lnx01").await;
    let ext = &linux["properties"]["instanceView"]["extensions"][0];
    assert_eq!(ext["name"], "AzureDiskEncryptionForLinux");
    assert_eq!(
        ext["substatuses"][0]["message"],
        "{\"os\": \"Encrypted\", \"data\": \"Encrypted\"}"
    );

    let batch = vm(&s, &token, "rg-batch", "vm-batch02").await;
    assert_eq!(
        batch["properties"]["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"],
        "Not Ready"
    );
    assert_eq!(
        linux["properties"]["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"],
        "Ready"
    );
}

#[tokio::test]
async fn classic_vms_and_missing_resources_answer_like_arm() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let classic = s
        .ok(
            &format!(
                "{sub}/providers/Microsoft.ClassicCompute/virtualMachines?api-version=2017-04-01"
            ),
            &token,
        )
        .await;
    assert_eq!(classic["value"][0]["name"], "classic-web01");
    let (status, _, body) = s
        .get(&format!("{sub}/resourceGroups/rg-sql-prod/providers/Microsoft.Compute/virtualMachines/nope?{VM_API}"), Some(&token))
        .await;
    assert_eq!(status, 404);
    arm_error(&body, "ResourceNotFound");
    let (status, _, body) = s
        .get(
            &format!("{sub}/providers/Microsoft.Compute/virtualMachines?api-version=2001-01-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400);
    arm_error(&body, "NoRegisteredProviderFound");
    let groups = s
        .ok(
            &format!("{sub}/resourcegroups?api-version=2024-03-01"),
            &token,
        )
        .await;
    assert!(
        groups["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "rg-sql-prod")
    );
}

#[tokio::test]
async fn status_only_lists_every_instance_view_and_keeps_the_flag_on_the_next_link() {
    let s = start_with(|c| c.page_size = 4).await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let mut url =
        format!("{sub}/providers/Microsoft.Compute/virtualMachines?{VM_API}&statusOnly=true");
    let mut views = vec![];
    loop {
        let page = s.ok(&url, &token).await;
        views.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["nextLink"].as_str() {
            Some(next) => {
                assert!(next.contains("statusOnly=true"), "{next}");
                url = next
                    .trim_start_matches(&s.sandbox.endpoints().arm_endpoint)
                    .to_owned();
            }
            None => break,
        }
    }
    assert!(views.len() > 4, "more than one page");
    for view in &views {
        assert!(
            view["properties"]["instanceView"]["vmAgent"].is_object(),
            "{view}"
        );
        assert!(
            view["properties"]["storageProfile"].is_null(),
            "no model: {view}"
        );
    }
    let batch = views.iter().find(|v| v["name"] == "vm-batch02").unwrap();
    assert_eq!(
        batch["properties"]["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"],
        "Not Ready"
    );
}
