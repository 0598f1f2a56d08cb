import { Caption1, Card, CardHeader, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import type { InventoryVm, Status } from "../../../bindings";
import { useInventory } from "../../inventory";

const useStyles = makeStyles({
  card: { gap: tokens.spacingVerticalS },
  bars: { display: "grid", gridTemplateColumns: "max-content 1fr max-content", gap: tokens.spacingHorizontalS, alignItems: "center", margin: 0 },
  track: { height: "10px", backgroundColor: tokens.colorNeutralBackground3, borderRadius: tokens.borderRadiusMedium },
  bar: { height: "100%", borderRadius: tokens.borderRadiusMedium },
  ready: { backgroundColor: tokens.colorPaletteGreenBackground3 },
  actionNeeded: { backgroundColor: tokens.colorPaletteRedBackground3 },
  unsupported: { backgroundColor: tokens.colorPaletteMarigoldBackground3 },
  unknown: { backgroundColor: tokens.colorNeutralStroke1 },
  classes: { display: "grid", gridTemplateColumns: "1fr max-content", gap: tokens.spacingHorizontalS, margin: 0 },
  note: { color: tokens.colorNeutralForeground3 },
});

const STATUSES: Status[] = ["ready", "actionNeeded", "unsupported", "unknown"];

function count<T>(items: T[], pick: (item: T) => boolean) {
  return items.filter(pick).length;
}

/** The encrypted VMs by readiness (a bar chart) and by class, from the inventory. */
export function ReadinessCards() {
  const { t } = useTranslation();
  const styles = useStyles();
  const readinessId = useId();
  const classesId = useId();
  const { snapshot } = useInventory();
  if (!snapshot) return null;
  // Classic VMs count here too: they have a verdict (Backup refuses them) though their
  // encryption cannot be listed.
  const encrypted: InventoryVm[] = snapshot.inventory.vms.filter((vm) => vm.classification.ade !== null || vm.classification.classic);
  const max = Math.max(1, encrypted.length);
  const classes: [string, number][] = [
    [t("inventory.keyProtection.bekKek"), count(encrypted, (v) => v.classification.ade?.keys === "bekKek")],
    [t("inventory.keyProtection.bekOnly"), count(encrypted, (v) => v.classification.ade?.keys === "bekOnly")],
    [t("inventory.pass.dualPass"), count(encrypted, (v) => v.classification.ade?.pass === "dualPass")],
    [t("inventory.disks.unmanaged"), count(encrypted, (v) => v.classification.disks === "unmanaged")],
    [t("inventory.os.linux"), count(encrypted, (v) => v.classification.os === "linux")],
    [t("inventory.classic"), count(encrypted, (v) => v.classification.classic)],
    [t("inventory.notProtected"), count(encrypted, (v) => v.protection === null)],
  ];
  return (
    <>
      <Card className={styles.card} role="group" aria-labelledby={readinessId}>
        <CardHeader header={<Text weight="semibold" id={readinessId}>{t("overview.readiness", { count: encrypted.length })}</Text>} />
        <dl className={styles.bars}>
          {STATUSES.map((status) => {
            const n = count(encrypted, (v) => v.verdict?.status === status);
            return [
              <dt key={`${status}-label`}>{t(`inventory.status.${status}`)}</dt>,
              <dd key={`${status}-bar`} className={styles.track} style={{ margin: 0 }} aria-hidden>
                <div className={`${styles.bar} ${styles[status]}`} style={{ width: `${(100 * n) / max}%` }} />
              </dd>,
              <dd key={`${status}-count`} style={{ margin: 0 }}>
                {n}
              </dd>,
            ];
          })}
        </dl>
      </Card>
      <Card className={styles.card} role="group" aria-labelledby={classesId}>
        <CardHeader header={<Text weight="semibold" id={classesId}>{t("overview.classes")}</Text>} />
        <dl className={styles.classes}>
          {classes.map(([label, n]) => [
            <dt key={`${label}-label`}>{label}</dt>,
            <dd key={`${label}-count`} style={{ margin: 0 }}>
              {n}
            </dd>,
          ])}
        </dl>
        <Caption1 className={styles.note}>{t("overview.classesNote")}</Caption1>
      </Card>
    </>
  );
}
