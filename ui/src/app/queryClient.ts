import { QueryClient } from "@tanstack/react-query";
import type { AppError, ErrorCode } from "../bindings";
import { isAppError } from "../lib/ipc";

declare module "@tanstack/react-query" {
  interface Register {
    defaultError: AppError;
  }
}

// Only errors that can go away by themselves are retried; auth, permission and input errors would
// fail the same way again and only delay the message the user needs to see.
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["network", "throttled", "unavailable"]);
const MAX_RETRIES = 3;

export function shouldRetry(failureCount: number, error: unknown): boolean {
  return failureCount < MAX_RETRIES && isAppError(error) && RETRYABLE.has(error.code);
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        // A desktop window regains focus often; Azure inventory does not change that fast.
        refetchOnWindowFocus: false,
        staleTime: 60_000,
      },
      mutations: { retry: false },
    },
  });
}
