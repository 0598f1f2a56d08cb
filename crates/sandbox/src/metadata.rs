//! The cloud metadata document (`/metadata/endpoints`), which lets a client — Safehold's custom
//! cloud, the Azure CLI's `az cloud register` — discover every endpoint from the ARM URL alone.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Shared;

/// `GET /metadata/endpoints?api-version=2022-09-01` (no token needed).
pub fn endpoints(state: &Shared) -> Response {
    let arm = format!("{}/", state.arm_endpoint);
    let graph = format!("{}/", state.graph_endpoint);
    Json(json!({
        "name": "SafeholdSandbox",
        "portal": state.arm_endpoint,
        "authentication": {
            "loginEndpoint": state.authority_host,
            "audiences": state.arm_audiences,
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "resourceManager": arm,
        // Graph on its own origin; the retired Azure AD Graph fields point there too, so no
        // client is sent off the machine.
        "microsoftGraphResourceId": graph,
        "graph": graph,
        "graphAudience": graph,
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "gallery": "https://gallery.azure.com/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": "",
        "suffixes": {
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "sqlServerHostname": "database.windows.net",
            "acrLoginServer": "azurecr.io",
            "mhsmDns": "managedhsm.azure.net"
        }
    }))
    .into_response()
}
