import { Caption1, Card, CardHeader, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import type { FailedJob } from "../../../bindings";
import { useInventory } from "../../inventory";

/** The newest failed jobs shown; the rest are counted. */
const SHOWN = 8;

const useStyles = makeStyles({
  card: { gap: tokens.spacingVerticalS, gridColumn: "1 / -1" },
  table: { width: "100%", borderCollapse: "collapse" },
  head: { textAlign: "start", color: tokens.colorNeutralForeground3, fontWeight: tokens.fontWeightRegular, paddingBottom: tokens.spacingVerticalXS },
  cell: {
    verticalAlign: "top",
    paddingTop: tokens.spacingVerticalXS,
    paddingBottom: tokens.spacingVerticalXS,
    paddingRight: tokens.spacingHorizontalM,
    borderTop: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  nowrap: { whiteSpace: "nowrap" },
  code: { fontFamily: tokens.fontFamilyMonospace, color: tokens.colorPaletteRedForeground1 },
  note: { color: tokens.colorNeutralForeground3, display: "block" },
});

function vaultName(vaultId: string) {
  return vaultId.split("/").filter(Boolean).pop() ?? vaultId;
}

/** Jobs that failed recently across every vault, newest first, with the service's reason. */
export function FailedJobsCard() {
  const { t, i18n } = useTranslation();
  const styles = useStyles();
  const titleId = useId();
  const { snapshot } = useInventory();
  if (!snapshot) return null;
  const jobs: FailedJob[] = snapshot.inventory.failedJobs;
  const when = new Intl.DateTimeFormat(i18n.language, { dateStyle: "medium", timeStyle: "short" });
  return (
    <Card className={styles.card} role="group" aria-labelledby={titleId}>
      <CardHeader header={<Text weight="semibold" id={titleId}>{t("overview.failedJobs", { count: jobs.length })}</Text>} />
      {jobs.length === 0 ? (
        <Caption1 className={styles.note}>{t("overview.noFailedJobs")}</Caption1>
      ) : (
        <table className={styles.table}>
          <thead>
            <tr>
              <th className={styles.head}>{t("overview.jobWhen")}</th>
              <th className={styles.head}>{t("overview.jobVm")}</th>
              <th className={styles.head}>{t("overview.jobOperation")}</th>
              <th className={styles.head}>{t("overview.jobReason")}</th>
            </tr>
          </thead>
          <tbody>
            {jobs.slice(0, SHOWN).map((job) => (
              <tr key={job.id}>
                <td className={`${styles.cell} ${styles.nowrap}`}>{job.startTime ? when.format(new Date(job.startTime)) : "—"}</td>
                <td className={`${styles.cell} ${styles.nowrap}`}>
                  {job.vmName}
                  <Caption1 className={styles.note}>{vaultName(job.vaultId)}</Caption1>
                </td>
                <td className={`${styles.cell} ${styles.nowrap}`}>{t(`overview.operations.${job.operation}`, { defaultValue: job.operation })}</td>
                <td className={styles.cell}>
                  {job.errorCode ? <span className={styles.code}>{job.errorCode}</span> : null}
                  {job.errorMessage ? <Caption1 className={styles.note}>{job.errorMessage}</Caption1> : null}
                  {job.recommendation ? <Caption1 className={styles.note}>{t("overview.jobFix", { fix: job.recommendation })}</Caption1> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {jobs.length > SHOWN ? <Caption1 className={styles.note}>{t("overview.moreFailedJobs", { count: jobs.length - SHOWN })}</Caption1> : null}
    </Card>
  );
}
