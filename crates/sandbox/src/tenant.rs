//! The simulated tenant: who may sign in and which resources exist.
//!
//! State lives in `tenant.json` in the data directory and is created from the demo seed on first
//! run. These are the sandbox's own records; the wire shapes are built from them in `arm`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::store;

const TENANT_FILE: &str = "tenant.json";
const CREDENTIALS_FILE: &str = "credentials.json";

/// The display name of the service principal clients sign in as.
pub const OPERATOR_NAME: &str = "Safehold sandbox operator";

/// The tenant and everything in it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tenant {
    /// Directory (tenant) id.
    pub tenant_id: String,
    /// Display name shown in sign-in pages.
    pub display_name: String,
    /// Subscriptions, in creation order.
    pub subscriptions: Vec<SubscriptionRecord>,
    /// Service principals in the directory (Microsoft Graph).
    #[serde(default)]
    pub service_principals: Vec<ServicePrincipalRecord>,
    /// People who can sign in interactively.
    #[serde(default)]
    pub users: Vec<UserRecord>,
    /// Public client applications interactive sign-in accepts (desktop apps, the Azure CLI).
    #[serde(default)]
    pub public_clients: Vec<PublicClientRecord>,
    /// Other directories (tenants) some of this directory's users are guests in.
    #[serde(default)]
    pub directories: Vec<DirectoryRecord>,
    /// Security groups (object id and name), for resolving who holds an access policy.
    #[serde(default)]
    pub groups: Vec<GroupRecord>,
    /// Custom role definitions (any subscription may assign them).
    #[serde(default)]
    pub custom_roles: Vec<CustomRoleRecord>,
}

/// Another directory, where users of the home directory are invited as guests (Entra B2B).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirectoryRecord {
    /// Directory (tenant) id.
    pub tenant_id: String,
    /// Display name.
    pub display_name: String,
    /// Its `*.onmicrosoft.com` domain.
    pub default_domain: String,
    /// Object ids of the home directory's users who are guests here.
    pub guests: Vec<String>,
}

/// The home directory's default domain.
pub const HOME_DOMAIN: &str = "contoso.onmicrosoft.com";

/// A user of the directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    /// Object id.
    pub object_id: String,
    /// Sign-in name.
    pub user_principal_name: String,
    /// Display name.
    pub display_name: String,
    /// A user with no role on any subscription: they can sign in, and see none.
    #[serde(default)]
    pub no_subscription_access: bool,
}

/// A custom Azure role: its GUID, name and data actions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CustomRoleRecord {
    /// GUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Data actions it grants (`*` wildcards allowed).
    pub data_actions: Vec<String>,
    /// Data actions taken back from what `data_actions` grants (`*` wildcards allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_data_actions: Vec<String>,
}

/// A security group of the directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupRecord {
    /// Object id.
    pub object_id: String,
    /// Display name.
    pub display_name: String,
}

/// A public client application (no secret; loopback redirects; PKCE).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicClientRecord {
    /// Application (client) id.
    pub app_id: String,
    /// Display name shown on the consent page.
    pub display_name: String,
}

/// A service principal as Microsoft Graph lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServicePrincipalRecord {
    /// Object id in this tenant.
    pub object_id: String,
    /// Application id, the same in every tenant.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
}

