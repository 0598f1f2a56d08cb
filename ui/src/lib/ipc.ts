// Turns the typed `{ status, data | error }` results of the generated bindings into plain values or a
// thrown AppError, so TanStack Query sees one error type everywhere.
import type { AppError, ErrorCode } from "../bindings";

/** The shape every generated command resolves to. */
export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "auth",
  "forbidden",
  "notFound",
  "throttled",
  "network",
  "invalidInput",
  "conflict",
  "cancelled",
  "unavailable",
  "internal",
]);

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === "string" &&
    ERROR_CODES.has(v.code) &&
    typeof v.problem === "object" &&
    v.problem !== null &&
    typeof (v.problem as Record<string, unknown>).id === "string" &&
    typeof v.advice === "string" &&
    (v.requestId === null || typeof v.requestId === "string")
  );
}

/**
 * Converts anything thrown on the way to the backend into an AppError. The bindings rethrow real
 * `Error`s (for example when the page runs outside the Tauri webview and there is no IPC at all);
 * those become `internal` so screens never have to handle a second error shape.
 */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) return value;
  // The real message goes to the console for whoever debugs the page; the person sees the
  // app's own words.
  console.error("Safehold: a call to the backend failed outside the app's error shape", value);
  return {
    code: "internal",
    problem: { id: "internal" },
    advice: "report",
    service: null,
    requestId: null,
  };
}

export async function unwrap<T>(promise: Promise<Result<T, AppError>>): Promise<T> {
  let result: Result<T, AppError>;
  try {
    result = await promise;
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- AppError is the app's error value, shared with the Rust side.
    throw toAppError(e);
  }
  if (result.status === "error") {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- see above.
    throw toAppError(result.error);
  }
  return result.data;
}
