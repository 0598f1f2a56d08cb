import {
  Badge,
  Body1,
  Button,
  Caption1,
  Card,
  CardHeader,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Subtitle2,
  Switch,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ArrowSyncRegular, SignOutRegular } from "@fluentui/react-icons";
import { useMutation, useQueries } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { commands, type AccountView } from "../../../bindings";
import { unwrap } from "../../../lib/ipc";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { accountSubscriptionsQuery, useRefreshAfterAccountChange } from "../queries";

const useStyles = makeStyles({
  card: { gap: tokens.spacingVerticalM },
  badges: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS },
  heading: { margin: 0, fontWeight: tokens.fontWeightSemibold },
  tenant: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS },
  subscriptions: { display: "flex", flexDirection: "column", paddingInlineStart: tokens.spacingHorizontalL },
  actions: { display: "flex", gap: tokens.spacingHorizontalS },
  mono: { fontFamily: tokens.fontFamilyMonospace, color: tokens.colorNeutralForeground3 },
});

/** One account: who, where, its tenants (home and guest), its subscription filter, sign-out. */
export function AccountCard({ account }: { account: AccountView }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const refresh = useRefreshAfterAccountChange();
  const tenantsHeading = useId();
  const filterHeading = useId();
  const [confirming, setConfirming] = useState(false);

  const selectedTenants = account.tenants.filter((tenant) => tenant.selected).map((tenant) => tenant.tenant.tenantId);
  const listed = useQueries({
    queries: selectedTenants.map((tenantId) => accountSubscriptionsQuery(account.id, tenantId)),
  });
  const allSubscriptions = listed.flatMap((query) => query.data ?? []);
  const listError = listed.find((query) => query.error)?.error ?? null;

  const scope = useMutation({
    mutationFn: (next: { tenants: string[]; filter: string[] | null }) =>
      unwrap(commands.setAccountScope(account.id, next.tenants, next.filter)),
    onSuccess: () => refresh(),
  });
  const tenants = useMutation({
    mutationFn: () => unwrap(commands.refreshTenants(account.id)),
    onSuccess: () => refresh(),
  });
  const signOut = useMutation({
    mutationFn: () => unwrap(commands.signOut(account.id)),
    onSuccess: () => {
      setConfirming(false);
      return refresh();
    },
  });

  const toggleTenant = (tenantId: string, on: boolean) => {
    const next = on ? [...selectedTenants, tenantId] : selectedTenants.filter((id) => id !== tenantId);
    scope.mutate({ tenants: next, filter: account.subscriptionFilter });
  };
  const toggleSubscription = (subscriptionId: string, on: boolean) => {
    const current = account.subscriptionFilter ?? allSubscriptions.map((s) => s.subscriptionId);
    const next = on ? [...current, subscriptionId] : current.filter((id) => id !== subscriptionId);
    scope.mutate({ tenants: selectedTenants, filter: next });
  };

  return (
    <Card className={styles.card} role="region" aria-label={account.displayName}>
      <CardHeader
        header={<Subtitle2>{account.displayName}</Subtitle2>}
        description={<Caption1 className={styles.mono}>{account.username}</Caption1>}
      />
      <div className={styles.badges}>
        <Badge appearance="tint" color="brand">
          {t(`accounts.methods.${account.method}`)}
        </Badge>
        <Badge appearance="tint" color={account.cloud.simulated ? "informative" : "success"}>
          {account.cloud.name}
        </Badge>
        {account.method === "sandbox" || account.method === "azureCli" ? null : (
          <Badge appearance="tint" color={account.remembered ? "success" : "warning"}>
            {account.remembered ? t("accounts.remembered") : t("accounts.thisSessionOnly")}
          </Badge>
        )}
        {account.status === "signInNeeded" ? (
          <Badge appearance="filled" color="danger">
            {t("accounts.signInNeeded")}
          </Badge>
        ) : null}
      </div>

      <div className={styles.section} role="group" aria-labelledby={tenantsHeading}>
        <Text id={tenantsHeading} className={styles.heading}>
          {t("accounts.tenants")}
        </Text>
        {account.tenants.map((tenant) => (
          <div key={tenant.tenant.tenantId} className={styles.tenant}>
            <Checkbox
              checked={tenant.selected}
              disabled={scope.isPending}
              label={tenant.tenant.displayName}
              onChange={(_, data) => { toggleTenant(tenant.tenant.tenantId, data.checked === true); }}
            />
            <Badge size="small" appearance="ghost" color={tenant.home ? "brand" : "important"}>
              {tenant.home ? t("accounts.home") : t("accounts.guest")}
            </Badge>
            <Caption1 className={styles.mono}>{tenant.tenant.defaultDomain || tenant.tenant.tenantId}</Caption1>
          </div>
        ))}
      </div>

      <div className={styles.section} role="group" aria-labelledby={filterHeading}>
        <Text id={filterHeading} className={styles.heading}>
          {t("accounts.subscriptions")}
        </Text>
        <Switch
          checked={account.subscriptionFilter === null}
          disabled={scope.isPending}
          label={t("accounts.allSubscriptions")}
          onChange={(_, data) => { scope.mutate({
              tenants: selectedTenants,
              filter: data.checked ? null : allSubscriptions.map((s) => s.subscriptionId),
            }); }
          }
        />
        {account.subscriptionFilter === null ? null : listed.some((query) => query.isPending) ? (
          <Loading label={t("accounts.loadingSubscriptions")} />
        ) : (
          <div className={styles.subscriptions}>
            {allSubscriptions.map((subscription) => (
              <Checkbox
                key={subscription.subscriptionId}
                label={subscription.displayName}
                disabled={scope.isPending}
                checked={account.subscriptionFilter?.includes(subscription.subscriptionId) ?? true}
                onChange={(_, data) => { toggleSubscription(subscription.subscriptionId, data.checked === true); }}
              />
            ))}
          </div>
        )}
      </div>

      {scope.isError ? <ErrorMessage error={scope.error} /> : null}
      {tenants.isError ? <ErrorMessage error={tenants.error} /> : null}
      {listError ? <ErrorMessage error={listError} /> : null}

      <div className={styles.actions}>
        <Button icon={<ArrowSyncRegular />} disabled={tenants.isPending} onClick={() => { tenants.mutate(); }}>
          {t("accounts.refreshTenants")}
        </Button>
        <Button icon={<SignOutRegular />} onClick={() => { setConfirming(true); }}>
          {t("accounts.signOut")}
        </Button>
      </div>

      <Dialog open={confirming} onOpenChange={(_, data) => { setConfirming(data.open); }}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>{t("accounts.signOutTitle", { name: account.displayName })}</DialogTitle>
            <DialogContent>
              <Body1>{t("accounts.signOutBody")}</Body1>
              {signOut.isError ? <ErrorMessage error={signOut.error} /> : null}
            </DialogContent>
            <DialogActions>
              <Button onClick={() => { setConfirming(false); }}>{t("accounts.cancel")}</Button>
              <Button appearance="primary" disabled={signOut.isPending} onClick={() => { signOut.mutate(); }}>
                {t("accounts.signOut")}
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </Card>
  );
}
