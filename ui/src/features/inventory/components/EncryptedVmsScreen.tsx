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
  Input,
  Switch,
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
import {
  CheckmarkCircleFilled,
  DismissCircleFilled,
  QuestionCircleFilled,
  SearchRegular,
  WarningFilled,
} from "@fluentui/react-icons";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { InventoryVm, Outcome } from "../../../bindings";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { useInventory } from "../queries";
import { describeFinding } from "../findings";
import { ScanStatus } from "./ScanStatus";
import { VerdictBadge } from "./VerdictBadge";

const useStyles = makeStyles({
  toolbar: { display: "flex", gap: tokens.spacingHorizontalL, alignItems: "center", marginBlockEnd: tokens.spacingVerticalM },
  name: {
    fontWeight: tokens.fontWeightSemibold,
    whiteSpace: "nowrap",
    justifyContent: "flex-start",
    paddingInline: 0,
    minWidth: 0,
  },
  verdict: { marginBlock: tokens.spacingVerticalM },
  // The table scrolls on its own, so only the rows in view are in the page: ten thousand
  // VMs stay as quick as ten.
  scroller: { maxHeight: "calc(100vh - 330px)", minHeight: "240px", overflowY: "auto" },
  head: { position: "sticky", top: 0, zIndex: 1, backgroundColor: tokens.colorNeutralBackground1 },
  muted: { color: tokens.colorNeutralForeground3 },
  reasons: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS, margin: 0, padding: 0 },
  reason: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "flex-start", listStyle: "none" },
  pass: { color: tokens.colorPaletteGreenForeground1, flexShrink: 0 },
  fail: { color: tokens.colorPaletteRedForeground1, flexShrink: 0 },
  warn: { color: tokens.colorPaletteMarigoldForeground1, flexShrink: 0 },
  unknown: { color: tokens.colorNeutralForeground3, flexShrink: 0 },
});

function OutcomeIcon({ outcome }: { outcome: Outcome }) {
  const styles = useStyles();
  switch (outcome) {
    case "pass":
      return <CheckmarkCircleFilled className={styles.pass} aria-hidden />;
    case "fail":
      return <DismissCircleFilled className={styles.fail} aria-hidden />;
    case "warn":
      return <WarningFilled className={styles.warn} aria-hidden />;
    case "unknown":
      return <QuestionCircleFilled className={styles.unknown} aria-hidden />;
  }
}

/** "BEK+KEK · single-pass" */
function encryptionLabel(t: ReturnType<typeof useTranslation>["t"], vm: InventoryVm): string {
  const ade = vm.classification.ade;
  if (!ade) return vm.classification.classic ? t("inventory.classic") : t("inventory.notEncrypted");
  return `${t(`inventory.keyProtection.${ade.keys}`)} · ${t(`inventory.pass.${ade.pass}`)}`;
}

