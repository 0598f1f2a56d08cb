import { describe, expect, it, vi } from "vitest";
import { en } from "./en";
import { createI18n, initialLanguage } from "./index";
import { ja } from "./ja";

function leaves(value: object, prefix = ""): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === "object" && v !== null ? leaves(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe("i18n", () => {
  it("has a non-empty Japanese text for every English key", () => {
    expect(leaves(ja)).toEqual(leaves(en));
    const t = createI18n("ja").t;
    for (const key of leaves(en)) {
      expect(t(key as "app.name"), key).not.toBe("");
    }
  });

  it("starts in the saved language, else the system language", () => {
    const lang = vi.spyOn(navigator, "language", "get");
    lang.mockReturnValue("ja-JP");
    expect(initialLanguage()).toBe("ja");
    lang.mockReturnValue("en-GB");
    expect(initialLanguage()).toBe("en");
    window.localStorage.setItem("safehold.language", "ja");
    expect(initialLanguage()).toBe("ja");
    lang.mockRestore();
  });
});
