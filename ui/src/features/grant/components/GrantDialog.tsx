import {
  Body1,
  Button,
  Caption1,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { commands, type DirectoryName, type Permissions } from "../../../bindings";
import { unwrap } from "../../../lib/ipc";
import { activityKey } from "../../activity";
import { permissionList, scanInventoryQuery } from "../../inventory";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";

const useStyles = makeStyles({
  diff: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    backgroundColor: tokens.colorNeutralBackground3,
    padding: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    margin: 0,
    whiteSpace: "pre-wrap",
  },
  added: { color: tokens.colorPaletteGreenForeground1, fontWeight: tokens.fontWeightSemibold },
  others: { margin: 0, paddingInlineStart: tokens.spacingHorizontalL, maxHeight: "10em", overflowY: "auto" },
  muted: { color: tokens.colorNeutralForeground3 },
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
});

function line(kind: string, have: string[], added: string[]) {
  return { kind, have, added };
}

function Diff({ before, add }: { before: Permissions; add: Permissions }) {
  const styles = useStyles();
  const { t } = useTranslation();
  const rows = [
    line(t("inventory.keys"), before.keys, add.keys),
    line(t("inventory.secrets"), before.secrets, add.secrets),
  ].filter((r) => r.have.length || r.added.length);
  return (
    <pre className={styles.diff} aria-label={t("inventory.grant.diff")}>
      {rows.map((r) => (
        <div key={r.kind}>
          {r.kind}: {r.have.join(", ")}
          {r.have.length && r.added.length ? ", " : ""}
          <span className={styles.added}>{r.added.map((p) => `+${p}`).join(", ")}</span>
        </div>
      ))}
    </pre>
  );
}

/** Backup's roles at an RBAC vault now, and the one the grant adds, marked +. */
function RoleDiff({ before, add }: { before: string[]; add: string }) {
  const styles = useStyles();
  const { t } = useTranslation();
  return (
    <pre className={styles.diff} aria-label={t("inventory.grant.roleDiff")}>
      {t("inventory.grant.roles")}: {before.join(", ")}
      {before.length ? ", " : ""}
      <span className={styles.added}>+{add}</span>
    </pre>
  );
}

/** A principal by its directory name and kind, or said to be unknown. */
function Principal({ id, names }: { id: string; names: DirectoryName[] }) {
  const styles = useStyles();
  const { t } = useTranslation();
  const name = names.find((n) => n.id.toLowerCase() === id.toLowerCase());
  return name ? (
    <Text>
      {name.displayName} <Caption1 className={styles.muted}>({t(`inventory.grant.kind.${name.kind}`)})</Caption1>
    </Text>
  ) : (
    <Text>{t("inventory.grant.unnamed")}</Text>
  );
}

/** Shows exactly what a grant will change on a key vault, then makes it. */
export function GrantDialog({ vaultId, vaultName, onClose }: { vaultId: string; vaultName: string; onClose: () => void }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const queryClient = useQueryClient();
  const plan = useQuery({
    queryKey: ["grantPlan", vaultId],
    queryFn: () => unwrap(commands.planGrant(vaultId)),
    staleTime: 0,
  });
  const grant = useMutation({
    mutationFn: () => unwrap(commands.grantBackupAccess(vaultId)),
    // Whatever the outcome, the activity log has a new entry.
    onSettled: () => queryClient.invalidateQueries({ queryKey: activityKey }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: scanInventoryQuery().queryKey });
      onClose();
    },
  });
  const change = plan.data?.change;
  return (
    <Dialog
      open
      onOpenChange={(_, data) => {
        if (!data.open) onClose();
      }}
    >
      <DialogSurface aria-label={t("inventory.grant.title", { vault: vaultName })}>
        <DialogBody>
          <DialogTitle>{t("inventory.grant.title", { vault: vaultName })}</DialogTitle>
          <DialogContent className={styles.section}>
            {plan.isPending ? <Loading label={t("inventory.grant.reading")} /> : null}
            {plan.isError ? <ErrorMessage error={plan.error} /> : null}
            {change?.kind === "accessPolicy" ? (
              <>
                <Body1>{t("inventory.grant.policyIntro")}</Body1>
                <Diff before={change.before} add={change.add} />
              </>
            ) : null}
            {change?.kind === "roleAssignment" ? (
              <>
                <Body1>{t("inventory.grant.roleIntro", { role: change.roleName })}</Body1>
                <RoleDiff before={change.before} add={change.roleName} />
              </>
            ) : null}
            {change?.kind === "nothing" ? <Body1>{t("inventory.grant.nothing")}</Body1> : null}
            {plan.data && plan.data.others.length > 0 ? (
              <>
                <Text weight="semibold">{t("inventory.grant.others", { count: plan.data.others.length })}</Text>
                <ul className={styles.others} aria-label={t("inventory.grant.othersLabel")}>
                  {plan.data.others.map((o) => (
                    <li key={`${o.objectId}/${o.applicationId ?? ""}`}>
                      <Principal id={o.objectId} names={plan.data.names} />
                      <Caption1 className={styles.muted} style={{ display: "block" }}>
                        {o.objectId} — {permissionList(t, o.permissions)}
                      </Caption1>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {plan.data && plan.data.holders.length > 0 ? (
              <>
                <Text weight="semibold">{t("inventory.grant.holders", { count: plan.data.holders.length })}</Text>
                <ul className={styles.others} aria-label={t("inventory.grant.othersLabel")}>
                  {plan.data.holders.map((h) => (
                    <li key={`${h.principalId}/${h.role}/${h.scope}`}>
                      <Principal id={h.principalId} names={plan.data.names} />
                      <Caption1 className={styles.muted} style={{ display: "block" }}>
                        {h.principalId} — {h.role},{" "}
                        {h.inherited ? t("inventory.grant.inheritedFrom", { scope: h.scope }) : t("inventory.grant.atVault")}
                      </Caption1>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {grant.isError ? <ErrorMessage error={grant.error} /> : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{t("accounts.cancel")}</Button>
            <Button
              appearance="primary"
              disabled={!plan.data || change?.kind === "nothing" || grant.isPending}
              onClick={() => {
                grant.mutate();
              }}
            >
              {grant.isPending ? t("inventory.grant.granting") : t("inventory.grant.confirm")}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