/// A subscription and the resources in it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// Subscription GUID.
    pub subscription_id: String,
    /// The directory the subscription belongs to, when it is not the home one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Display name.
    pub display_name: String,
    /// `Enabled`, `Disabled`, …
    pub state: String,
    /// Recovery Services vaults.
    pub recovery_vaults: Vec<RecoveryVaultRecord>,
    /// Resource groups.
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroupRecord>,
    /// Resource Manager virtual machines.
    #[serde(default)]
    pub virtual_machines: Vec<VirtualMachineRecord>,
    /// Classic (Service Manager) virtual machines, which Backup cannot protect when encrypted.
    #[serde(default)]
    pub classic_virtual_machines: Vec<ClassicVmRecord>,
    /// Key vaults.
    #[serde(default)]
    pub key_vaults: Vec<KeyVaultRecord>,
    /// Whether enabling protection of BEK-only VMs on managed disks fails validation, as the
    /// support matrix of 2017 said.
    #[serde(default)]
    pub bek_only_managed_unsupported: bool,
    /// Storage accounts (restore staging), with their blobs.
    #[serde(default)]
    pub storage_accounts: Vec<StorageAccountRecord>,
    /// Managed disks made by restores, attached to no VM.
    #[serde(default)]
    pub restored_disks: Vec<RestoredDiskRecord>,
    /// Template deployments.
    #[serde(default)]
    pub deployments: Vec<crate::deployments::DeploymentRecord>,
    /// Virtual networks, NICs, public IPs and network security groups.
    #[serde(default)]
    pub network: NetworkRecords,
    /// Role assignments at the subscription, inherited by everything in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_assignments: Vec<RoleAssignmentRecord>,
}

/// The network resources of a subscription.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct NetworkRecords {
    /// Virtual networks, with their subnets.
    #[serde(default)]
    pub virtual_networks: Vec<VirtualNetworkRecord>,
    /// Network interfaces.
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterfaceRecord>,
    /// Public IP addresses.
    #[serde(default)]
    pub public_ip_addresses: Vec<PublicIpRecord>,
    /// Network security groups.
    #[serde(default)]
    pub security_groups: Vec<SecurityGroupRecord>,
}

/// A virtual network.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VirtualNetworkRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Address space, e.g. `10.10.0.0/16`.
    pub address_prefixes: Vec<String>,
    /// Subnets.
    #[serde(default)]
    pub subnets: Vec<SubnetRecord>,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Resource GUID (also its etag).
    pub guid: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: String,
}

/// A subnet of a virtual network.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SubnetRecord {
    /// Name.
    pub name: String,
    /// Address prefix, inside the network's address space.
    pub address_prefix: String,
    /// The id of its network security group.
    #[serde(default)]
    pub security_group: Option<String>,
}

/// A network interface.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetworkInterfaceRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// IP configurations (the first is primary unless one says otherwise).
    pub ip_configurations: Vec<IpConfigurationRecord>,
    /// The id of its network security group.
    #[serde(default)]
    pub security_group: Option<String>,
    /// MAC address, shown once a VM uses the NIC.
    pub mac_address: String,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Resource GUID (also its etag).
    pub guid: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: String,
}

/// An IP configuration of a NIC.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IpConfigurationRecord {
    /// Name, e.g. `ipconfig1`.
    pub name: String,
    /// The subnet's id.
    pub subnet: String,
    /// Private IPv4 address.
    pub private_ip: String,
    /// Whether the address was asked for (`Static`) rather than allocated (`Dynamic`).
    pub static_ip: bool,
    /// The id of its public IP address.
    #[serde(default)]
    pub public_ip: Option<String>,
    /// Primary configuration of the NIC.
    pub primary: bool,
}

/// A public IP address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PublicIpRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// `Basic` or `Standard`.
    pub sku: String,
    /// `Static` allocation (otherwise `Dynamic`).
    pub static_allocation: bool,
    /// The address, once allocated.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// DNS label.
    #[serde(default)]
    pub domain_name_label: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Resource GUID (also its etag).
    pub guid: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: String,
}

/// A network security group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecurityGroupRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Its own rules (the six default rules are implied).
    #[serde(default)]
    pub rules: Vec<SecurityRuleRecord>,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Resource GUID (also its etag).
    pub guid: String,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created: String,
}

/// A security rule.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecurityRuleRecord {
    /// Name.
    pub name: String,
    /// `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`.
    pub protocol: String,
    /// `Allow` or `Deny`.
    pub access: String,
    /// 100 to 4096, unique per direction.
    pub priority: u32,
    /// `Inbound` or `Outbound`.
    pub direction: String,
    /// Source prefix or service tag.
    pub source_address_prefix: String,
    /// Source ports.
    pub source_port_range: String,
    /// Destination prefix or service tag.
    pub destination_address_prefix: String,
    /// Destination ports.
    pub destination_port_range: String,
}

