//! Network: VNets and subnets, NICs, public IPs, NSGs; the references between them; what a
//! deployment may attach to a VM.

use serde_json::{Value, json};

use crate::support::{
    Running, arm_error, create_vnet, names, refused, restore_newest, restored_os_disk, start_fast,
};

const API: &str = "api-version=2024-03-01";

fn net(sub: &str, rg: &str, rest: &str) -> String {
    format!("{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{rest}?{API}")
}

/// A path in rg-app-prod, where these tests make their resources.
fn app(sub: &str, rest: &str) -> String {
    net(sub, "rg-app-prod", rest)
}

/// The id of a VNet's first subnet.
fn first_subnet(vnet: &Value) -> String {
    vnet["properties"]["subnets"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A sandbox, a token, the path of Contoso Production, and the `default` subnet of a new
/// japaneast VNet in rg-app-prod.
async fn with_vnet(name: &str, prefix: &str) -> (Running, String, String, String) {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vnet = create_vnet(&s, &token, &sub, "rg-app-prod", name, "japaneast", prefix).await;
    let subnet = first_subnet(&vnet);
    (s, token, sub, subnet)
}

/// Asserts that `vm` names the NIC at `nic_path` first and that the NIC names the VM back;
/// returns the NIC.
async fn assert_attached(s: &Running, token: &str, vm: &Value, nic_path: &str) -> Value {
    let nic = s.ok(nic_path, token).await;
    assert_eq!(
        vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
        nic["id"]
    );
    assert_eq!(nic["properties"]["virtualMachine"]["id"], vm["id"]);
    nic
}

/// The private IP address of a NIC's first IP configuration.
fn private_ip(nic: &Value) -> &Value {
    &nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
}

fn nic_body(location: &str, subnet: &str) -> Value {
    json!({"location": location, "properties": {"ipConfigurations": [{
        "name": "ipconfig1",
        "properties": {"subnet": {"id": subnet}, "privateIPAllocationMethod": "Dynamic"}
    }]}})
}

#[tokio::test]
async fn a_vnet_is_created_long_running_and_listed_with_its_subnets() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let path = net(&sub, "rg-app-prod", "virtualNetworks/vnet-test");
    let body = json!({"location": "japaneast", "tags": {"team": "apps"}, "properties": {
        "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.30.0.0/24"}}]
    }});
    let created = s.put_long_running(&path, &token, &body, 201).await;
    assert_eq!(created["type"], "Microsoft.Network/virtualNetworks");
    assert_eq!(created["properties"]["subnets"][0]["name"], "default");
    assert_eq!(s.put(&path, &token, &body).await.0, 200);

    let all = s
        .ok(
            &format!("{sub}/providers/Microsoft.Network/virtualNetworks?{API}"),
            &token,
        )
        .await;
    assert!(names(&all).iter().any(|n| n == "vnet-test"));
    let subnet = s
        .ok(
            &net(
                &sub,
                "rg-app-prod",
                "virtualNetworks/vnet-test/subnets/default",
            ),
            &token,
        )
        .await;
    assert_eq!(subnet["properties"]["addressPrefix"], "10.30.0.0/24");
    let (status, _) = s
        .put(
            &net(
                &sub,
                "rg-app-prod",
                "virtualNetworks/vnet-test/subnets/backend",
            ),
            &token,
            &json!({"properties": {"addressPrefix": "10.30.1.0/24"}}),
        )
        .await;
    assert_eq!(status, 201);
    let subnets = s
        .ok(
            &net(&sub, "rg-app-prod", "virtualNetworks/vnet-test/subnets"),
            &token,
        )
        .await;
    assert_eq!(subnets["value"].as_array().unwrap().len(), 2);
    let resources = s
        .ok(
            &format!(
                "{sub}/resources?$filter=resourceType%20eq%20'Microsoft.Network/virtualNetworks'&api-version=2024-03-01"
            ),
            &token,
        )
        .await;
    assert!(names(&resources).iter().any(|n| n == "vnet-test"));
}

#[tokio::test]
async fn address_prefixes_are_checked_like_the_service_does() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let path = net(&sub, "rg-app-prod", "virtualNetworks/vnet-bad");
    let vnet = |subnet: &str| {
        json!({"location": "japaneast", "properties": {
            "addressSpace": {"addressPrefixes": ["10.40.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": subnet}}]
        }})
    };
    for (body, code) in [
        (vnet("10.41.0.0/24"), "NetcfgSubnetRangeOutsideVnet"),
        (vnet("10.40.0.7/24"), "InvalidCIDRNotation"),
        (json!({"properties": {}}), "LocationRequired"),
    ] {
        refused(s.put(&path, &token, &body).await, 400, code);
    }
}

