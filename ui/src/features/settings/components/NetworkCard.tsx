import {
  Body1,
  Button,
  Card,
  Field,
  Input,
  Radio,
  RadioGroup,
  Subtitle1,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { commands, type NetworkSettings, type ProxyMode } from "../../../bindings";
import { unwrap } from "../../../lib/ipc";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { networkSettingsQuery } from "../queries";

const useStyles = makeStyles({
  card: { gap: tokens.spacingVerticalS },
  heading: { margin: 0 },
  hint: { color: tokens.colorNeutralForeground2 },
  row: { display: "flex", gap: tokens.spacingHorizontalM, alignItems: "center" },
});

const MODES: ProxyMode[] = ["system", "explicit", "none"];

/** The proxy Safehold's requests to Azure go through. */
export function NetworkCard() {
  const { t } = useTranslation();
  const styles = useStyles();
  const heading = useId();
  const queryClient = useQueryClient();
  const current = useQuery(networkSettingsQuery());
  // What the user is editing; until they touch it, what is saved.
  const [edited, setDraft] = useState<NetworkSettings | null>(null);
  const draft = edited ?? current.data ?? null;
  const save = useMutation({
    mutationFn: (settings: NetworkSettings) => unwrap(commands.setNetworkSettings(settings)),
    onSuccess: (saved) => {
      queryClient.setQueryData(networkSettingsQuery().queryKey, saved);
    },
  });

  return (
    <Card className={styles.card} role="region" aria-labelledby={heading}>
      <Subtitle1 as="h2" className={styles.heading} id={heading}>
        {t("settings.network")}
      </Subtitle1>
      <Body1 className={styles.hint}>{t("settings.networkHint")}</Body1>
      {current.isError ? <ErrorMessage error={current.error} /> : null}
      {draft === null ? (
        <Loading label={t("settings.loading")} />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate(draft);
          }}
        >
          <Field label={t("settings.proxy")}>
            <RadioGroup
              value={draft.proxyMode}
              onChange={(_, data) => {
                setDraft({ ...draft, proxyMode: data.value as ProxyMode });
              }}
            >
              {MODES.map((mode) => (
                <Radio key={mode} value={mode} label={t(`settings.proxyModes.${mode}`)} />
              ))}
            </RadioGroup>
          </Field>
          {draft.proxyMode === "explicit" ? (
            <Field label={t("settings.proxyUrl")} required>
              <Input
                value={draft.proxyUrl ?? ""}
                placeholder="http://proxy.contoso.com:8080"
                onChange={(_, data) => {
                  setDraft({ ...draft, proxyUrl: data.value });
                }}
              />
            </Field>
          ) : null}
          <div className={styles.row}>
            <Button type="submit" appearance="primary" disabled={save.isPending}>
              {t("settings.save")}
            </Button>
            {save.isSuccess ? <Text>{t("settings.saved")}</Text> : null}
          </div>
          {save.isError ? <ErrorMessage error={save.error} /> : null}
        </form>
      )}
    </Card>
  );
}
