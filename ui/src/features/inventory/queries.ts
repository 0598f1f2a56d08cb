import { queryOptions, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { commands, events, type InventoryProgress, type InventorySnapshot } from "../../bindings";
import { unwrap } from "../../lib/ipc";

export const cachedInventoryQuery = () =>
  queryOptions({
    queryKey: ["inventory", "cached"],
    queryFn: () => unwrap(commands.cachedInventory()),
    staleTime: Infinity,
  });

export const scanInventoryQuery = () =>
  queryOptions({
    queryKey: ["inventory", "scan"],
    queryFn: () => unwrap(commands.scanInventory()),
    // A scan is a few list calls per subscription: worth repeating when the screen comes back
    // after a while, not on every render.
    staleTime: 5 * 60_000,
  });

/**
 * The inventory to show: the fresh scan when it is done, otherwise the one kept from last
 * time (with its age), and how far the running scan has got.
 */
export function useInventory() {
  const cached = useQuery(cachedInventoryQuery());
  const scan = useQuery(scanInventoryQuery());
  const [progress, setProgress] = useState<InventoryProgress | null>(null);
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    events.inventoryProgress
      .listen((event) => {
        setProgress(event.payload);
      })
      .then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      stop?.();
    };
  }, []);
  const snapshot: InventorySnapshot | null = scan.data ?? cached.data ?? null;
  // A scan the person stopped is not a failure: the inventory from before stays on screen.
  const cancelled = !scan.isFetching && scan.error?.code === "cancelled";
  return {
    snapshot,
    fromCache: !scan.data && Boolean(cached.data),
    scanning: scan.isFetching,
    progress: scan.isFetching ? progress : null,
    error: cancelled ? null : scan.error,
    cancelled,
    refresh: () => scan.refetch(),
    cancel: () => unwrap(commands.cancelScan()),
  };
}
