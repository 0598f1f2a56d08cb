//! What went wrong and what to do about it, as ids with parameters. The UI words them, in
//! English and Japanese (`ui/src/i18n/errors.*.ts`); Rust never builds a sentence for the
//! person. The log gets the ids and parameters, and the source chain.

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "id", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Problem {
    // --- Any service ---
    /// A service refused the request; its own words are in the error's `service`.
    ServiceRefused {
        /// Which one.
        service: Service,
    },
    /// A service could not be reached.
    ServiceUnreachable {
        /// Which one.
        service: Service,
    },
    /// Signing in to a service failed (the credential could not get a token).
    ServiceSignInFailed {
        /// Which one.
        service: Service,
    },
    /// A service answered something Safehold cannot read.
    UnreadableAnswer {
        /// Which one.
        service: Service,
    },
    /// A list kept returning more pages than Safehold accepts.
    TooManyPages {
        /// Which service.
        service: Service,
    },
    /// A list's next page was on another host; it was not followed.
    ForeignNextLink {
        /// Which service.
        service: Service,
    },
    /// A request failed in a way Safehold did not expect.
    RequestFailed {
        /// To which service.
        service: Service,
    },
    /// Something failed inside Safehold; the log has the details.
    Internal,

    // --- Values a person entered ---
    /// Not a resource path.
    NotAResourcePath {
        /// What was given.
        value: String,
    },
    /// Not a subscription id.
    NotASubscriptionId {
        /// What was given.
        value: String,
    },
    /// Not an application (client) id.
    NotAnApplicationId {
        /// What was given.
        value: String,
    },
    /// Not an HTTPS address.
    NotAnHttpsAddress {
        /// What was given.
        value: String,
    },
    /// Not a usable proxy address.
    ProxyInvalid {
        /// What was given.
        value: String,
    },
    /// A proxy address carrying a user name or password.
    ProxyCredentialsNotKept,
    /// A service principal without its tenant or client id.
    PrincipalNeedsIds,
    /// The service principal's details are not valid.
    PrincipalDetailsInvalid,

    // --- Clouds ---
    /// The cloud's metadata document could not be fetched.
    MetadataUnreachable {
        /// Where it was asked for.
        url: String,
    },
    /// The metadata address answered with something else.
    MetadataRefused {
        /// Where it was asked for.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The metadata document is not usable.
    MetadataUnusable {
        /// What is wrong with it.
        defect: MetadataDefect,
        /// The field concerned, when one is.
        field: Option<String>,
    },
    /// A custom cloud whose metadata names a built-in cloud's token audience while its
    /// Resource Manager is elsewhere: it would receive that cloud's tokens.
    CloudBorrowsAudience {
        /// The audience it names.
        audience: String,
        /// The built-in cloud that audience belongs to.
        owner: String,
    },
    /// The cloud chosen is not known.
    UnknownCloud,

    // --- Certificates and files ---
    /// A certificate file is not usable.
    CertificateUnusable {
        /// What is wrong.
        defect: CertificateDefect,
    },
    /// The certificate has expired.
    CertificateExpired {
        /// When (a date).
        date: String,
    },
    /// The certificate is not valid yet.
    CertificateNotYetValid {
        /// From when (a date).
        date: String,
    },
    /// A file could not be read.
    FileUnreadable {
        /// Which.
        path: String,
    },
    /// A file holds no PEM certificate.
    NoPemCertificate {
        /// Which.
        path: String,
    },

    // --- Sign-in ---
    /// The sign-in was cancelled in Safehold.
    SignInCancelled,
    /// The person declined the sign-in.
    SignInDeclined,
    /// The device code expired before anyone used it.
    DeviceCodeExpired,
    /// Nobody finished the browser sign-in in time.
    BrowserSignInTimedOut,
    /// The sign-in was cancelled in the browser.
    BrowserSignInCancelled,
    /// The browser sign-in failed; the identity service's words are attached.
    BrowserSignInFailed,
    /// The browser's answer carried another sign-in's state and was ignored.
    BrowserStateMismatch,
    /// The browser's answer carried no authorization code.
    NoAuthorizationCode,
    /// Safehold could not listen on loopback for the browser's answer.
    LoopbackUnavailable,
    /// The system browser could not be opened.
    BrowserUnavailable,
    /// A kept sign-in is no longer valid (revoked, expired, password changed).
    SignInNoLongerValid,
    /// The identity service refused the sign-in; its words are attached.
    SignInRefused {
        /// The cloud's name.
        cloud: String,
    },
    /// The identity service could not be reached.
    SignInServiceUnreachable {
        /// The cloud's name.
        cloud: String,
    },
    /// The identity service's answer could not be read.
    SignInAnswerUnreadable {
        /// The cloud's name.
        cloud: String,
    },
    /// The sign-in did not say who signed in.
    NoIdToken,
    /// The sign-in gave no refresh token, so it cannot be kept.
    NoRefreshToken,
    /// The Azure CLI's sign-in cannot be used.
    AzureCliUnusable,
    /// The Azure CLI gave no token.
    AzureCliGaveNoToken,
    /// The Azure CLI cannot sign in to the embedded sandbox.
    AzureCliNotForSandbox,
    /// The embedded sandbox could not start.
    SandboxDidNotStart,
    /// Someone signed in but holds no role on any subscription.
    NoSubscriptionRole {
        /// Who.
        user: String,
    },
    /// An account's kept sign-in is no longer in the keyring.
    SignInNotInKeyring {
        /// Whose.
        user: String,
    },
    /// A service principal used outside its home tenant.
    HomeTenantOnly {
        /// Its name.
        name: String,
    },
    /// No account is signed in.
    NotSignedIn,

    // --- Accounts and settings ---
    /// There is no such account.
    NoSuchAccount {
        /// The account id asked for.
        account: String,
    },
    /// A tenant that is not one of the account's.
    NotOneOfTenants {
        /// The tenant asked for.
        tenant: String,
    },
    /// No signed-in account sees the subscription.
    NoAccountSeesSubscription {
        /// Which.
        subscription: String,
    },
    /// The accounts file is damaged; its accounts were not loaded.
    AccountsFileDamaged {
        /// Where it is.
        path: String,
    },
    /// The accounts could not be saved.
    AccountsNotSaved,
    /// The settings file is damaged.
    SettingsDamaged,
    /// The settings could not be saved.
    SettingsNotSaved,
    /// The OS keyring failed.
    Keyring {
        /// How.
        failure: KeyringFailure,
        /// The entry concerned, when one is.
        entry: Option<String>,
    },

    // --- Activity log ---
    /// The activity log could not be read or written; a change is not sent unless it is
    /// recorded first.
    ActivityLogUnavailable,

    // --- Inventory and grant ---
    /// The scan was cancelled; the inventory from before stays.
    ScanCancelled,
    /// Reading one subscription stopped unexpectedly.
    SubscriptionReadStopped,
    /// The key vault is not in the inventory on screen.
    VaultNotInInventory,
    /// The cloud does not publish the Backup Management Service's application id.
    BackupAppIdUnpublished,
    /// The tenant has no Backup Management Service principal.
    BackupPrincipalMissing,
    /// The role assignment was accepted but is not listed yet.
    RoleAssignmentNotListedYet {
        /// The key vault.
        vault: String,
    },
    /// The grant was accepted but reading the vault back does not show it yet.
    GrantNotVisibleYet {
        /// The key vault.
        vault: String,
    },
}

/// Which service an error came from, named as Azure names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Service {
    /// Azure Resource Manager.
    ResourceManager,
    /// Microsoft Entra ID (sign-in).
    EntraId,
    /// Microsoft Graph.
    Graph,
    /// Azure Key Vault (management and data plane).
    KeyVault,
    /// Azure Backup (Recovery Services).
    Backup,
    /// Azure Compute.
    Compute,
    /// Azure Storage.
    Storage,
    /// Azure networking.
    Network,
    /// The Azure CLI on this machine.
    AzureCli,
}

