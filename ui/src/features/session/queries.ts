import { queryOptions } from "@tanstack/react-query";
import { commands } from "../../bindings";
import { unwrap } from "../../lib/ipc";

export const sessionQuery = () =>
  queryOptions({
    queryKey: ["session"],
    queryFn: () => unwrap(commands.connect()),
    // Signing in again is the backend's business (it refreshes tokens); the session itself is stable.
    staleTime: Infinity,
  });
