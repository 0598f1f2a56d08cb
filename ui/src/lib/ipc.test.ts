import { describe, expect, it } from "vitest";
import type { AppError } from "../bindings";
import { isAppError, toAppError, unwrap } from "./ipc";

const denied: AppError = {
  code: "forbidden",
  problem: { id: "serviceRefused", service: "keyVault" },
  advice: "askForReader",
  service: null,
  requestId: "req-1",
};

describe("unwrap", () => {
  it("returns the data of an ok result", async () => {
    await expect(unwrap(Promise.resolve({ status: "ok" as const, data: 42 }))).resolves.toBe(42);
  });

  it("throws the AppError of an error result", async () => {
    await expect(unwrap(Promise.resolve({ status: "error" as const, error: denied }))).rejects.toEqual(denied);
  });

  it("turns a thrown Error into an internal AppError", async () => {
    const thrown = unwrap(Promise.reject(new Error("no IPC")));
    await expect(thrown).rejects.toMatchObject({ code: "internal", problem: { id: "internal" }, advice: "report" });
  });
});

describe("isAppError", () => {
  it("accepts an AppError and rejects look-alikes", () => {
    expect(isAppError(denied)).toBe(true);
    expect(isAppError({ ...denied, code: "teapot" })).toBe(false);
    expect(isAppError(new Error("x"))).toBe(false);
    expect(toAppError(denied)).toBe(denied);
  });
});
