// Long backend operations (a scan, a sign-in): each call gets an id of its own, which the backend
// registers with a cancellation token; aborting the call cancels it there.
import { commands } from "../bindings";

let counter = 0;

/** A fresh id for one operation, readable in the log. */
export function newOperationId(kind: string): string {
  counter += 1;
  const random = globalThis.crypto.randomUUID();
  return `${kind}-${String(counter)}-${random}`;
}

/** Cancels the backend operation `id`; a finished one is left alone. */
export function cancelOperation(id: string): Promise<void> {
  return commands.cancelOperation(id).then(
    () => undefined,
    () => undefined,
  );
}

/** Cancels `id` on the backend when `signal` aborts (the query was cancelled or left the screen). */
export function cancelOnAbort(signal: AbortSignal | undefined, id: string) {
  signal?.addEventListener("abort", () => void cancelOperation(id), { once: true });
}
