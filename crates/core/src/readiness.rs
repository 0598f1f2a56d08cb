//! Readiness: can Azure Backup protect this encrypted VM, and if not, what to fix first.
//!
//! The checks run in the order an administrator fixes things: what the support matrix allows,
//! whether ADE itself is healthy, the VM agent, a Recovery Services vault in the VM's region,
//! and Backup's access to the key vaults. Every check reports, so the VM page can show all of
//! them; the verdict is the worst outcome.

use crate::ade::{AdePass, Classification, DiskKind, KeyProtection, Permissions, VmFacts};

/// One of the readiness checks, in the order they are fixed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// What the support matrix allows.
    SupportMatrix,
    /// ADE applied and healthy.
    AdeHealthy,
    /// The VM agent is ready.
    AgentReady,
    /// A Recovery Services vault exists in the VM's region and subscription.
    VaultInRegion,
    /// Backup can read the BEK (and KEK) from the key vaults.
    KeyVaultAccess,
}

/// How a check came out.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Fine.
    Pass,
    /// Could not be read; says what was missing.
    Unknown,
    /// Worth knowing, does not block.
    Warn,
    /// Blocks backup until fixed.
    Fail,
}

/// Why a check came out as it did. The UI words each in the user's language.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Finding {
    /// Nothing to say.
    Ok,
    /// Classic VMs encrypted with ADE cannot be backed up.
    ClassicUnsupported,
    /// BEK-only on managed disks: the 2017 matrix said no, the service allows it since late
    /// 2017; `serviceAnswer` is what this subscription's service said when it was tried.
    #[serde(rename_all = "camelCase")]
    BekOnlyManaged {
        /// `Some(true)`: enabling protection succeeded here; `Some(false)`: it failed
        /// validation here; `None`: not tried yet.
        service_answer: Option<bool>,
    },
    /// Legacy dual-pass ADE (with an Entra application): supported, but worth migrating.
    DualPass,
    /// The extension failed or the OS disk is not encrypted.
    #[serde(rename_all = "camelCase")]
    AdeUnhealthy {
        /// What the VM reported.
        message: String,
    },
    /// The VM agent is not ready.
    AgentNotReady,
    /// The VM's instance view was not read.
    NoInstanceView,
    /// No Recovery Services vault in the VM's region and subscription.
    #[serde(rename_all = "camelCase")]
    NoVaultInRegion {
        /// The VM's region.
        location: String,
    },
    /// Backup lacks access-policy permissions on a key vault.
    #[serde(rename_all = "camelCase")]
    MissingPermissions {
        /// The key vault.
        vault: String,
        /// What to add.
        missing: Permissions,
    },
    /// Backup has no role covering what it needs on an RBAC key vault.
    #[serde(rename_all = "camelCase")]
    MissingRole {
        /// The key vault.
        vault: String,
    },
    /// A key vault the disks refer to does not exist (deleted, or in another subscription).
    #[serde(rename_all = "camelCase")]
    KeyVaultNotFound {
        /// The key vault.
        vault: String,
    },
    /// The disks name no key vault Safehold could read.
    NoKeyReference,
    /// Backup's access could not be checked.
    #[serde(rename_all = "camelCase")]
    AccessUnknown {
        /// The key vault.
        vault: String,
        /// Why: the failure that stopped the check.
        error: crate::AppError,
    },
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Which check.
    pub check: Check,
    /// Its outcome.
    pub outcome: Outcome,
    /// Why.
    pub finding: Finding,
}

/// The verdict on one encrypted VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Every check passes (warnings allowed).
    Ready,
    /// Something must be fixed first.
    ActionNeeded,
    /// Backup cannot protect this VM.
    Unsupported,
    /// Some checks could not be made.
    Unknown,
}

/// The verdict and every check behind it, in fixing order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The overall status.
    pub status: Status,
    /// The checks.
    pub reasons: Vec<Reason>,
}

