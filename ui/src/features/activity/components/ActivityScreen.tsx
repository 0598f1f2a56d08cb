import {
  Badge,
  Button,
  Caption1,
  Dropdown,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  Option,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type {
  ActivityEntry,
  ActivityFilter,
  ActivityKind,
  ActivityOutcomeState,
  ExportFormat,
} from "../../../bindings";
import { ErrorMessage } from "../../../shared/ErrorMessage";
import { Loading } from "../../../shared/Loading";
import { ScreenHeader } from "../../../shared/ScreenHeader";
import { describeError } from "../../../shared/describeError";
import { exportActivity, listActivityQuery } from "../queries";

const useStyles = makeStyles({
  filters: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    marginBlockEnd: tokens.spacingVerticalM,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, userSelect: "text" },
  stack: { display: "flex", flexDirection: "column", alignItems: "flex-start", gap: tokens.spacingVerticalXXS },
});

const KINDS: ActivityKind[] = ["grant"];
const OUTCOMES: ActivityOutcomeState[] = ["inFlight", "succeeded", "failed"];
const ALL = "all";

/** The filter the screen sends, from what is picked and typed. */
function useActivityFilter() {
  const [kind, setKind] = useState<ActivityKind | null>(null);
  const [outcome, setOutcome] = useState<ActivityOutcomeState | null>(null);
  const [search, setSearch] = useState("");
  const filter: ActivityFilter = { kind, outcome, search: search.trim() === "" ? null : search.trim() };
  return { filter, kind, setKind, outcome, setOutcome, search, setSearch };
}

function OutcomeBadge({ entry }: { entry: ActivityEntry }) {
  const { t } = useTranslation();
  const styles = useStyles();
  switch (entry.outcome.state) {
    case "inFlight":
      return (
        <Badge appearance="tint" color="warning">
          {t("activity.outcome.inFlight")}
        </Badge>
      );
    case "succeeded":
      return (
        <Badge appearance="tint" color="success">
          {t("activity.outcome.succeeded")}
        </Badge>
      );
    case "failed":
      return (
        <div className={styles.stack}>
          <Badge appearance="tint" color="danger">
            {t("activity.outcome.failed")}
          </Badge>
          <Caption1 className={styles.muted}>{describeError(t, entry.outcome.error).problem}</Caption1>
        </div>
      );
  }
}

/** Copies the export to the clipboard: the WebView has no download handler, the clipboard works
 * everywhere Safehold runs. */
function useExport(filter: ActivityFilter) {
  const [done, setDone] = useState<{ format: ExportFormat; ok: boolean } | null>(null);
  const run = async (format: ExportFormat) => {
    try {
      const text = await exportActivity(format, filter);
      await navigator.clipboard.writeText(text);
      setDone({ format, ok: true });
    } catch {
      setDone({ format, ok: false });
    }
  };
  return { done, run };
}

/** Every change Safehold made: who, when, on what, and how it ended. */
export function ActivityScreen() {
  const { t, i18n } = useTranslation();
  const styles = useStyles();
  const f = useActivityFilter();
  const list = useQuery(listActivityQuery(f.filter));
  const exporter = useExport(f.filter);
  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language);
  const entries = list.data ?? [];
  return (
    <>
      <ScreenHeader title={t("activity.title")} intro={t("activity.intro")} />
      <div className={styles.filters}>
        <Field label={t("activity.filters.kind")}>
          <Dropdown
            value={f.kind ? t(`activity.kind.${f.kind}`) : t("activity.filters.all")}
            selectedOptions={[f.kind ?? ALL]}
            onOptionSelect={(_, data) => {
              f.setKind(data.optionValue === ALL ? null : (data.optionValue as ActivityKind));
            }}
          >
            <Option value={ALL}>{t("activity.filters.all")}</Option>
            {KINDS.map((k) => (
              <Option key={k} value={k}>
                {t(`activity.kind.${k}`)}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label={t("activity.filters.outcome")}>
          <Dropdown
            value={f.outcome ? t(`activity.outcome.${f.outcome}`) : t("activity.filters.all")}
            selectedOptions={[f.outcome ?? ALL]}
            onOptionSelect={(_, data) => {
              f.setOutcome(data.optionValue === ALL ? null : (data.optionValue as ActivityOutcomeState));
            }}
          >
            <Option value={ALL}>{t("activity.filters.all")}</Option>
            {OUTCOMES.map((o) => (
              <Option key={o} value={o}>
                {t(`activity.outcome.${o}`)}
              </Option>
            ))}
          </Dropdown>
        </Field>
        <Field label={t("activity.filters.search")}>
          <Input
            type="search"
            value={f.search}
            placeholder={t("activity.filters.searchHint")}
            onChange={(_, data) => {
              f.setSearch(data.value);
            }}
          />
        </Field>
        <Button onClick={() => void exporter.run("csv")}>{t("activity.export.csv")}</Button>
        <Button onClick={() => void exporter.run("json")}>{t("activity.export.json")}</Button>
      </div>
      {exporter.done ? (
        <MessageBar intent={exporter.done.ok ? "success" : "error"}>
          <MessageBarBody>
            {exporter.done.ok
              ? t("activity.export.copied", { format: exporter.done.format.toUpperCase() })
              : t("activity.export.failed")}
          </MessageBarBody>
        </MessageBar>
      ) : null}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {list.isPending ? (
        <Loading label={t("activity.loading")} />
      ) : entries.length === 0 && !list.error ? (
        <Text className={styles.muted}>{t("activity.empty")}</Text>
      ) : (
        <Table aria-label={t("activity.table")} size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>{t("activity.columns.when")}</TableHeaderCell>
              <TableHeaderCell>{t("activity.columns.what")}</TableHeaderCell>
              <TableHeaderCell>{t("activity.columns.target")}</TableHeaderCell>
              <TableHeaderCell>{t("activity.columns.who")}</TableHeaderCell>
              <TableHeaderCell>{t("activity.columns.outcome")}</TableHeaderCell>
              <TableHeaderCell>{t("activity.columns.requestId")}</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {entries.map((e) => (
              <TableRow key={e.id}>
                <TableCell>
                  <time dateTime={e.startedAt}>{when(e.startedAt)}</time>
                </TableCell>
                <TableCell>{t(`activity.kind.${e.kind}`)}</TableCell>
                <TableCell>
                  <div className={styles.stack}>
                    <Text>{e.targetName}</Text>
                    <Caption1 className={styles.muted}>{e.targetId}</Caption1>
                  </div>
                </TableCell>
                <TableCell>{e.principalName || e.accountId}</TableCell>
                <TableCell>
                  <OutcomeBadge entry={e} />
                </TableCell>
                <TableCell>
                  <span className={styles.mono}>{e.requestId ?? e.correlationId}</span>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