/// A storage account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StorageAccountRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name (globally unique).
    pub name: String,
    /// Region.
    pub location: String,
    /// SKU, e.g. `Standard_LRS` or `Standard_ZRS`.
    pub sku: String,
    /// `StorageV2`, `Storage`, `BlobStorage`, `FileStorage` or `BlockBlobStorage`.
    #[serde(default = "StorageAccountRecord::default_kind")]
    pub kind: String,
    /// `Hot`, `Cool`, `Cold` or `Premium`; kinds without tiers have none.
    #[serde(default)]
    pub access_tier: Option<String>,
    /// Whether network rules deny access by default (`networkAcls.defaultAction: Deny`).
    #[serde(default)]
    pub network_rules_deny: bool,
    /// Creation time (RFC 3339); empty for accounts of data directories older than the field.
    #[serde(default)]
    pub created: String,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// When a create finishes (Unix seconds); until then the account is `Creating`.
    #[serde(default)]
    pub ready_at: i64,
    /// The id of the create operation clients poll, while one is known.
    #[serde(default)]
    pub operation: Option<String>,
    /// Blobs written into it.
    #[serde(default)]
    pub blobs: Vec<BlobRecord>,
}

impl SubscriptionRecord {
    /// The resource group named `rg` (names match case-insensitively), or ARM's 404 for it.
    pub(crate) fn require_group(
        &self,
        rg: &str,
    ) -> Result<&ResourceGroupRecord, crate::arm::ArmError> {
        self.resource_groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(rg))
            .ok_or_else(|| {
                crate::arm::ArmError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("There is no resource group '{rg}' in this subscription."),
                )
            })
    }

    /// The name of resource group `rg` as it was created (`rg` itself when there is none).
    pub(crate) fn group_name(&self, rg: &str) -> String {
        self.require_group(rg)
            .map_or_else(|_| rg.to_owned(), |g| g.name.clone())
    }
}

impl StorageAccountRecord {
    fn default_kind() -> String {
        "StorageV2".to_owned()
    }

    /// `Standard` or `Premium`: the tier follows from the SKU's name.
    pub fn sku_tier(&self) -> &'static str {
        if self.sku.to_ascii_lowercase().starts_with("premium") {
            "Premium"
        } else {
            "Standard"
        }
    }
}

/// A blob.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlobRecord {
    /// Container.
    pub container: String,
    /// Blob name.
    pub name: String,
    /// Content (JSON text for restore outputs).
    pub content: String,
    /// When it can be read (Unix seconds): the end of the job that writes it.
    pub available_at: i64,
}

/// A managed disk a restore created.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RestoredDiskRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Size in GiB.
    pub size_gb: u32,
    /// OS, for an OS disk.
    #[serde(default)]
    pub os: Option<OsKind>,
    /// The ADE settings it carries over from its recovery point.
    #[serde(default)]
    pub encryption: Option<AdeRecord>,
    /// When it exists (Unix seconds).
    pub available_at: i64,
}

/// A resource group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResourceGroupRecord {
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Role assignments at the group, inherited by the resources in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_assignments: Vec<RoleAssignmentRecord>,
}

/// Windows or Linux.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OsKind {
    /// Windows (ADE uses BitLocker).
    Windows,
    /// Linux (ADE uses DM-Crypt).
    Linux,
}

/// A disk attached to a VM: a managed disk resource, or a VHD blob in a storage account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DiskRecord {
    /// Disk name (the managed disk resource's name, or the VHD's).
    pub name: String,
    /// Size in GiB.
    pub size_gb: u32,
    /// The VHD's URL for unmanaged disks; `None` for a managed disk.
    #[serde(default)]
    pub vhd_uri: Option<String>,
    /// Data disk LUN; `None` for the OS disk.
    #[serde(default)]
    pub lun: Option<u32>,
}

