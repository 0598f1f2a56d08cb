// i18next setup. Each call to createI18n returns its own instance so tests never share language state.
import i18next, { type i18n } from "i18next";
import { initReactI18next } from "react-i18next";
import { en, type Messages } from "./en";
import { ja } from "./ja";

export const LANGUAGES = ["en", "ja"] as const;
export type Language = (typeof LANGUAGES)[number];

declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: Messages };
  }
}

const STORAGE_KEY = "safehold.language";

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

function readStoredLanguage(): Language | null {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(stored) ? stored : null;
  } catch {
    return null;
  }
}

/** The saved choice wins; otherwise the system language, when we have it, else English. */
export function initialLanguage(): Language {
  const stored = readStoredLanguage();
  if (stored) return stored;
  const system = typeof navigator === "undefined" ? "" : navigator.language.toLowerCase();
  return system.startsWith("ja") ? "ja" : "en";
}

export function createI18n(lng: Language = initialLanguage()): i18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    lng,
    fallbackLng: "en",
    supportedLngs: LANGUAGES,
    resources: { en: { translation: en }, ja: { translation: ja } },
    interpolation: { escapeValue: false }, // React already escapes.
    returnNull: false,
    initAsync: false,
  });
  document.documentElement.lang = lng;
  instance.on("languageChanged", (next) => {
    document.documentElement.lang = next;
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this run only.
    }
  });
  return instance;
}
