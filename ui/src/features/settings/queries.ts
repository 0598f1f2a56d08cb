import { queryOptions } from "@tanstack/react-query";
import { commands } from "../../bindings";
import { unwrap } from "../../lib/ipc";

export const appInfoQuery = () =>
  queryOptions({
    queryKey: ["appInfo"],
    queryFn: () => unwrap(commands.getAppInfo()),
    staleTime: Infinity,
  });

export const networkSettingsQuery = () =>
  queryOptions({
    queryKey: ["networkSettings"],
    queryFn: () => unwrap(commands.getNetworkSettings()),
  });
