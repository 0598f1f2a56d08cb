//! Every app command gets an explicit permission (`allow-<command>`) that a capability must grant.

fn main() {
    let commands = &[
        "connect",
        "get_app_info",
        "list_subscriptions",
        "list_vaults",
        "list_accounts",
        "sign_in",
        "cancel_sign_in",
        "sign_out",
        "refresh_tenants",
        "set_account_scope",
        "list_account_subscriptions",
        "get_network_settings",
        "set_network_settings",
        "scan_inventory",
        "cancel_scan",
        "cached_inventory",
        "plan_grant",
        "grant_backup_access",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("the Tauri build step failed");
}
