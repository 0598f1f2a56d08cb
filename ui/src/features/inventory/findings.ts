import { describeError } from "../../shared/describeError";
import type { TFunction } from "i18next";
import type { Finding, Permissions } from "../../bindings";

/** "keys: backup; secrets: list, backup" */
export function permissionList(t: TFunction, p: Permissions): string {
  const parts = [];
  if (p.keys.length) parts.push(`${t("inventory.keys")}: ${p.keys.join(", ")}`);
  if (p.secrets.length) parts.push(`${t("inventory.secrets")}: ${p.secrets.join(", ")}`);
  return parts.join("; ");
}

/** A finding in the user's language. */
export function describeFinding(t: TFunction, finding: Finding): string {
  switch (finding.code) {
    case "bekOnlyManaged":
      return t("inventory.findings.bekOnlyManaged", {
        answer:
          finding.serviceAnswer === null
            ? t("inventory.findings.notTried")
            : finding.serviceAnswer
              ? t("inventory.findings.accepted")
              : t("inventory.findings.refused"),
      });
    case "adeUnhealthy":
      return t("inventory.findings.adeUnhealthy", { message: finding.message });
    case "noVaultInRegion":
      return t("inventory.findings.noVaultInRegion", { location: finding.location });
    case "missingPermissions":
      return t("inventory.findings.missingPermissions", {
        vault: finding.vault,
        missing: permissionList(t, finding.missing),
      });
    case "missingRole":
      return t("inventory.findings.missingRole", { vault: finding.vault });
    case "keyVaultNotFound":
      return t("inventory.findings.keyVaultNotFound", { vault: finding.vault });
    case "accessUnknown":
      return t("inventory.findings.accessUnknown", { vault: finding.vault, reason: describeError(t, finding.error).problem });
    default:
      return t(`inventory.findings.${finding.code}`);
  }
}
