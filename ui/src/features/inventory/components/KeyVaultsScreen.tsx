import {
  Badge,
  Button,
  Caption1,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { BackupAccess } from "../../../bindings";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { permissionList } from "../findings";
import { describeError } from "../../../shared/describeError";
import { useInventory } from "../queries";
import { GrantDialog } from "../../grant";
import { ScanStatus } from "./ScanStatus";

const useStyles = makeStyles({
  muted: { color: tokens.colorNeutralForeground3 },
  access: { display: "flex", flexDirection: "column", alignItems: "flex-start", gap: tokens.spacingVerticalXXS },
});

/** A short badge, and under it, when there is more to say, the detail in plain text. */
function AccessBadge({ access }: { access: BackupAccess }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const [color, label, detail]: ["success" | "danger" | "informative", string, string | null] = (() => {
    switch (access.state) {
      case "granted":
        return ["success", t("inventory.access.granted"), null];
      case "grantedByRole":
        return ["success", t("inventory.access.granted"), t("inventory.access.byRole", { role: access.role })];
      case "missing":
        return ["danger", t("inventory.access.missing"), permissionList(t, access.missing)];
      case "roleMissing":
        return [
          "danger",
          t("inventory.access.roleMissing"),
          access.roles.length > 0
            ? t("inventory.access.rolesFallShort", {
                roles: access.roles.join(", "),
                missing: access.missing.map((a) => a.replace(/^Microsoft\.KeyVault\/vaults\//i, "")).join(", "),
              })
            : t("inventory.access.noRole"),
        ];
      case "unknown":
        return ["informative", t("inventory.access.unknown"), describeError(t, access.error).problem];
    }
  })();
  return (
    <div className={styles.access}>
      <Badge appearance="tint" color={color}>
        {label}
      </Badge>
      {detail ? <Caption1 className={styles.muted}>{detail}</Caption1> : null}
    </div>
  );
}

/** The key vaults behind encrypted VMs, and whether Backup may read them. */
export function KeyVaultsScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const state = useInventory();
  const vaults = state.snapshot?.inventory.keyVaults ?? [];
  const [granting, setGranting] = useState<{ id: string; name: string } | null>(null);
  return (
    <>
      <ScreenHeader title={t("inventory.keyVaultsTitle")} intro={t("inventory.keyVaultsIntro")} />
      <ScanStatus state={state} />
      {state.error && !state.snapshot ? <ErrorMessage error={state.error} onRetry={() => void state.refresh()} /> : null}
      {!state.snapshot ? (
        state.error ? null : <Loading label={t("inventory.scanning")} />
      ) : (
        <Table aria-label={t("inventory.keyVaultsTable")} size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>{t("inventory.columns.name")}</TableHeaderCell>
              <TableHeaderCell>{t("inventory.columns.model")}</TableHeaderCell>
              <TableHeaderCell>{t("inventory.columns.location")}</TableHeaderCell>
              <TableHeaderCell>{t("inventory.columns.backupAccess")}</TableHeaderCell>
              <TableHeaderCell>{t("inventory.columns.vms")}</TableHeaderCell>
              <TableHeaderCell>{t("inventory.columns.action")}</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {vaults.map((kv) => (
              <TableRow key={kv.vault.id}>
                <TableCell>{kv.vault.name}</TableCell>
                <TableCell>{kv.vault.rbacAuthorization ? t("inventory.model.rbac") : t("inventory.model.policies")}</TableCell>
                <TableCell>{kv.vault.location}</TableCell>
                <TableCell>
                  <AccessBadge access={kv.backupAccess} />
                </TableCell>
                <TableCell>
                  <Text className={styles.muted}>{kv.vms.join(", ")}</Text>
                </TableCell>
                <TableCell>
                  {kv.backupAccess.state === "missing" || kv.backupAccess.state === "roleMissing" ? (
                    <Button
                      size="small"
                      appearance="primary"
                      aria-label={t("inventory.grant.button", { vault: kv.vault.name })}
                      onClick={() => {
                        setGranting({ id: kv.vault.id, name: kv.vault.name });
                      }}
                    >
                      {t("inventory.grant.short")}
                    </Button>
                  ) : null}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {granting ? (
        <GrantDialog
          vaultId={granting.id}
          vaultName={granting.name}
          onClose={() => {
            setGranting(null);
          }}
        />
      ) : null}
    </>
  );
}
