import { queryOptions } from "@tanstack/react-query";
import { commands, type ActivityFilter, type ExportFormat } from "../../bindings";
import { unwrap } from "../../lib/ipc";

/** Every activity query starts with this key, so a change anywhere can refresh them all. */
export const activityKey = ["activity"] as const;

export const listActivityQuery = (filter: ActivityFilter) =>
  queryOptions({
    queryKey: [...activityKey, filter],
    queryFn: () => unwrap(commands.listActivity(filter)),
  });

export function exportActivity(format: ExportFormat, filter: ActivityFilter): Promise<string> {
  return unwrap(commands.exportActivity(format, filter));
}
