import { queryOptions } from "@tanstack/react-query";
import { commands } from "../../bindings";
import { unwrap } from "../../lib/ipc";

export const subscriptionsQuery = () =>
  queryOptions({
    queryKey: ["subscriptions"],
    queryFn: () => unwrap(commands.listSubscriptions()),
  });

export const vaultsQuery = (subscriptionId: string) =>
  queryOptions({
    queryKey: ["vaults", subscriptionId],
    queryFn: () => unwrap(commands.listVaults(subscriptionId)),
  });