function VmDetail({ vm, onClose }: { vm: InventoryVm; onClose: () => void }) {
  const { t } = useTranslation();
  const styles = useStyles();
  return (
    <Dialog open onOpenChange={(_, data) => {
      if (!data.open) onClose();
    }}>
      <DialogSurface aria-label={vm.name}>
        <DialogBody>
          <DialogTitle>{vm.name}</DialogTitle>
          <DialogContent>
            <Body1>
              {encryptionLabel(t, vm)} · {vm.classification.disks ? t(`inventory.disks.${vm.classification.disks}`) : "—"} ·{" "}
              {vm.classification.os ? t(`inventory.os.${vm.classification.os}`) : "—"} · {vm.location}
            </Body1>
            {vm.verdict ? (
              <>
                <div className={styles.verdict}>
                  <VerdictBadge status={vm.verdict.status} />
                </div>
                <ol className={styles.reasons} aria-label={t("inventory.checks")}>
                  {vm.verdict.reasons.map((reason, i) => (
                    <li key={i} className={styles.reason}>
                      <OutcomeIcon outcome={reason.outcome} />
                      <span>
                        <Text weight="semibold">{t(`inventory.check.${reason.check}`)}</Text>
                        <br />
                        <Text>{describeFinding(t, reason.finding)}</Text>
                      </span>
                    </li>
                  ))}
                </ol>
              </>
            ) : null}
            {vm.problems.length ? (
              <Caption1 className={styles.muted}>
                {t("inventory.problems")}:{" "}
                {vm.problems
                  .map((problem) => {
                    const { id, ...params } = problem;
                    return t(`inventory.readProblems.${id}`, params);
                  })
                  .join("; ")}
              </Caption1>
            ) : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>{t("inventory.close")}</Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** Every VM encrypted with ADE, with its verdict and what blocks its backup. */
export function EncryptedVmsScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const state = useInventory();
  const [search, setSearch] = useState("");
  const [all, setAll] = useState(false);
  const [open, setOpen] = useState<InventoryVm | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (state.snapshot?.inventory.vms ?? []).filter(
      (vm) =>
        // Classic VMs come along: their encryption cannot be listed, and Backup refuses them.
        (all || vm.classification.ade !== null || vm.classification.classic) &&
        (needle === "" || `${vm.name} ${vm.resourceGroup} ${vm.location}`.toLowerCase().includes(needle)),
    );
  }, [state.snapshot, search, all]);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read afresh on every render; nothing here memoizes what it returns.
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 61,
    overscan: 12,
    // Before the first layout (and in tests) assume a window's worth of rows is visible.
    initialRect: { width: 1200, height: 800 },
  });
  const items = virtual.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);

  return (
    <>
      <ScreenHeader title={t("inventory.vmsTitle")} intro={t("inventory.vmsIntro")} />
      <ScanStatus state={state} />
      {state.error && !state.snapshot ? <ErrorMessage error={state.error} onRetry={() => void state.refresh()} /> : null}
      {!state.snapshot ? (
        state.error ? null : <Loading label={t("inventory.scanning")} />
      ) : (
        <>
          <div className={styles.toolbar}>
            <Input
              contentBefore={<SearchRegular />}
              placeholder={t("inventory.search")}
              aria-label={t("inventory.search")}
              value={search}
              onChange={(_, data) => {
                setSearch(data.value);
              }}
            />
            <Switch
              checked={all}
              label={t("inventory.showAll")}
              onChange={(_, data) => {
                setAll(data.checked);
              }}
            />
          </div>
          <div ref={scroller} className={styles.scroller}>
          <Table aria-label={t("inventory.vmsTable")} size="small" aria-rowcount={rows.length + 1}>
            <TableHeader className={styles.head}>
              <TableRow>
                <TableHeaderCell>{t("inventory.columns.name")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.encryption")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.disks")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.os")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.keyVault")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.protection")}</TableHeaderCell>
                <TableHeaderCell>{t("inventory.columns.readiness")}</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {padTop > 0 ? <tr aria-hidden style={{ height: padTop }} /> : null}
              {items.map((item) => {
                const vm = rows[item.index];
                if (!vm) return null;
                return (
                <TableRow key={vm.id} data-index={item.index} ref={virtual.measureElement} aria-rowindex={item.index + 2}>
                  <TableCell>
                    <Button appearance="transparent" className={styles.name} onClick={() => {
                      setOpen(vm);
                    }}>
                      {vm.name}
                    </Button>
                  </TableCell>
                  <TableCell>{encryptionLabel(t, vm)}</TableCell>
                  <TableCell>{vm.classification.disks ? t(`inventory.disks.${vm.classification.disks}`) : "—"}</TableCell>
                  <TableCell>{vm.classification.os ? t(`inventory.os.${vm.classification.os}`) : "—"}</TableCell>
                  <TableCell>{vm.classification.ade?.secret?.vaultName ?? "—"}</TableCell>
                  <TableCell>
                    {vm.protection
                      ? `${vm.protection.vaultId.split("/").pop() ?? ""} · ${vm.protection.policyName ?? ""}`
                      : t("inventory.notProtected")}
                  </TableCell>
                  <TableCell>{vm.verdict ? <VerdictBadge status={vm.verdict.status} /> : "—"}</TableCell>
                </TableRow>
                );
              })}
              {padBottom > 0 ? <tr aria-hidden style={{ height: padBottom }} /> : null}
            </TableBody>
          </Table>
          </div>
          {rows.length === 0 ? <Text className={styles.muted}>{t("inventory.noVms")}</Text> : null}
        </>
      )}
      {open ? (
        <VmDetail
          vm={open}
          onClose={() => {
            setOpen(null);
          }}
        />
      ) : null}
    </>
  );
}
