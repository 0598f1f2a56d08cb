import { Body1, Caption1Strong, Card, makeStyles, tokens } from "@fluentui/react-components";
import { useTranslation } from "react-i18next";
import { ScreenHeader } from "./ScreenHeader";

const useStyles = makeStyles({
  card: { maxWidth: "60ch", gap: tokens.spacingVerticalS },
});

/** Stands in for a screen that is not built yet and says what it will do. */
export function ComingSoon(props: { title: string; description: string }) {
  const { t } = useTranslation();
  const styles = useStyles();
  return (
    <>
      <ScreenHeader title={props.title} />
      <Card className={styles.card}>
        <Caption1Strong>{t("placeholder.comingLater")}</Caption1Strong>
        <Body1>{props.description}</Body1>
      </Card>
    </>
  );
}
