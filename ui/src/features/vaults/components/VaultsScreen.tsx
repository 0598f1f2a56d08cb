import { makeStyles, tokens } from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { subscriptionsQuery } from "../queries";
import { SubscriptionVaults } from "./SubscriptionVaults";

const useStyles = makeStyles({
  list: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXL },
});

export function VaultsScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const subscriptions = useQuery(subscriptionsQuery());

  return (
    <>
      <ScreenHeader title={t("vaults.title")} intro={t("vaults.intro")} />
      {subscriptions.isPending ? (
        <Loading label={t("vaults.loadingSubscriptions")} />
      ) : subscriptions.isError ? (
        <ErrorMessage
          error={subscriptions.error}
          onRetry={() => {
            void subscriptions.refetch();
          }}
        />
      ) : subscriptions.data.length === 0 ? (
        <p>{t("vaults.noSubscriptions")}</p>
      ) : (
        <div className={styles.list}>
          {subscriptions.data.map((s) => (
            <SubscriptionVaults key={s.subscriptionId} subscription={s} />
          ))}
        </div>
      )}
    </>
  );
}