/// Backup's access to one key vault behind the VM, as the Key Vault check found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultAccess {
    /// Backup has what it needs.
    Granted {
        /// The key vault.
        vault: String,
    },
    /// An access-policy vault lacking these permissions.
    Missing {
        /// The key vault.
        vault: String,
        /// What to add.
        missing: Permissions,
    },
    /// An RBAC vault without a sufficient role for Backup.
    MissingRole {
        /// The key vault.
        vault: String,
    },
    /// The vault does not exist.
    NotFound {
        /// The key vault.
        vault: String,
    },
    /// Not checked.
    Unknown {
        /// The key vault.
        vault: String,
        /// Why: the failure that stopped the check.
        error: crate::AppError,
    },
}

/// What the verdict is computed from, besides the VM itself.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// The VM's region.
    pub location: &'a str,
    /// Regions of the Recovery Services vaults in the VM's subscription.
    pub vault_regions: &'a [String],
    /// What this subscription's service answered to protecting a BEK-only managed VM, if it
    /// was tried (from the job history).
    pub bek_only_managed_answer: Option<bool>,
    /// Backup's access to each key vault behind the VM.
    pub access: &'a [VaultAccess],
}

/// The readiness verdict of a VM; `None` when it is not encrypted with ADE. A classic VM
/// whose encryption the classic list cannot show gets the support matrix's answer alone:
/// Backup does not protect encrypted classic VMs, and an administrator migrates it to Resource
/// Manager before anything else.
pub fn assess(
    classification: &Classification,
    facts: &VmFacts,
    context: &Context<'_>,
) -> Option<Verdict> {
    if classification.classic && classification.ade.is_none() {
        return Some(Verdict {
            status: Status::Unsupported,
            reasons: vec![Reason {
                check: Check::SupportMatrix,
                outcome: Outcome::Fail,
                finding: Finding::ClassicUnsupported,
            }],
        });
    }
    let ade = classification.ade.as_ref()?;
    let mut reasons = Vec::new();
    let mut reason = |check, outcome, finding| {
        reasons.push(Reason {
            check,
            outcome,
            finding,
        })
    };

    // Support matrix.
    if classification.classic {
        reason(
            Check::SupportMatrix,
            Outcome::Fail,
            Finding::ClassicUnsupported,
        );
    } else if ade.keys == KeyProtection::BekOnly && classification.disks == Some(DiskKind::Managed)
    {
        let outcome = match context.bek_only_managed_answer {
            Some(false) => Outcome::Fail,
            _ => Outcome::Warn,
        };
        reason(
            Check::SupportMatrix,
            outcome,
            Finding::BekOnlyManaged {
                service_answer: context.bek_only_managed_answer,
            },
        );
    } else if ade.pass == AdePass::DualPass {
        reason(Check::SupportMatrix, Outcome::Warn, Finding::DualPass);
    } else {
        reason(Check::SupportMatrix, Outcome::Pass, Finding::Ok);
    }

    // ADE itself.
    match crate::ade::ade_unhealthy(facts) {
        Some(message) => reason(
            Check::AdeHealthy,
            Outcome::Fail,
            Finding::AdeUnhealthy { message },
        ),
        None => reason(Check::AdeHealthy, Outcome::Pass, Finding::Ok),
    }

    // The VM agent.
    match facts.agent {
        crate::ade::AgentState::Ready => reason(Check::AgentReady, Outcome::Pass, Finding::Ok),
        crate::ade::AgentState::NotReady => {
            reason(Check::AgentReady, Outcome::Fail, Finding::AgentNotReady);
        }
        crate::ade::AgentState::Unknown => {
            reason(Check::AgentReady, Outcome::Unknown, Finding::NoInstanceView);
        }
    }

    // A vault in the region.
    if context
        .vault_regions
        .iter()
        .any(|r| same_region(r, context.location))
    {
        reason(Check::VaultInRegion, Outcome::Pass, Finding::Ok);
    } else {
        reason(
            Check::VaultInRegion,
            Outcome::Fail,
            Finding::NoVaultInRegion {
                location: context.location.to_owned(),
            },
        );
    }

    // Key Vault access: one reason per vault that is not fine, or one pass.
    if context.access.is_empty() {
        reason(
            Check::KeyVaultAccess,
            Outcome::Unknown,
            Finding::NoKeyReference,
        );
    }
    let mut all_granted = !context.access.is_empty();
    for access in context.access {
        match access {
            VaultAccess::Granted { .. } => {}
            VaultAccess::Missing { vault, missing } => {
                all_granted = false;
                reason(
                    Check::KeyVaultAccess,
                    Outcome::Fail,
                    Finding::MissingPermissions {
                        vault: vault.clone(),
                        missing: missing.clone(),
                    },
                );
            }
            VaultAccess::MissingRole { vault } => {
                all_granted = false;
                reason(
                    Check::KeyVaultAccess,
                    Outcome::Fail,
                    Finding::MissingRole {
                        vault: vault.clone(),
                    },
                );
            }
            VaultAccess::NotFound { vault } => {
                all_granted = false;
                reason(
                    Check::KeyVaultAccess,
                    Outcome::Fail,
                    Finding::KeyVaultNotFound {
                        vault: vault.clone(),
                    },
                );
            }
            VaultAccess::Unknown { vault, error } => {
                all_granted = false;
                reason(
                    Check::KeyVaultAccess,
                    Outcome::Unknown,
                    Finding::AccessUnknown {
                        vault: vault.clone(),
                        error: error.clone(),
                    },
                );
            }
        }
    }
    if all_granted {
        reason(Check::KeyVaultAccess, Outcome::Pass, Finding::Ok);
    }

    reasons.sort_by_key(|r| r.check);
    let worst = reasons
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Outcome::Pass);
    let unsupported = reasons
        .iter()
        .any(|r| r.check == Check::SupportMatrix && r.outcome == Outcome::Fail);
    let status = if unsupported {
        Status::Unsupported
    } else {
        match worst {
            Outcome::Pass | Outcome::Warn => Status::Ready,
            Outcome::Fail => Status::ActionNeeded,
            Outcome::Unknown => Status::Unknown,
        }
    };
    Some(Verdict { status, reasons })
}