/// Which ADE generation encrypted the VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdePass {
    /// Current ADE (no Entra app); references live on the disks.
    SinglePass,
    /// Legacy ADE with an Entra app; references live on the VM model.
    DualPass,
}

/// A versioned object in a key vault, referenced by name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VaultObjectRef {
    /// Key vault name.
    pub vault: String,
    /// Object (secret or key) name.
    pub name: String,
    /// 32-hex version.
    pub version: String,
}

/// How Azure Disk Encryption is applied to a VM.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdeRecord {
    /// Generation.
    pub pass: AdePass,
    /// `All`, `OS` or `Data`.
    pub volume_type: String,
    /// The BEK secret.
    pub bek: VaultObjectRef,
    /// The KEK key, for BEK+KEK VMs.
    #[serde(default)]
    pub kek: Option<VaultObjectRef>,
    /// The Entra application ADE used (dual-pass only).
    #[serde(default)]
    pub aad_client_id: Option<String>,
}

/// A Resource Manager virtual machine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VirtualMachineRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
    /// The VM's unique id.
    pub vm_id: String,
    /// Size, e.g. `Standard_D2s_v5`.
    pub size: String,
    /// Operating system.
    pub os: OsKind,
    /// Display name of the OS image.
    pub os_name: String,
    /// OS disk.
    pub os_disk: DiskRecord,
    /// Data disks.
    #[serde(default)]
    pub data_disks: Vec<DiskRecord>,
    /// Whether the VM agent reports Ready.
    pub agent_ready: bool,
    /// `running`, `stopped` or `deallocated`.
    pub power_state: String,
    /// Azure Disk Encryption, when applied.
    #[serde(default)]
    pub encryption: Option<AdeRecord>,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Ids of its network interfaces, primary first. Empty in data directories older than the
    /// field; such a VM names `{vm}-nic` in its own group, which may not exist.
    #[serde(default)]
    pub network_interfaces: Vec<String>,
}

/// A classic VM (Microsoft.ClassicCompute).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassicVmRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name.
    pub name: String,
    /// Region.
    pub location: String,
}

/// One entry of a key vault's access policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPolicyRecord {
    /// Tenant of the principal.
    pub tenant_id: String,
    /// Object id of the principal.
    pub object_id: String,
    /// Compound identity application id, rarely set.
    #[serde(default)]
    pub application_id: Option<String>,
    /// Key permissions.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Secret permissions.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Certificate permissions.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Storage permissions.
    #[serde(default)]
    pub storage: Vec<String>,
}

/// A secret version in a key vault (its value stays in the data plane).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretRecord {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `BEK`, `Wrapped BEK`, …
    #[serde(default)]
    pub content_type: Option<String>,
    /// Tags (ADE writes MachineName, VolumeLetter, DiskEncryptionKeyFileName, …).
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// The value.
    pub value: String,
    /// Deleted (soft-deleted, recoverable).
    #[serde(default)]
    pub deleted: bool,
}

/// A key version in a key vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `RSA` or `RSA-HSM`.
    pub kty: String,
    /// Deleted (soft-deleted, recoverable).
    #[serde(default)]
    pub deleted: bool,
}

/// A role assignment: at a key vault, a resource group or a subscription, by where it is kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoleAssignmentRecord {
    /// Assignment name (GUID).
    pub name: String,
    /// Role definition GUID, e.g. Key Vault Administrator's (compared without case).
    pub role_definition: String,
    /// Principal object id.
    pub principal_id: String,
    /// `ServicePrincipal`, `User` or `Group`.
    pub principal_type: String,
}

