//! Every app command gets an explicit permission (`allow-<command>`) that a capability must grant.

fn main() {
    let commands = &[
        "connect",
        "get_app_info",
        "list_subscriptions",
        "list_vaults",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("the Tauri build step failed");
}
