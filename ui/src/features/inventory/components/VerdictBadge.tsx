import { Badge } from "@fluentui/react-components";
import { useTranslation } from "react-i18next";
import type { Status } from "../../../bindings";

const COLOURS: Record<Status, "success" | "danger" | "warning" | "informative"> = {
  ready: "success",
  actionNeeded: "danger",
  unsupported: "warning",
  unknown: "informative",
};

/** A verdict as a coloured word. */
export function VerdictBadge({ status }: { status: Status }) {
  const { t } = useTranslation();
  return (
    <Badge appearance="tint" color={COLOURS[status]}>
      {t(`inventory.status.${status}`)}
    </Badge>
  );
}
