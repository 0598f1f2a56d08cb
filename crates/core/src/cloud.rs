//! Which Azure cloud a session talks to, as the UI describes it.

/// The clouds Safehold knows by name, plus custom ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum CloudKind {
    /// The embedded, simulated cloud. Nothing leaves the machine.
    Sandbox,
    /// Azure public cloud.
    AzurePublic,
    /// Azure US Government.
    AzureUsGovernment,
    /// Azure operated by 21Vianet (China).
    AzureChina,
    /// A cloud described by its ARM metadata endpoint.
    Custom,
}

/// What the UI shows about the connected cloud.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CloudInfo {
    /// Which cloud this is.
    pub kind: CloudKind,
    /// Its display name.
    pub name: String,
    /// The Azure Resource Manager endpoint.
    pub arm_endpoint: String,
    /// True for the sandbox: the UI labels everything as simulated.
    pub simulated: bool,
}
