import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import type { AppError } from "../bindings";
import { describeError } from "./describeError";

const useStyles = makeStyles({
  body: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXS,
    paddingBlock: tokens.spacingVerticalS,
  },
  said: {
    color: tokens.colorNeutralForeground2,
    fontSize: tokens.fontSizeBase200,
    userSelect: "text",
  },
  details: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    userSelect: "text",
  },
});

export type ErrorMessageProps = {
  error: AppError;
  /** Shown as the title; defaults to a title chosen from the error code. */
  title?: string;
  onRetry?: () => void;
};

/**
 * Shows an AppError the way every screen should: what happened, what to do, and the Azure request ID
 * behind a toggle, for support.
 */
export function ErrorMessage({ error, title, onRetry }: ErrorMessageProps) {
  const { t } = useTranslation();
  const styles = useStyles();
  const [showDetails, setShowDetails] = useState(false);
  const detailsId = useId();
  const described = describeError(t, error);

  return (
    <MessageBar intent="error" layout="multiline">
      <MessageBarBody className={styles.body}>
        <MessageBarTitle>{title ?? described.title}</MessageBarTitle>
        <Text>{described.problem}</Text>
        <Text weight="semibold">{described.advice}</Text>
        {described.service ? (
          <Text className={styles.said} aria-label={described.service.label}>
            {described.service.label}
            {described.service.code ? ` (${t("errors.serviceCode")}: ${described.service.code})` : ""}
            {described.service.message ? `: ${described.service.message}` : ""}
          </Text>
        ) : null}
        {showDetails && error.requestId ? (
          <Text id={detailsId} className={styles.details}>
            {t("errors.requestId")}: {error.requestId}
          </Text>
        ) : null}
      </MessageBarBody>
      <MessageBarActions>
        {error.requestId ? (
          <Button
            appearance="transparent"
            aria-expanded={showDetails}
            aria-controls={showDetails ? detailsId : undefined}
            onClick={() => {
              setShowDetails((v) => !v);
            }}
          >
            {showDetails ? t("errors.hideDetails") : t("errors.details")}
          </Button>
        ) : null}
        {onRetry ? <Button onClick={onRetry}>{t("app.retry")}</Button> : null}
      </MessageBarActions>
    </MessageBar>
  );
}
