// Journey: start the app → it signs in to the embedded sandbox → the vaults it serves are listed.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { NAVIGATION, firstColumn, launchApp, navItem, screenshot, withText } from "./support.js";

let browser;

before(async () => {
  browser = await launchApp();
});

after(async () => {
  await browser?.deleteSession();
});

test("the sandbox banner is shown and the vaults of both demo subscriptions are listed", async () => {
  const banner = await browser.$(withText("simulated Azure"));
  await banner.waitForDisplayed({ timeout: 60_000, timeoutMsg: "the sandbox banner never appeared" });

  const production = await firstColumn(browser, "Recovery Services vaults in Contoso Production");
  assert.deepEqual(production, ["rsv-prod-japaneast", "rsv-prod-japanwest", "rsv-finance-eastus2"]);
  const development = await firstColumn(browser, "Recovery Services vaults in Contoso Development");
  assert.deepEqual(development, ["rsv-dev-japaneast"]);

  assert.match(await banner.getText(), /nothing leaves this machine/);
  const context = await browser.$("//header//*[not(*) and contains(., 'Tenant:')]");
  assert.match(await context.getProperty("textContent"), /Cloud: Sandbox · Tenant: [0-9a-f-]{36}/);
  await screenshot(browser, "01-vaults");
});

test("Settings shows the log folder, and the app wrote its log there", async () => {
  await (await browser.$(navItem("Settings"))).click();
  const heading = await browser.$("h1=Settings");
  await heading.waitForDisplayed({ timeout: 10_000 });
  const main = await browser.$("main");
  const text = await main.getText();
  const logDir = process.env.SAFEHOLD_E2E_LOG_DIR;
  assert.ok(logDir, "SAFEHOLD_E2E_LOG_DIR is not set");
  assert.ok(text.includes(logDir), `Settings does not show ${logDir}:\n${text}`);
  assert.ok(existsSync(logDir), `${logDir} does not exist`);
  assert.ok(
    readdirSync(logDir).some((f) => f.startsWith("safehold.log")),
    `no safehold.log* file in ${logDir}`,
  );
  // Nothing secret in the log: not the sandbox principal's secret, not a bearer token.
  const credentials = JSON.parse(
    readFileSync(path.join(logDir, "..", "sandbox", "credentials.json"), "utf8"),
  );
  for (const file of readdirSync(logDir)) {
    const log = readFileSync(path.join(logDir, file), "utf8");
    assert.ok(!log.includes(credentials.client_secret), `${file} contains the client secret`);
    assert.ok(!/eyJ[\w-]+\.eyJ/.test(log), `${file} contains something shaped like a JWT`);
  }
  await screenshot(browser, "02-settings");
});

test("choosing 日本語 in Settings relabels the whole window", async () => {
  await (await browser.$(navItem("Settings"))).click();
  const japanese = await browser.$("//*[@role='radiogroup']//label[normalize-space(.)='日本語']");
  await japanese.waitForDisplayed({ timeout: 10_000, timeoutMsg: "no 日本語 choice in Settings" });
  await japanese.click();
  const nav = await browser.$(NAVIGATION);
  await browser.waitUntil(async () => (await nav.getProperty("textContent")).includes("設定"), {
    timeout: 10_000,
    timeoutMsg: "the navigation did not switch to Japanese",
  });
  await screenshot(browser, "03-settings-ja");
  await (await browser.$(navItem("コンテナー"))).click();
  const heading = await browser.$("h1=Recovery Services コンテナー");
  await heading.waitForDisplayed({ timeout: 10_000, timeoutMsg: "the vaults screen is not in Japanese" });
  await screenshot(browser, "04-vaults-ja");
});
