import { Button, Caption1, Spinner, makeStyles, tokens } from "@fluentui/react-components";
import { ArrowSyncRegular, DismissRegular } from "@fluentui/react-icons";
import { useTranslation } from "react-i18next";
import type { useInventory } from "../queries";

const useStyles = makeStyles({
  root: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalM, marginBlockEnd: tokens.spacingVerticalM },
  age: { color: tokens.colorNeutralForeground3 },
});

/** When the inventory was taken, whether a scan is running and how far it is, and a refresh. */
export function ScanStatus({ state }: { state: ReturnType<typeof useInventory> }) {
  const { t, i18n } = useTranslation();
  const styles = useStyles();
  const scannedAt = state.snapshot ? new Date(state.snapshot.scannedAt) : null;
  return (
    <div className={styles.root} aria-live="polite">
      {state.scanning ? (
        <>
          <Spinner
            size="tiny"
            label={
              state.progress
                ? t("inventory.scanningProgress", { done: state.progress.done, total: state.progress.total })
                : t("inventory.scanning")
            }
          />
          <Button size="small" icon={<DismissRegular />} onClick={() => void state.cancel().catch(() => undefined)}>
            {t("inventory.stopScan")}
          </Button>
        </>
      ) : (
        <Button size="small" icon={<ArrowSyncRegular />} onClick={() => void state.refresh()}>
          {t("inventory.refresh")}
        </Button>
      )}
      {state.cancelled ? <Caption1 className={styles.age}>{t("inventory.scanStopped")}</Caption1> : null}
      {scannedAt ? (
        <Caption1 className={styles.age}>
          {t(state.fromCache ? "inventory.keptFrom" : "inventory.scannedAt", {
            time: scannedAt.toLocaleString(i18n.language),
          })}
        </Caption1>
      ) : null}
    </div>
  );
}