/// Regions compare without case or spaces (`Japan East` is `japaneast`).
fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ade::{AdeEncryption, AgentState, OsType};

    fn encrypted(keys: KeyProtection, disks: DiskKind, pass: AdePass) -> Classification {
        Classification {
            ade: Some(AdeEncryption {
                pass,
                keys,
                secret: None,
                key: None,
            }),
            os: Some(OsType::Windows),
            disks: Some(disks),
            classic: false,
        }
    }

    fn healthy() -> VmFacts {
        VmFacts {
            agent: AgentState::Ready,
            disk_states: vec!["EncryptionState/encrypted".to_owned()],
            ..VmFacts::default()
        }
    }

    fn granted() -> Vec<VaultAccess> {
        vec![VaultAccess::Granted {
            vault: "kv".to_owned(),
        }]
    }

    #[test]
    fn a_healthy_bek_kek_vm_with_access_is_ready_with_every_check_passed_in_order() {
        let regions = vec!["Japan East".to_owned()];
        let access = granted();
        let verdict = assess(
            &encrypted(
                KeyProtection::BekKek,
                DiskKind::Managed,
                AdePass::SinglePass,
            ),
            &healthy(),
            &Context {
                location: "japaneast",
                vault_regions: &regions,
                bek_only_managed_answer: None,
                access: &access,
            },
        )
        .unwrap();
        assert_eq!(verdict.status, Status::Ready);
        let checks: Vec<Check> = verdict.reasons.iter().map(|r| r.check).collect();
        assert_eq!(
            checks,
            [
                Check::SupportMatrix,
                Check::AdeHealthy,
                Check::AgentReady,
                Check::VaultInRegion,
                Check::KeyVaultAccess
            ]
        );
        assert!(verdict.reasons.iter().all(|r| r.outcome == Outcome::Pass));
    }

    #[test]
    fn missing_key_vault_access_needs_action_and_names_the_permissions() {
        let regions = vec!["japaneast".to_owned()];
        let access = vec![VaultAccess::Missing {
            vault: "kv-finance-ade".to_owned(),
            missing: Permissions::from_lists(["backup"], ["list"]),
        }];
        let verdict = assess(
            &encrypted(
                KeyProtection::BekKek,
                DiskKind::Managed,
                AdePass::SinglePass,
            ),
            &healthy(),
            &Context {
                location: "japaneast",
                vault_regions: &regions,
                bek_only_managed_answer: None,
                access: &access,
            },
        )
        .unwrap();
        assert_eq!(verdict.status, Status::ActionNeeded);
        assert!(matches!(
            &verdict.reasons.last().unwrap().finding,
            Finding::MissingPermissions { vault, .. } if vault == "kv-finance-ade"
        ));
    }

    #[test]
    fn bek_only_on_managed_disks_shows_both_facts_and_what_the_service_answered() {
        let regions = vec!["japaneast".to_owned()];
        let access = granted();
        let classification = encrypted(
            KeyProtection::BekOnly,
            DiskKind::Managed,
            AdePass::SinglePass,
        );
        let context = |answer| Context {
            location: "japaneast",
            vault_regions: &regions,
            bek_only_managed_answer: answer,
            access: &access,
        };
        let untried = assess(&classification, &healthy(), &context(None)).unwrap();
        assert_eq!(untried.status, Status::Ready, "a warning, not a block");
        assert_eq!(
            untried.reasons[0].finding,
            Finding::BekOnlyManaged {
                service_answer: None
            }
        );
        let refused = assess(&classification, &healthy(), &context(Some(false))).unwrap();
        assert_eq!(refused.status, Status::Unsupported);
    }

    #[test]
    fn classic_vms_are_unsupported_and_a_not_ready_agent_or_no_vault_need_action() {
        let mut classic = encrypted(
            KeyProtection::BekKek,
            DiskKind::Unmanaged,
            AdePass::DualPass,
        );
        classic.classic = true;
        let verdict = assess(&classic, &healthy(), &Context::default()).unwrap();
        assert_eq!(verdict.status, Status::Unsupported);
        // A classic VM from the classic list, whose encryption cannot be seen.
        let listed = Classification {
            classic: true,
            ..Classification::default()
        };
        let verdict = assess(&listed, &VmFacts::default(), &Context::default()).unwrap();
        assert_eq!(
            (verdict.status, &verdict.reasons[0].finding),
            (Status::Unsupported, &Finding::ClassicUnsupported)
        );

        let regions = vec!["japanwest".to_owned()];
        let access = granted();
        let facts = VmFacts {
            agent: AgentState::NotReady,
            ..healthy()
        };
        let verdict = assess(
            &encrypted(
                KeyProtection::BekKek,
                DiskKind::Managed,
                AdePass::SinglePass,
            ),
            &facts,
            &Context {
                location: "japaneast",
                vault_regions: &regions,
                bek_only_managed_answer: None,
                access: &access,
            },
        )
        .unwrap();
        assert_eq!(verdict.status, Status::ActionNeeded);
        let failed: Vec<Check> = verdict
            .reasons
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.check)
            .collect();
        assert_eq!(failed, [Check::AgentReady, Check::VaultInRegion]);
    }

    #[test]
    fn a_vm_without_ade_gets_no_verdict_and_unreadable_facts_are_unknown() {
        let plain = Classification {
            ade: None,
            os: None,
            disks: None,
            classic: false,
        };
        assert!(assess(&plain, &healthy(), &Context::default()).is_none());
        let regions = vec!["japaneast".to_owned()];
        let verdict = assess(
            &encrypted(
                KeyProtection::BekKek,
                DiskKind::Managed,
                AdePass::SinglePass,
            ),
            &VmFacts::default(),
            &Context {
                location: "japaneast",
                vault_regions: &regions,
                bek_only_managed_answer: None,
                access: &[],
            },
        )
        .unwrap();
        assert_eq!(verdict.status, Status::Unknown);
    }
}
