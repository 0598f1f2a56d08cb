import {
  Button,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { PersonAddRegular } from "@fluentui/react-icons";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { AppError } from "../../../bindings";
import { describeError } from "../../../shared/describeError";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { accountsQuery } from "../queries";
import { AccountCard } from "./AccountCard";
import { AddAccountDialog } from "./AddAccountDialog";

const useStyles = makeStyles({
  toolbar: { display: "flex", gap: tokens.spacingHorizontalM, marginBlockEnd: tokens.spacingVerticalL },
  list: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL, maxWidth: "100ch" },
  banner: { marginBlockEnd: tokens.spacingVerticalL, maxWidth: "100ch" },
});

/** Every signed-in account, its tenants and subscription filter; adding and signing out. */
export function AccountsScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const accounts = useQuery(accountsQuery());
  const [adding, setAdding] = useState(false);

  return (
    <>
      <ScreenHeader title={t("accounts.title")} intro={t("accounts.intro")} />
      <div className={styles.toolbar}>
        <Button appearance="primary" icon={<PersonAddRegular />} onClick={() => { setAdding(true); }}>
          {t("accounts.add")}
        </Button>
      </div>
      {accounts.isPending ? (
        <Loading label={t("accounts.loading")} />
      ) : accounts.isError ? (
        <ErrorMessage error={accounts.error} onRetry={() => void accounts.refetch()} />
      ) : (
        <>
          {accounts.data.keyring.available ? null : (
            <MessageBar intent="warning" layout="multiline" className={styles.banner}>
              <MessageBarBody>
                <MessageBarTitle>{t("accounts.noKeyringTitle")}</MessageBarTitle>
                {accounts.data.keyring.error ? <KeyringProblem error={accounts.data.keyring.error} /> : null}
              </MessageBarBody>
            </MessageBar>
          )}
          <div className={styles.list}>
            {accounts.data.accounts.length === 0 ? <Text>{t("accounts.none")}</Text> : null}
            {accounts.data.accounts.map((account) => (
              <AccountCard key={account.id} account={account} />
            ))}
          </div>
        </>
      )}
      <AddAccountDialog open={adding} onClose={() => { setAdding(false); }} />
    </>
  );
}

/** Why sign-ins are not kept, and what to install: the keyring's error, worded. */
function KeyringProblem({ error }: { error: AppError }) {
  const { t } = useTranslation();
  const described = describeError(t, error);
  return (
    <>
      <Text>{described.problem}</Text> <Text weight="semibold">{described.advice}</Text>
    </>
  );
}