/// A key vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyVaultRecord {
    /// Resource group.
    pub resource_group: String,
    /// Name (globally unique, it is the vault's host name).
    pub name: String,
    /// Region.
    pub location: String,
    /// `standard` or `premium`.
    pub sku: String,
    /// Azure RBAC instead of access policies.
    pub rbac_authorization: bool,
    /// ADE may read secrets and wrap keys (required for ADE).
    pub enabled_for_disk_encryption: bool,
    /// Templates may read secrets.
    pub enabled_for_template_deployment: bool,
    /// Soft-delete retention in days.
    pub soft_delete_retention_days: u32,
    /// Purge protection.
    pub purge_protection: bool,
    /// Access policy entries (ignored when `rbac_authorization`).
    pub access_policies: Vec<AccessPolicyRecord>,
    /// Secrets.
    #[serde(default)]
    pub secrets: Vec<SecretRecord>,
    /// Keys.
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    /// Soft-deleted: gone from lists and gets, listed as a deleted vault.
    #[serde(default)]
    pub deleted: bool,
    /// Role assignments at vault scope (used when `rbac_authorization`).
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignmentRecord>,
    /// Creation time (RFC 3339).
    pub created: String,
}

/// A Recovery Services vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecoveryVaultRecord {
    /// Resource group name.
    pub resource_group: String,
    /// Vault name.
    pub name: String,
    /// Region.
    pub location: String,
    /// `LocallyRedundant`, `ZoneRedundant` or `GeoRedundant`.
    pub storage_redundancy: String,
    /// When the vault was created (RFC 3339), used for its etag.
    pub created: String,
    /// Resource tags.
    pub tags: std::collections::BTreeMap<String, String>,
    /// Backup policies (`DefaultPolicy` always exists).
    #[serde(default)]
    pub policies: Vec<BackupPolicyRecord>,
    /// VMs protected by this vault.
    #[serde(default)]
    pub protected_items: Vec<ProtectedItemRecord>,
    /// Backup jobs, oldest first.
    #[serde(default)]
    pub jobs: Vec<JobRecord>,
}

/// A VM backup policy (daily schedule, daily retention).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackupPolicyRecord {
    /// Name.
    pub name: String,
    /// Time of day of the backup (`HH:MM`, UTC).
    pub schedule_time: String,
    /// Days a daily point is kept.
    pub retention_days: u32,
    /// Days instant (snapshot) points are kept.
    pub instant_rp_days: u32,
    /// Windows time zone name.
    pub time_zone: String,
}

/// A VM protected by a vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProtectedItemRecord {
    /// The VM's resource group.
    pub vm_resource_group: String,
    /// The VM's name.
    pub vm_name: String,
    /// Policy name.
    pub policy: String,
    /// Recovery points, oldest first.
    #[serde(default)]
    pub recovery_points: Vec<RecoveryPointRecord>,
}

/// A recovery point of a VM.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecoveryPointRecord {
    /// Decimal id.
    pub id: String,
    /// When it was taken (RFC 3339).
    pub time: String,
    /// When it becomes listable (Unix seconds): the end of the job that makes it.
    pub available_at: i64,
    /// ADE state of the VM when the point was taken.
    #[serde(default)]
    pub encryption: Option<AdeRecord>,
    /// Managed disks.
    pub managed: bool,
    /// OS.
    pub os: OsKind,
    /// VM size.
    pub vm_size: String,
}

/// Why a job failed, as the service reports it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobFailure {
    /// Symbolic code, e.g. `UserErrorKeyvaultPermissionsNotConfigured`.
    pub code: String,
    /// The service's numeric error code.
    pub numeric: i64,
    /// Message.
    pub message: String,
    /// What to do.
    pub recommendation: String,
}

/// A backup job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRecord {
    /// GUID.
    pub id: String,
    /// `ConfigureBackup`, `Backup` or `Restore`.
    pub operation: String,
    /// The VM's resource group.
    pub vm_resource_group: String,
    /// The VM's name.
    pub vm_name: String,
    /// Start (Unix seconds).
    pub start: i64,
    /// How long it runs, in seconds.
    pub duration_secs: i64,
    /// `None` when it succeeds.
    #[serde(default)]
    pub failure: Option<JobFailure>,
    /// Started by a person (on-demand) rather than by the schedule.
    pub user_triggered: bool,
    /// What the job reports in `extendedInfo.propertyBag` (a restore's output blobs).
    #[serde(default)]
    pub property_bag: std::collections::BTreeMap<String, String>,
}

