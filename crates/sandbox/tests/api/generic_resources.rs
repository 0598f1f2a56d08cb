//! The generic resources view, `{sub}/resources` and `{sub}/resourceGroups/{rg}/resources`.

use serde_json::Value;

use crate::support::{arm_error, field_of, names, start, start_with};

fn types(body: &Value) -> std::collections::BTreeSet<String> {
    field_of(body, "type").into_iter().collect()
}

#[tokio::test]
async fn every_kind_of_resource_is_listed_at_any_resources_api_version() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    for version in ["2015-11-01", "2021-04-01", "2024-03-01", "2025-04-01"] {
        let body = s
            .ok(&format!("{sub}/resources?api-version={version}"), &token)
            .await;
        let kinds = types(&body);
        for kind in [
            "Microsoft.Compute/virtualMachines",
            "Microsoft.Compute/virtualMachines/extensions",
            "Microsoft.Compute/disks",
            "Microsoft.KeyVault/vaults",
            "Microsoft.RecoveryServices/vaults",
            "Microsoft.Storage/storageAccounts",
            "Microsoft.ClassicCompute/virtualMachines",
        ] {
            assert!(kinds.contains(kind), "{version}: no {kind} in {kinds:?}");
        }
        assert!(body.get("nextLink").is_none());
    }
    let (status, _, body) = s
        .get(
            &format!("{sub}/resources?api-version=2099-01-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400);
    arm_error(&body, "InvalidApiVersionParameter");
}

#[tokio::test]
async fn the_cli_key_vault_lookup_finds_the_vault_by_type_and_name() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let filter =
        "resourceType%20eq%20'Microsoft.KeyVault/vaults'%20and%20name%20eq%20'kv-prod-jpe-ade'";
    let body = s
        .ok(
            &format!("{sub}/resources?$filter={filter}&api-version=2015-11-01"),
            &token,
        )
        .await;
    assert_eq!(names(&body), ["kv-prod-jpe-ade"]);
    let vault = &body["value"][0];
    assert_eq!(vault["type"], "Microsoft.KeyVault/vaults");
    assert_eq!(vault["location"], "japaneast");
    assert!(vault["id"].as_str().unwrap().ends_with(
        "/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/kv-prod-jpe-ade"
    ));
}

#[tokio::test]
async fn filters_select_by_substring_group_location_and_tags() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let list = |filter: &str| {
        let filter = filter.replace(' ', "%20");
        format!("{sub}/resources?$filter={filter}&api-version=2024-03-01")
    };
    let body = s
        .ok(
            &list(
                "substringof('sql', name) and resourceType eq 'Microsoft.Compute/virtualMachines'",
            ),
            &token,
        )
        .await;
    assert_eq!(names(&body), ["vm-sql-01"]);

    let body = s
        .ok(&list("resourceGroup eq 'rg-security-prod'"), &token)
        .await;
    assert!(body["value"].as_array().unwrap().iter().all(|v| {
        v["id"]
            .as_str()
            .unwrap()
            .contains("/resourceGroups/rg-security-prod/")
    }));
    assert!(names(&body).contains(&"kv-shared-jpe".to_owned()));

    let body = s.ok(&list("location eq 'eastus2'"), &token).await;
    assert!(
        names(&body).contains(&"kv-finance-ade".to_owned()),
        "{body}"
    );
    assert!(!names(&body).contains(&"kv-prod-jpe-ade".to_owned()));

    // The Recovery Services vaults carry `owner: it-operations`.
    let body = s.ok(&list("tagName eq 'owner'"), &token).await;
    assert!(!body["value"].as_array().unwrap().is_empty());
    assert!(
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["tags"]["owner"].is_string())
    );
    let body = s
        .ok(
            &list("tagName eq 'owner' and tagValue eq 'it-operations'"),
            &token,
        )
        .await;
    let found = body["value"].as_array().unwrap();
    assert!(!found.is_empty());
    // ARM leaves the tags out of a tag name-and-value answer.
    assert!(found.iter().all(|v| v.get("tags").is_none()), "{body}");
}

#[tokio::test]
async fn a_filter_the_sandbox_cannot_evaluate_is_refused_not_answered() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    for filter in [
        "identity%20eq%20'SystemAssigned'",
        "plan%20eq%20'x'",
        "name%20eq",
        "tagName%20eq%20'owner'%20and%20resourceType%20eq%20'Microsoft.RecoveryServices/vaults'",
    ] {
        let (status, _, body) = s
            .get(
                &format!("{sub}/resources?$filter={filter}&api-version=2021-04-01"),
                Some(&token),
            )
            .await;
        assert_eq!(status, 400, "{filter}: {body}");
        let message = arm_error(&body, "InvalidFilterInQueryString");
        assert!(message.contains("Invalid $filter"), "{message}");
    }
}

#[tokio::test]
async fn top_pages_with_next_links_that_keep_the_filter() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let url = s.arm(&format!(
        "{sub}/resources?$filter=resourceType%20eq%20'Microsoft.KeyVault/vaults'&$top=1&api-version=2025-04-01"
    ));
    let mut seen = Vec::new();
    for page in s.pages(&url, &token).await {
        assert_eq!(page["value"].as_array().unwrap().len(), 1, "{page}");
        seen.extend(names(&page));
    }
    assert_eq!(
        seen,
        [
            "kv-prod-jpe-ade",
            "kv-shared-jpe",
            "kv-finance-ade",
            "kv-hr-rbac"
        ]
    );
}

#[tokio::test]
async fn the_default_page_size_pages_the_whole_list() {
    let s = start_with(|c| c.page_size = 7).await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let url = s.arm(&format!("{sub}/resources?api-version=2024-03-01"));
    let ids: Vec<String> = s
        .pages(&url, &token)
        .await
        .iter()
        .flat_map(|page| field_of(page, "id"))
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert!(ids.len() > 7);
}

#[tokio::test]
async fn a_resource_group_lists_only_its_own_resources_with_expanded_times() {
    let s = start().await;
    let token = s.arm_token().await;
    let sub = s.sub_path(&token, "Contoso Production").await;
    let body = s
        .ok(
            &format!(
                "{sub}/resourceGroups/rg-sql-prod/resources?$expand=createdTime,changedTime,provisioningState&api-version=2024-03-01"
            ),
            &token,
        )
        .await;
    let items = body["value"].as_array().unwrap();
    assert!(names(&body).contains(&"vm-sql-01".to_owned()));
    for item in items {
        assert!(
            item["id"]
                .as_str()
                .unwrap()
                .contains("/resourceGroups/rg-sql-prod/"),
            "{item}"
        );
        assert_eq!(item["provisioningState"], "Succeeded");
    }
    let vm = items.iter().find(|v| v["name"] == "vm-sql-01").unwrap();
    assert_eq!(vm["createdTime"], "2024-02-14T03:20:00Z");
    assert_eq!(vm["changedTime"], "2024-02-14T03:20:00Z");

    let plain = s
        .ok(
            &format!("{sub}/resourceGroups/rg-sql-prod/resources?api-version=2024-03-01"),
            &token,
        )
        .await;
    assert!(plain["value"][0].get("createdTime").is_none());

    let (status, _, body) = s
        .get(
            &format!("{sub}/resourceGroups/rg-nope/resources?api-version=2024-03-01"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    arm_error(&body, "ResourceGroupNotFound");
}
