import { describe, expect, it } from "vitest";
import { errorsEn } from "./errors.en";
import { errorsJa } from "./errors.ja";

const japanese = /[\u3040-\u30ff\u4e00-\u9faf]/;

describe("error wording", () => {
  it("words every problem and every piece of advice in Japanese, not in English", () => {
    for (const group of ["problems", "advice", "metadataDefects", "certificateDefects", "keyringFailures"] as const) {
      for (const [id, english] of Object.entries(errorsEn[group])) {
        const words = (errorsJa[group] as Record<string, string>)[id];
        expect(words, `${group}.${id}`).toMatch(japanese);
        expect(words, `${group}.${id}`).not.toBe(english);
      }
    }
  });

  it("keeps every parameter the English text uses", () => {
    for (const group of ["problems", "advice"] as const) {
      for (const [id, english] of Object.entries(errorsEn[group])) {
        const params = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
        const words = (errorsJa[group] as Record<string, string>)[id] ?? "";
        expect(params(words), `${group}.${id}`).toEqual(params(english));
      }
    }
  });
});
