import { useSyncExternalStore } from "react";

export type ColorScheme = "light" | "dark" | "highContrast";

const DARK = "(prefers-color-scheme: dark)";
const FORCED = "(forced-colors: active)";

function matches(query: string): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(query).matches;
}

function subscribe(onChange: () => void): () => void {
  if (typeof window.matchMedia !== "function") return () => undefined;
  const lists = [window.matchMedia(DARK), window.matchMedia(FORCED)];
  for (const list of lists) list.addEventListener("change", onChange);
  return () => {
    for (const list of lists) list.removeEventListener("change", onChange);
  };
}

function snapshot(): ColorScheme {
  if (matches(FORCED)) return "highContrast";
  return matches(DARK) ? "dark" : "light";
}

/** Follows the operating system's light, dark and high-contrast settings as they change. */
export function useColorScheme(): ColorScheme {
  return useSyncExternalStore(subscribe, snapshot, () => "light");
}
