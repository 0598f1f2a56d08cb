import { Caption1, Card, CardHeader, LargeTitle, Spinner, Text, makeStyles, tokens } from "@fluentui/react-components";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useId, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { sessionQuery } from "../../session";
import { subscriptionsQuery, vaultsQuery } from "../../vaults";
import { FailedJobsCard } from "./FailedJobsCard";
import { ReadinessCards } from "./ReadinessCards";

const useStyles = makeStyles({
  grid: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fill, minmax(16rem, 1fr))",
    gap: tokens.spacingHorizontalL,
  },
  card: { gap: tokens.spacingVerticalS },
  note: { color: tokens.colorNeutralForeground3 },
  value: { margin: 0 },
});

/** Counts vaults across all subscriptions, reusing the Vaults screen's per-subscription queries. */
function useVaultCount(subscriptionIds: string[]) {
  return useQueries({
    queries: subscriptionIds.map((id) => vaultsQuery(id)),
    combine: (results) => ({
      pending: results.some((r) => r.isPending),
      failed: results.filter((r) => r.isError).length,
      total: results.reduce((sum, r) => sum + (r.data?.length ?? 0), 0),
    }),
  });
}

function StatCard(props: { title: string; value: ReactNode; note?: string }) {
  const styles = useStyles();
  const titleId = useId();
  return (
    <Card className={styles.card} role="group" aria-labelledby={titleId}>
      <CardHeader header={<Text weight="semibold" id={titleId}>{props.title}</Text>} />
      {props.value}
      {props.note ? <Caption1 className={styles.note}>{props.note}</Caption1> : null}
    </Card>
  );
}

export function OverviewScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const session = useQuery(sessionQuery());
  const subscriptions = useQuery(subscriptionsQuery());
  const ids = subscriptions.data?.map((s) => s.subscriptionId) ?? [];
  const vaults = useVaultCount(ids);

  let body: ReactNode;
  if (subscriptions.isPending) {
    body = <Loading label={t("vaults.loadingSubscriptions")} />;
  } else if (subscriptions.isError) {
    body = (
      <ErrorMessage
        error={subscriptions.error}
        onRetry={() => {
          void subscriptions.refetch();
        }}
      />
    );
  } else {
    const vaultValue = vaults.pending ? (
      <Spinner size="tiny" label={t("overview.counting")} labelPosition="after" />
    ) : (
      <LargeTitle as="p" className={styles.value}>{vaults.failed > 0 && vaults.total === 0 ? t("overview.unknown") : vaults.total}</LargeTitle>
    );
    body = (
      <div className={styles.grid}>
        <StatCard title={t("overview.subscriptions")} value={<LargeTitle as="p" className={styles.value}>{subscriptions.data.length}</LargeTitle>} />
        <StatCard
          title={t("overview.vaults")}
          value={vaultValue}
          note={vaults.failed > 0 ? t("overview.partial", { count: vaults.failed }) : undefined}
        />
        <ReadinessCards />
        {session.data ? (
          <StatCard
            title={t("overview.cloud")}
            value={<Text size={500}>{session.data.cloud.name}</Text>}
            note={session.data.cloud.armEndpoint}
          />
        ) : null}
        <FailedJobsCard />
      </div>
    );
  }

  return (
    <>
      <ScreenHeader title={t("overview.title")} intro={t("overview.intro")} />
      {body}
    </>
  );
}