/// What is wrong with a cloud's metadata document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum MetadataDefect {
    /// It is not the JSON document a cloud publishes.
    NotTheDocument,
    /// A field that must be an HTTPS address is not one.
    NotHttps,
    /// A field is missing or empty.
    Missing,
}

/// What is wrong with a certificate file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum CertificateDefect {
    /// It holds no certificate.
    NoCertificate,
    /// It holds no RSA private key.
    NoRsaKey,
    /// The certificate cannot be read.
    Unreadable,
}

/// How the OS keyring failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum KeyringFailure {
    /// There is no usable keyring.
    Unavailable,
    /// A secret could not be saved; nothing of it was kept.
    WriteFailed,
    /// A secret could not be saved, and removing what was left could not be confirmed.
    WriteFailedLeftover,
    /// A secret could not be read.
    ReadFailed,
    /// A stored secret is damaged.
    Corrupt,
    /// A secret could not be deleted.
    DeleteFailed,
    /// Some entries could not be deleted.
    Incomplete,
    /// An entry name Safehold does not use.
    InvalidName,
}

/// What the person can do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Advice {
    // The defaults, one per error code.
    /// Sign in again; check the credentials if it keeps failing.
    SignInAgain,
    /// Ask an administrator for a role that allows this.
    AskForRole,
    /// Refresh: the resource may be gone.
    Refresh,
    /// Wait a minute: Azure is limiting the request rate.
    WaitAndRetry,
    /// Check the network and proxy.
    CheckNetwork,
    /// Correct the value.
    CorrectValue,
    /// Refresh to see the current state, then retry.
    RefreshAndRetry,
    /// Start again when ready.
    StartAgain,
    /// Retry in a few minutes.
    RetryLater,
    /// Retry, and report it with the log if it happens again.
    Report,

    // For service codes.
    /// Ask for a read role (Reader) on this scope.
    AskForReader,
    /// The token was for the wrong service: check the cloud's endpoints.
    CheckCloudEndpoints,
    /// Check that the subscription exists in the signed-in tenant.
    CheckSubscriptionTenant,
    /// The cloud does not serve this API version.
    ApiVersionUnsupported,
    /// Register the resource provider in the subscription.
    RegisterProvider,
    /// The subscription is in another tenant: choose it in Accounts.
    ChooseOtherTenant,
    /// A backup is already running: follow it in Jobs.
    FollowRunningBackup,
    /// The request may have reached Azure: look for what it started before sending again.
    LookBeforeResending,

    // Sign-in and accounts.
    /// Check the tenant id, client id and secret.
    CheckPrincipalDetails,
    /// Copy both ids from the app registration.
    CopyIdsFromRegistration,
    /// The client id is a GUID, not the secret's id.
    ClientIdIsGuid,
    /// Choose a PEM with both key and certificate.
    ChoosePemWithKeyAndCertificate,
    /// Upload a new certificate to the app registration.
    UploadNewCertificate,
    /// Wait until the certificate is valid, or use another.
    WaitForCertificate,
    /// Check the certificate's path and permissions.
    CheckFilePath,
    /// Choose the CA's certificate in PEM form.
    ChooseCaPem,
    /// Check the tenant id or leave it empty for the CLI's default.
    CheckCliTenant,
    /// Run `az login` first.
    RunAzLogin,
    /// Choose the cloud the CLI is set to.
    ChooseCliCloud,
    /// Sign in again and approve the request.
    ApproveSignIn,
    /// Start again and enter the new code in time.
    EnterCodeInTime,
    /// Sign in again, using only the browser window Safehold opened.
    UseOnlyOpenedBrowser,
    /// Allow the offline_access scope for the public client.
    AllowOfflineAccess,
    /// The sign-in service is not Entra ID compatible.
    CheckIdentityService,
    /// Use the device code instead, or set a default browser.
    UseDeviceCode,
    /// Add an account in Accounts.
    AddAccount,
    /// Ask for a role on the subscriptions (Reader to look, Backup Contributor to act), then
    /// add the account again.
    AskForSubscriptionRole,
    /// Refresh the accounts panel.
    RefreshAccounts,
    /// Refresh the account's tenants and choose from the list.
    ChooseFromTenants,
    /// Check the subscription filter, or sign in with an account that has access.
    CheckSubscriptionFilter,
    /// Sign in with the service principal in its home tenant.
    UseHomeTenant,
    /// Enter the proxy as http://host:port.
    EnterProxyAsUrl,
    /// Enter the proxy without credentials.
    EnterProxyWithoutCredentials,
    /// Enter the cloud's Resource Manager endpoint.
    EnterArmEndpoint,
    /// Check that the address is a Resource Manager endpoint of an Azure cloud.
    CheckMetadataAddress,
    /// Sign in with the cloud's own endpoints; this one names another cloud's audience.
    UseTheCloudsOwnAudience,
    /// Check that the app data folder is writable.
    CheckDataFolder,
    /// Sign in again; the damaged file is kept beside the new one.
    SignInAgainDamagedKept,
    /// Choose the network settings again.
    ChooseNetworkSettings,
    /// Install or unlock a keyring.
    InstallKeyring,
    /// Unlock the keyring and retry.
    UnlockKeyring,
    /// Delete Safehold's leftover entry in the keyring manager.
    DeleteKeyringEntry,
    /// Enter the secret again; the damaged copy is replaced.
    EnterSecretAgain,

    // Inventory and grant.
    /// Refresh the inventory, then grant again.
    RefreshInventoryThenGrant,
    /// Grant in the portal with Azure Backup's template.
    GrantInPortal,
    /// Register Microsoft.RecoveryServices in the subscription.
    RegisterRecoveryServices,
    /// Role assignments can take minutes to appear: wait, then refresh.
    WaitForRoleAssignment,
    /// Wait a minute, refresh, and grant again if still missing.
    WaitThenGrantAgain,
    /// Scan again; report it if it happens again.
    ScanAgain,
}