/// The service principal the sandbox lets sign in with client credentials.
#[derive(Clone, Serialize, Deserialize)]
pub struct ServicePrincipal {
    /// Tenant it lives in.
    pub tenant_id: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret, generated on first run.
    pub client_secret: String,
    /// Its object id in the tenant.
    pub object_id: String,
    /// Display name.
    pub display_name: String,
}

impl std::fmt::Debug for ServicePrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServicePrincipal")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Tenant {
    /// Loads the tenant from `dir`, seeding the demo tenant on first run.
    pub fn load_or_seed(dir: &Path, seed: &crate::TenantSeed) -> anyhow::Result<Self> {
        let tenant_id = uuid::Uuid::new_v4().to_string();
        let mut tenant: Self =
            store::load_or_create_json(&dir.join(TENANT_FILE), "tenant", || {
                seed.build(&tenant_id)
            })?;
        // Data directories from before the sandbox had networks: their VMs get the NICs they
        // name (`{vm}-nic`), on a network of their region.
        for sub in &mut tenant.subscriptions {
            crate::network::provision(sub, &[]);
        }
        Ok(tenant)
    }

    /// Writes the tenant to `dir`.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        store::write_private(&dir.join(TENANT_FILE), &serde_json::to_vec(self)?)
    }

    /// The directory (tenant) id `subscription` belongs to.
    pub fn directory_of<'a>(&'a self, subscription: &'a SubscriptionRecord) -> &'a str {
        subscription.directory.as_deref().unwrap_or(&self.tenant_id)
    }

    /// The directories `object_id` can sign in to: the home one if it is a user or principal
    /// of it, then those it is a guest in. Each as (tenant id, display name, default domain).
    pub fn directories_of(&self, object_id: &str) -> Vec<(String, String, String)> {
        let mut found = vec![(
            self.tenant_id.clone(),
            self.display_name.clone(),
            HOME_DOMAIN.to_owned(),
        )];
        found.extend(
            self.directories
                .iter()
                .filter(|d| d.guests.iter().any(|g| g.eq_ignore_ascii_case(object_id)))
                .map(|d| {
                    (
                        d.tenant_id.clone(),
                        d.display_name.clone(),
                        d.default_domain.clone(),
                    )
                }),
        );
        found
    }

    /// The directory with this id other than the home one.
    pub fn directory(&self, tenant_id: &str) -> Option<&DirectoryRecord> {
        self.directories
            .iter()
            .find(|d| d.tenant_id.eq_ignore_ascii_case(tenant_id))
    }

    /// The subscription with this id, compared case-insensitively.
    pub fn subscription(&self, id: &str) -> Option<&SubscriptionRecord> {
        self.subscriptions
            .iter()
            .find(|s| s.subscription_id.eq_ignore_ascii_case(id))
    }

    /// The subscription with this id, for a change.
    pub fn subscription_mut(&mut self, id: &str) -> Option<&mut SubscriptionRecord> {
        self.subscriptions
            .iter_mut()
            .find(|s| s.subscription_id.eq_ignore_ascii_case(id))
    }

    /// The key vault with this name anywhere in the tenant (names are global).
    pub fn key_vault(&self, name: &str) -> Option<(&SubscriptionRecord, &KeyVaultRecord)> {
        self.subscriptions.iter().find_map(|s| {
            s.key_vaults
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(name))
                .map(|v| (s, v))
        })
    }
}

