/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tauri serves the built files from its own protocol root, so the default base is kept.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    // The webview is a current Chromium/WebKit; no need to down-level.
    target: "es2022",
    // Loaded from the app bundle on disk, not over a network, so one larger chunk costs nothing.
    chunkSizeWarningLimit: 2048,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // Two shared cores: a Fluent dialog under jsdom can take seconds while Rust compiles beside it.
    testTimeout: 20_000,
  },
});
