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

// Tabster (Fluent's focus manager) hides everything outside an open dialog with aria-hidden.
// When one dialog closes and another opens at once, jsdom, which never settles Tabster's
// deferred updates as a browser does, can leave the new dialog inside a hidden container.
// Only open dialogs and what contains them are unhidden; nothing else changes.
function unhideOpenDialogs() {
  for (const dialog of document.querySelectorAll('[role="dialog"], [role="alertdialog"]')) {
    for (let node: Element | null = dialog; node && node !== document.body; node = node.parentElement) {
      if (node.getAttribute("aria-hidden") === "true") node.removeAttribute("aria-hidden");
    }
  }
}
new MutationObserver(unhideOpenDialogs).observe(document.documentElement, {
  subtree: true,
  childList: true,
  attributes: true,
  attributeFilter: ["aria-hidden"],
});

afterEach(() => {
  cleanup();
  clearMocks();
  window.localStorage.clear();
});