impl ServicePrincipal {
    /// Loads the principal from `dir`, creating it (with a fresh secret) on first run.
    /// Loads the principal from `dir`, creating it (with a fresh secret) on first run. When the
    /// tenant's directory already has the operator (the demo seed grants it data-plane access to
    /// its key vaults), the credentials are for that principal.
    pub fn load_or_create(dir: &Path, tenant: &Tenant) -> anyhow::Result<Self> {
        let seeded = tenant
            .service_principals
            .iter()
            .find(|sp| sp.display_name == OPERATOR_NAME);
        store::load_or_create_json(&Self::file_path(dir), "credentials", || Self {
            tenant_id: tenant.tenant_id.clone(),
            client_id: seeded
                .map_or_else(|| uuid::Uuid::new_v4().to_string(), |sp| sp.app_id.clone()),
            client_secret: crate::token::random_secret(),
            object_id: seeded.map_or_else(
                || uuid::Uuid::new_v4().to_string(),
                |sp| sp.object_id.clone(),
            ),
            display_name: OPERATOR_NAME.to_owned(),
        })
    }

    /// Where the credentials file lives in `dir`.
    pub fn file_path(dir: &Path) -> std::path::PathBuf {
        dir.join(CREDENTIALS_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_debug_output_hides_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let principal = ServicePrincipal::load_or_create(
            dir.path(),
            &Tenant::load_or_seed(dir.path(), &crate::TenantSeed::Demo).unwrap(),
        )
        .unwrap();
        let shown = format!("{principal:?}");
        assert!(!shown.contains(&principal.client_secret));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn state_persists_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = Tenant::load_or_seed(dir.path(), &crate::TenantSeed::Demo).unwrap();
        let principal = ServicePrincipal::load_or_create(dir.path(), &tenant).unwrap();
        let again = Tenant::load_or_seed(dir.path(), &crate::TenantSeed::Demo).unwrap();
        let principal_again = ServicePrincipal::load_or_create(dir.path(), &tenant).unwrap();
        assert_eq!(tenant.tenant_id, again.tenant_id);
        assert_eq!(principal.client_secret, principal_again.client_secret);
    }

    #[test]
    fn a_tenant_file_from_before_storage_kinds_and_networks_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = serde_json::to_value(crate::seed::contoso_in("t")).unwrap();
        for sub in old["subscriptions"].as_array_mut().unwrap() {
            let sub = sub.as_object_mut().unwrap();
            sub.remove("network");
            for vm in sub["virtual_machines"].as_array_mut().unwrap() {
                vm.as_object_mut().unwrap().remove("network_interfaces");
            }
            for account in sub["storage_accounts"].as_array_mut().unwrap() {
                let account = account.as_object_mut().unwrap();
                for key in [
                    "kind",
                    "access_tier",
                    "network_rules_deny",
                    "created",
                    "tags",
                    "ready_at",
                    "operation",
                ] {
                    account.remove(key);
                }
            }
        }
        std::fs::write(
            dir.path().join(TENANT_FILE),
            serde_json::to_vec(&old).unwrap(),
        )
        .unwrap();

        let tenant = Tenant::load_or_seed(dir.path(), &crate::TenantSeed::Demo).unwrap();

        let prod = &tenant.subscriptions[0];
        assert_eq!(prod.storage_accounts[0].kind, "StorageV2");
        for vm in &prod.virtual_machines {
            let nic = &vm.network_interfaces[0];
            assert!(
                nic.ends_with(&format!("/networkInterfaces/{}-nic", vm.name)),
                "{nic}"
            );
            assert!(
                crate::network::nic_in_region(prod, nic, &vm.location),
                "{nic}"
            );
        }
    }

    #[test]
    fn a_corrupt_tenant_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TENANT_FILE), b"{ not json").unwrap();
        let error = Tenant::load_or_seed(dir.path(), &crate::TenantSeed::Demo).unwrap_err();
        assert!(format!("{error:#}").contains("is not a sandbox tenant file"));
        assert_eq!(
            std::fs::read(dir.path().join(TENANT_FILE)).unwrap(),
            b"{ not json"
        );
    }
}
