import "@testing-library/jest-dom/vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom has no layout, so no ResizeObserver; Fluent's MessageBar uses one to pick its layout.
class NoLayoutResizeObserver implements ResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
if (!("ResizeObserver" in globalThis)) globalThis.ResizeObserver = NoLayoutResizeObserver;

// CI runs on two shared cores, where a dialog can take more than the default second (and, with Rust compiling beside it, several) to open.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  clearMocks();
  window.localStorage.clear();
});
