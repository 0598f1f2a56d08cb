// Shared WebDriver session handling for the journeys. `cargo xtask test` starts Xvfb and
// tauri-driver and passes where things are through the environment.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { remote } from "webdriverio";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the journeys through \`cargo xtask test\`.`);
  }
  return value;
}

export const screenshotDir = required("SAFEHOLD_E2E_SCREENSHOTS");

/** Starts the real app through tauri-driver and returns the WebDriver browser. */
export async function launchApp() {
  const application = required("SAFEHOLD_APP");
  const port = Number(process.env.SAFEHOLD_WEBDRIVER_PORT ?? "4444");
  return remote({
    hostname: "127.0.0.1",
    port,
    logLevel: process.env.SAFEHOLD_E2E_LOG_LEVEL ?? "warn",
    connectionRetryCount: 2,
    connectionRetryTimeout: 120_000,
    capabilities: {
      // WebKitWebDriver speaks classic WebDriver only; WebdriverIO would otherwise ask for BiDi.
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application },
    },
  });
}

/**
 * Saves a PNG of the app window under target/e2e/ for people to look at.
 *
 * Taken from the X server, not through WebDriver: WebKitWebDriver's screenshot waits for a
 * compositor frame that never arrives under Xvfb and hangs. The X server's copy is exactly what a
 * person would see on that display.
 */
export async function screenshot(browser, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await browser.pause(500); // let Fluent's transitions finish
  const { x, y, width, height } = await browser.getWindowRect();
  const crop = `${width}x${height}+${Math.max(0, x)}+${Math.max(0, y)}`;
  execFileSync("import", ["-window", "root", "-crop", crop, "+repage", file], { timeout: 30_000 });
  return file;
}

/** Text of every body cell in the first column of a table, by its accessible name. */
export async function firstColumn(browser, tableLabel) {
  const table = await browser.$(`table[aria-label="${tableLabel}"]`);
  await table.waitForExist({ timeout: 60_000, timeoutMsg: `no table "${tableLabel}" appeared` });
  const cells = await table.$$("tbody tr td:first-child");
  const names = [];
  for (const cell of cells) {
    names.push((await cell.getText()).trim());
  }
  return names;
}

/** XPath of the element whose own text contains `text` (not its ancestors). */
export function withText(text) {
  return `//*[text()[contains(., '${text}')]]`;
}

/** XPath of the main navigation, in either language. */
export const NAVIGATION = "//*[@aria-label='Main navigation' or @aria-label='メイン ナビゲーション']";

/** XPath of a navigation entry by its visible label. */
export function navItem(label) {
  return `${NAVIGATION}//*[text()[normalize-space(.)='${label}']]`;
}