impl Advice {
    /// The default next step for a kind of failure.
    pub fn for_code(code: crate::ErrorCode) -> Self {
        use crate::ErrorCode as C;
        match code {
            C::Auth => Self::SignInAgain,
            C::Forbidden => Self::AskForRole,
            C::NotFound => Self::Refresh,
            C::Throttled => Self::WaitAndRetry,
            C::Network => Self::CheckNetwork,
            C::InvalidInput => Self::CorrectValue,
            C::Conflict => Self::RefreshAndRetry,
            C::Cancelled => Self::StartAgain,
            C::Unavailable => Self::RetryLater,
            C::Internal => Self::Report,
        }
    }

    /// Specific advice for a service's well-known error code, in any casing.
    pub fn for_service_code(code: &str) -> Option<Self> {
        const KNOWN: &[(&str, Advice)] = &[
            ("AuthorizationFailed", Advice::AskForReader),
            ("InvalidAuthenticationToken", Advice::SignInAgain),
            ("ExpiredAuthenticationToken", Advice::SignInAgain),
            ("AuthenticationFailed", Advice::SignInAgain),
            (
                "InvalidAuthenticationTokenAudience",
                Advice::CheckCloudEndpoints,
            ),
            ("SubscriptionNotFound", Advice::CheckSubscriptionTenant),
            ("InvalidApiVersionParameter", Advice::ApiVersionUnsupported),
            ("NoRegisteredProviderFound", Advice::ApiVersionUnsupported),
            ("MissingSubscriptionRegistration", Advice::RegisterProvider),
            (
                "InvalidAuthenticationTokenTenant",
                Advice::ChooseOtherTenant,
            ),
            (
                "BMSUserErrorBackupOperationInProgress",
                Advice::FollowRunningBackup,
            ),
            (
                "UserErrorBackupOperationInProgress",
                Advice::FollowRunningBackup,
            ),
        ];
        KNOWN
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(code))
            .map(|(_, advice)| *advice)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // For the log: the id and its parameters; the UI words it.
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reaches_the_ui_as_an_id_with_its_parameters() {
        let json = serde_json::to_value(Problem::MetadataRefused {
            url: "https://x/metadata".into(),
            status: 404,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "metadataRefused", "url": "https://x/metadata", "status": 404})
        );
        assert_eq!(
            serde_json::to_value(Problem::ScanCancelled).unwrap(),
            serde_json::json!({"id": "scanCancelled"})
        );
    }

    #[test]
    fn service_codes_are_recognised_in_any_casing() {
        assert_eq!(
            Advice::for_service_code("authorizationfailed"),
            Some(Advice::AskForReader)
        );
        assert_eq!(Advice::for_service_code("SomethingElse"), None);
    }
}
