//! Every app command gets an explicit permission (`allow-<command>`) that a capability must
//! grant. The command list is read from the main window's capability, so it is written once;
//! a test in `lib.rs` checks that it matches the commands the app handles.

fn main() {
    let capability = "capabilities/main-window.json";
    println!("cargo:rerun-if-changed={capability}");
    let text =
        std::fs::read_to_string(capability).expect("the main window's capability is readable");
    let commands: Vec<String> = text
        .split('"')
        .filter_map(|item| item.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect();
    // The manifest keeps the names for the rest of the build script, which is its whole life.
    let commands: &'static [&'static str] = commands
        .into_iter()
        .map(|c| &*Box::leak(c.into_boxed_str()))
        .collect::<Vec<_>>()
        .leak();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("the Tauri build step failed");
}
