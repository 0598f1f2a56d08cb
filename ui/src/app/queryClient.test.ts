import { describe, expect, it } from "vitest";
import type { AppError, ErrorCode } from "../bindings";
import { shouldRetry } from "./queryClient";

const err = (code: ErrorCode): AppError => ({
  code,
  problem: { id: "internal" },
  advice: "report",
  service: null,
  requestId: null,
});

describe("shouldRetry", () => {
  it("retries transient errors up to three times", () => {
    expect(shouldRetry(0, err("network"))).toBe(true);
    expect(shouldRetry(2, err("throttled"))).toBe(true);
    expect(shouldRetry(1, err("unavailable"))).toBe(true);
    expect(shouldRetry(3, err("network"))).toBe(false);
  });

  it("does not retry auth, permission or input errors", () => {
    for (const code of ["auth", "forbidden", "invalidInput", "notFound", "internal"] as const) {
      expect(shouldRetry(0, err(code))).toBe(false);
    }
  });
});