#[tokio::test]
async fn nics_get_addresses_from_their_subnet_and_references_must_exist_in_their_region() {
    let (s, token, sub, subnet) = with_vnet("vnet-nics", "10.50.0.0/16").await;
    let put_nic = |name: &str, body: Value| {
        let (s, token, path) = (&s, &token, app(&sub, &format!("networkInterfaces/{name}")));
        async move { s.put(&path, token, &body).await }
    };
    let (status, first) = put_nic("nic-a", nic_body("japaneast", &subnet)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(private_ip(&first), "10.50.0.4");
    assert_eq!(
        first["properties"]["ipConfigurations"][0]["properties"]["primary"],
        true
    );
    let (_, second) = put_nic("nic-b", nic_body("japaneast", &subnet)).await;
    assert_eq!(private_ip(&second), "10.50.0.5");
    // Updating keeps the address.
    let (status, again) = put_nic("nic-a", nic_body("japaneast", &subnet)).await;
    assert_eq!(status, 200);
    assert_eq!(private_ip(&again), "10.50.0.4");

    let mut taken = nic_body("japaneast", &subnet);
    taken["properties"]["ipConfigurations"][0]["properties"]["privateIPAllocationMethod"] =
        json!("Static");
    taken["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] =
        json!("10.50.0.5");
    refused(put_nic("nic-c", taken).await, 400, "PrivateIPAddressInUse");

    // A NIC in another region than its subnet, or on a subnet that does not exist.
    let far = put_nic("nic-far", nic_body("eastus2", &subnet)).await;
    assert!(refused(far, 400, "InvalidResourceReference").contains("same region"));
    let missing = nic_body("japaneast", &format!("{subnet}-missing"));
    refused(
        put_nic("nic-none", missing).await,
        400,
        "InvalidResourceReference",
    );
}

#[tokio::test]
async fn resources_in_use_cannot_be_deleted_and_deletes_are_long_running() {
    let (s, token, sub, subnet) = with_vnet("vnet-del", "10.60.0.0/16").await;
    let pip_path = app(&sub, "publicIPAddresses/pip-del");
    let nsg_path = app(&sub, "networkSecurityGroups/nsg-del");
    let vnet_path = app(&sub, "virtualNetworks/vnet-del");
    let (status, pip) = s
        .put(
            &pip_path,
            &token,
            &json!({"location": "japaneast", "sku": {"name": "Standard"}}),
        )
        .await;
    assert_eq!(status, 201, "{pip}");
    assert_eq!(pip["properties"]["publicIPAllocationMethod"], "Static");
    assert!(pip["properties"]["ipAddress"].is_string());
    let (status, error) = s
        .put(
            &app(&sub, "publicIPAddresses/pip-dyn"),
            &token,
            &json!({"location": "japaneast", "sku": {"name": "Standard"},
                    "properties": {"publicIPAllocationMethod": "Dynamic"}}),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    let (status, nsg) = s
        .put(
            &nsg_path,
            &token,
            &json!({"location": "japaneast", "properties": {"securityRules": [{
                "name": "allow-rdp", "properties": {
                    "protocol": "Tcp", "access": "Allow", "priority": 300, "direction": "Inbound",
                    "sourceAddressPrefix": "10.0.0.0/8", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "3389"
                }
            }]}}),
        )
        .await;
    assert_eq!(status, 201, "{nsg}");
    assert_eq!(
        nsg["properties"]["defaultSecurityRules"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let mut body = nic_body("japaneast", &subnet);
    body["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"] =
        json!({"id": pip["id"]});
    body["properties"]["networkSecurityGroup"] = json!({"id": nsg["id"]});
    let nic_path = app(&sub, "networkInterfaces/nic-del");
    let (status, nic) = s.put(&nic_path, &token, &body).await;
    assert_eq!(status, 201, "{nic}");
    let pip = s.ok(&pip_path, &token).await;
    assert!(
        pip["properties"]["ipConfiguration"]["id"]
            .as_str()
            .unwrap()
            .contains("/networkInterfaces/nic-del/ipConfigurations/ipconfig1")
    );

    for (path, code) in [
        (&pip_path, "PublicIPAddressCannotBeDeleted"),
        (&nsg_path, "InUseNetworkSecurityGroupCannotBeDeleted"),
        (&vnet_path, "InUseSubnetCannotBeDeleted"),
    ] {
        let response = s.delete(path, &token).await;
        assert_eq!(response.status(), 400, "{path}");
        arm_error(&response.json().await.unwrap(), code);
    }

    let response = s.delete(&nic_path, &token).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(response.headers().contains_key("azure-asyncoperation"));
    let result = s
        .http
        .get(&location)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), 204);
    assert_eq!(s.get(&nic_path, Some(&token)).await.0, 404);
    assert_eq!(s.delete(&nic_path, &token).await.status(), 204);
    for path in [&pip_path, &nsg_path, &vnet_path] {
        assert_eq!(s.delete(path, &token).await.status(), 202, "{path}");
    }
}

/// Deploys an inline template into rg-app-prod and returns the deployment once read back.
async fn deploy_inline(s: &Running, token: &str, sub: &str, name: &str, template: Value) -> Value {
    let (status, body) = s
        .put(
            &format!("{sub}/resourcegroups/rg-app-prod/providers/Microsoft.Resources/deployments/{name}?api-version=2024-03-01"),
            token,
            &json!({"properties": {"mode": "Incremental", "template": template}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    s.ok(
        &format!("{sub}/resourcegroups/rg-app-prod/providers/Microsoft.Resources/deployments/{name}?api-version=2024-03-01"),
        token,
    )
    .await
}

#[tokio::test]
async fn a_deployment_creates_network_resources_and_refuses_a_vm_on_a_nic_of_another_region() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2024-03-01",
                "name": "nic-templated", "location": "[resourceGroup().location]",
                "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', 'vnet-templated')]"],
                "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
                    "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-templated', 'default')]"}
                }}]}
            },
            {
                "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-03-01",
                "name": "vnet-templated", "location": "[resourceGroup().location]",
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.70.0.0/16"]},
                    "subnets": [{"name": "default", "properties": {"addressPrefix": "10.70.0.0/24"}}]
                }
            },
            {
                "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-03-01",
                "name": "vnet-east", "location": "eastus2",
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.71.0.0/16"]},
                    "subnets": [{"name": "default", "properties": {"addressPrefix": "10.71.0.0/24"}}]
                }
            },
            {
                "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2024-03-01",
                "name": "nic-east", "location": "eastus2",
                "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
                    "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-east', 'default')]"}
                }}]}
            }
        ]
    });
    let deployment = deploy_inline(&s, &token, &sub, "network-only", template).await;
    assert_eq!(
        deployment["properties"]["provisioningState"], "Succeeded",
        "{deployment}"
    );
    assert_eq!(
        deployment["properties"]["outputResources"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let nic_path = app(&sub, "networkInterfaces/nic-templated");
    let nic = s.ok(&nic_path, &token).await;
    assert_eq!(private_ip(&nic), "10.70.0.4");

    // A japaneast VM on the eastus2 NIC: refused, as Compute refuses it.
    let job = restore_newest(&s, &token, "rg-sql-prod", "vm-sql-01").await;
    let disk = job["properties"]["extendedInfo"]["propertyBag"]["Template Blob Uri"].clone();
    assert!(disk.is_string());
    let os_disk = restored_os_disk(&s, &token, &sub).await;
    let vm = |nic: &str| {
        json!({
            "contentVersion": "1.0.0.0",
            "resources": [{
                "type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01",
                "name": "vm-on-nic", "location": "japaneast",
                "properties": {
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {"osDisk": {"osType": "Windows", "createOption": "Attach", "managedDisk": {"id": os_disk}}},
                    "networkProfile": {"networkInterfaces": [{"id": format!("[resourceId('Microsoft.Network/networkInterfaces', '{nic}')]")}]}
                }
            }]
        })
    };
    let failed = deploy_inline(&s, &token, &sub, "vm-far", vm("nic-east")).await;
    assert_eq!(failed["properties"]["provisioningState"], "Failed");
    assert_eq!(
        failed["properties"]["error"]["details"][0]["code"],
        "InvalidResourceReference"
    );
    let done = deploy_inline(&s, &token, &sub, "vm-near", vm("nic-templated")).await;
    assert_eq!(
        done["properties"]["provisioningState"], "Succeeded",
        "{done}"
    );
    let vm = s
        .ok(
            &format!("{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/vm-on-nic?api-version=2024-07-01"),
            &token,
        )
        .await;
    assert_attached(&s, &token, &vm, &nic_path).await;
    let response = s.delete(&nic_path, &token).await;
    assert_eq!(response.status(), 400);
    arm_error(&response.json().await.unwrap(), "NicInUse");
}

#[tokio::test]
async fn every_demo_vm_names_a_nic_that_exists_in_its_region_and_names_it_back() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    for subscription in ["Contoso Production", "Contoso Development"] {
        let sub = s.sub_path(&token, subscription).await;
        let vms = s
            .ok(
                &format!(
                    "{sub}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01"
                ),
                &token,
            )
            .await;
        let vms = vms["value"].as_array().unwrap();
        assert!(!vms.is_empty());
        for vm in vms {
            let nic_id = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
                .as_str()
                .unwrap();
            let nic = s.ok(&format!("{nic_id}?{API}"), &token).await;
            assert_eq!(nic["location"], vm["location"], "{nic_id}");
            assert_eq!(nic["properties"]["virtualMachine"]["id"], vm["id"]);
            let subnet = nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
                .as_str()
                .unwrap();
            let subnet = s.ok(&format!("{subnet}?{API}"), &token).await;
            assert!(
                subnet["properties"]["ipConfigurations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["id"].as_str().unwrap().starts_with(nic_id))
            );
        }
    }
    let sub = s.sub_path(&token, "Contoso Production").await;
    let vnets = s
        .ok(
            &format!("{sub}/providers/Microsoft.Network/virtualNetworks?{API}"),
            &token,
        )
        .await;
    let regions: std::collections::BTreeSet<_> = vnets["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["location"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        regions,
        ["eastus2".to_owned(), "japaneast".to_owned()].into()
    );
}

#[tokio::test]
async fn a_vm_put_attaches_a_restored_disk_and_needs_a_free_nic_of_its_region() {
    let s = start_fast().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    restore_newest(&s, &token, "rg-sql-prod", "vm-sql-01").await;
    let os_disk = restored_os_disk(&s, &token, &sub).await;
    // The seeded japaneast network, in another group: a NIC may use it.
    let subnet = format!(
        "{sub}/resourceGroups/rg-network-prod/providers/Microsoft.Network/virtualNetworks/vnet-prod-japaneast/subnets/default"
    );
    let nic_path = app(&sub, "networkInterfaces/nic-direct");
    let (status, nic) = s
        .put(&nic_path, &token, &nic_body("japaneast", &subnet))
        .await;
    assert_eq!(status, 201, "{nic}");
    let east = create_vnet(
        &s,
        &token,
        &sub,
        "rg-app-prod",
        "vnet-e2",
        "eastus2",
        "10.90.0.0/16",
    )
    .await;
    let (_, far) = s
        .put(
            &app(&sub, "networkInterfaces/nic-e2"),
            &token,
            &nic_body("eastus2", &first_subnet(&east)),
        )
        .await;
    let vm_path = |name: &str| {
        format!(
            "{sub}/resourceGroups/rg-app-prod/providers/Microsoft.Compute/virtualMachines/{name}?api-version=2024-07-01"
        )
    };
    let body = |nic: &Value| {
        json!({"location": "japaneast", "properties": {
            "hardwareProfile": {"vmSize": "Standard_D4s_v5"},
            "storageProfile": {"osDisk": {"osType": "Windows", "createOption": "Attach", "managedDisk": {"id": os_disk}}},
            "networkProfile": {"networkInterfaces": [{"id": nic["id"], "properties": {"primary": true}}]}
        }})
    };
    let far = s.put(&vm_path("vm-direct"), &token, &body(&far)).await;
    refused(far, 400, "InvalidResourceReference");

    let vm = s
        .put_long_running(&vm_path("vm-direct"), &token, &body(&nic), 201)
        .await;
    let nic = assert_attached(&s, &token, &vm, &nic_path).await;

    // The NIC is taken now; the existing VM is not something a PUT changes here.
    let second = s.put(&vm_path("vm-direct-2"), &token, &body(&nic)).await;
    refused(second, 400, "NicInUse");
    let again = s.put(&vm_path("vm-direct"), &token, &body(&nic)).await;
    refused(again, 409, "OperationNotAllowed");
}
