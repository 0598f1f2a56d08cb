import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { Channel } from "@tauri-apps/api/core";
import { commands, type InventoryProgress, type InventorySnapshot } from "../../bindings";
import { unwrap } from "../../lib/ipc";
import { cancelOnAbort, cancelOperation, newOperationId } from "../../lib/operations";

const progressKey = ["inventory", "progress"] as const;

/** The id of the scan running now, so Stop cancels that one and no other. */
let runningScan: string | null = null;

export const cachedInventoryQuery = () =>
  queryOptions({
    queryKey: ["inventory", "cached"],
    queryFn: () => unwrap(commands.cachedInventory()),
    staleTime: Infinity,
  });

export const scanInventoryQuery = () =>
  queryOptions({
    queryKey: ["inventory", "scan"],
    queryFn: async ({ signal, client }) => {
      const id = newOperationId("scan");
      runningScan = id;
      client.setQueryData<InventoryProgress | null>(progressKey, null);
      const onProgress = new Channel<InventoryProgress>((progress) => {
        client.setQueryData<InventoryProgress | null>(progressKey, progress);
      });
      // Leaving for good (the query is cancelled or garbage-collected) stops the backend too.
      cancelOnAbort(signal, id);
      try {
        return await unwrap(commands.scanInventory(id, onProgress));
      } finally {
        if (runningScan === id) runningScan = null;
      }
    },
    // A scan is a few list calls per subscription: worth repeating when the screen comes back
    // after a while, not on every render.
    staleTime: 5 * 60_000,
  });

/**
 * The inventory to show: the fresh scan when it is done, otherwise the one kept from last
 * time (with its age), and how far the running scan has got.
 */
export function useInventory() {
  const client = useQueryClient();
  const cached = useQuery(cachedInventoryQuery());
  const scan = useQuery(scanInventoryQuery());
  const progress = useQuery({
    queryKey: progressKey,
    queryFn: () => client.getQueryData<InventoryProgress | null>(progressKey) ?? null,
    staleTime: Infinity,
    enabled: false,
  });
  const snapshot: InventorySnapshot | null = scan.data ?? cached.data ?? null;
  // A scan the person stopped is not a failure: the inventory from before stays on screen.
  const cancelled = !scan.isFetching && scan.error?.code === "cancelled";
  return {
    snapshot,
    fromCache: !scan.data && Boolean(cached.data),
    scanning: scan.isFetching,
    progress: scan.isFetching ? (progress.data ?? null) : null,
    error: cancelled ? null : scan.error,
    cancelled,
    refresh: () => scan.refetch(),
    cancel: () => (runningScan ? cancelOperation(runningScan) : Promise.resolve()),
  };
}
