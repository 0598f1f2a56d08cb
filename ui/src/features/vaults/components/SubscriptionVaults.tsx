import { Caption1, Subtitle1, makeStyles, tokens } from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import type { Subscription } from "../../../bindings";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { vaultsQuery } from "../queries";
import { VaultsTable } from "./VaultsTable";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  heading: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS },
  title: { margin: 0 },
  id: { color: tokens.colorNeutralForeground3, fontFamily: tokens.fontFamilyMonospace },
});

/** One subscription and its vaults. Each section loads, fails and retries on its own. */
export function SubscriptionVaults({ subscription }: { subscription: Subscription }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const headingId = useId();
  const vaults = useQuery(vaultsQuery(subscription.subscriptionId));

  return (
    <section className={styles.root} aria-labelledby={headingId}>
      <div className={styles.heading}>
        <Subtitle1 as="h2" id={headingId} className={styles.title}>
          {subscription.displayName}
        </Subtitle1>
        <Caption1 className={styles.id}>{t("vaults.subscriptionId", { id: subscription.subscriptionId })}</Caption1>
      </div>
      {vaults.isPending ? (
        <Loading label={t("vaults.loadingVaults")} size="tiny" />
      ) : vaults.isError ? (
        <ErrorMessage
          error={vaults.error}
          onRetry={() => {
            void vaults.refetch();
          }}
        />
      ) : vaults.data.length === 0 ? (
        <p>{t("vaults.empty")}</p>
      ) : (
        <VaultsTable vaults={vaults.data} label={t("vaults.tableLabel", { name: subscription.displayName })} />
      )}
    </section>
  );
}
