import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom has no layout, so no ResizeObserver; Fluent's MessageBar uses one to pick its layout.
class NoLayoutResizeObserver implements ResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
if (!("ResizeObserver" in globalThis)) globalThis.ResizeObserver = NoLayoutResizeObserver;

afterEach(() => {
  cleanup();
  clearMocks();
  window.localStorage.clear();
});
