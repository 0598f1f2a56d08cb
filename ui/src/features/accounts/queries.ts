import { queryOptions, useQueryClient } from "@tanstack/react-query";
import { commands } from "../../bindings";
import { unwrap } from "../../lib/ipc";

export const accountsQuery = () =>
  queryOptions({
    queryKey: ["accounts"],
    queryFn: () => unwrap(commands.listAccounts()),
  });

export const accountSubscriptionsQuery = (accountId: string, tenantId: string) =>
  queryOptions({
    queryKey: ["accountSubscriptions", accountId, tenantId],
    queryFn: () => unwrap(commands.listAccountSubscriptions(accountId, tenantId)),
  });

/**
 * After an account changes, everything that depends on who is signed in is stale. The inventory
 * is dropped outright rather than refreshed in place: a signed-out account's VMs must not stay on
 * screen while the next scan runs.
 */
export function useRefreshAfterAccountChange() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.resetQueries({ queryKey: ["inventory"] }),
      ...["accounts", "session", "subscriptions", "vaults", "accountSubscriptions"].map((key) =>
        queryClient.invalidateQueries({ queryKey: [key] }),
      ),
    ]);
}
