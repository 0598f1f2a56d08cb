import { Body1, Card, Subtitle1, makeStyles, tokens } from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { LanguageChoice } from "../../../shared/LanguageChoice";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { appInfoQuery } from "../queries";
import { NetworkCard } from "./NetworkCard";

const useStyles = makeStyles({
  sections: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL, maxWidth: "80ch" },
  card: { gap: tokens.spacingVerticalS },
  heading: { margin: 0 },
  hint: { color: tokens.colorNeutralForeground2 },
  field: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS, alignItems: "flex-start" },
  facts: {
    display: "grid",
    gridTemplateColumns: "max-content 1fr",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalXS,
    margin: 0,
  },
  term: { fontWeight: tokens.fontWeightSemibold },
  value: { margin: 0, fontFamily: tokens.fontFamilyMonospace, overflowWrap: "anywhere", userSelect: "text" },
});

export function SettingsScreen() {
  const { t } = useTranslation();
  const styles = useStyles();
  const languageHeading = useId();
  const aboutHeading = useId();
  const logsHeading = useId();
  const appInfo = useQuery(appInfoQuery());

  return (
    <>
      <ScreenHeader title={t("settings.title")} />
      <div className={styles.sections}>
        <Card className={styles.card} role="region" aria-labelledby={languageHeading}>
          <Subtitle1 as="h2" className={styles.heading} id={languageHeading}>
            {t("settings.languageHeading")}
          </Subtitle1>
          <Body1 className={styles.hint}>{t("settings.languageHint")}</Body1>
          <div className={styles.field}>
            <LanguageChoice />
          </div>
        </Card>

        <NetworkCard />

        {appInfo.isPending ? (
          <Loading label={t("settings.loading")} />
        ) : appInfo.isError ? (
          <ErrorMessage
            error={appInfo.error}
            onRetry={() => {
              void appInfo.refetch();
            }}
          />
        ) : (
          <>
            <Card className={styles.card} role="region" aria-labelledby={logsHeading}>
              <Subtitle1 as="h2" className={styles.heading} id={logsHeading}>
                {t("settings.logs")}
              </Subtitle1>
              <Body1 className={styles.hint}>{t("settings.logsHint")}</Body1>
              <dl className={styles.facts}>
                <dt className={styles.term}>{t("settings.logDirectory")}</dt>
                <dd className={styles.value}>{appInfo.data.logDirectory}</dd>
              </dl>
            </Card>
            <Card className={styles.card} role="region" aria-labelledby={aboutHeading}>
              <Subtitle1 as="h2" className={styles.heading} id={aboutHeading}>
                {t("settings.about")}
              </Subtitle1>
              <dl className={styles.facts}>
                <dt className={styles.term}>{t("settings.version")}</dt>
                <dd className={styles.value}>{appInfo.data.version}</dd>
                <dt className={styles.term}>{t("settings.dataDirectory")}</dt>
                <dd className={styles.value}>{appInfo.data.dataDirectory}</dd>
              </dl>
            </Card>
          </>
        )}
      </div>
    </>
  );
}
