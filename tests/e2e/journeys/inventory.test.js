// Journey: the Encrypted VMs screen lists the demo tenant's encrypted VMs with their verdicts,
// a VM's checks say what to fix, and Key Vaults shows what Backup lacks.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { firstColumn, launchApp, navItem, screenshot } from "./support.js";

/** The VM names of the Encrypted VMs table (each is a button in the first cell). */
async function vmNames() {
  const table = await browser.$("table[aria-label='Encrypted VMs']");
  await table.waitForExist({ timeout: 60_000, timeoutMsg: "the Encrypted VMs table never appeared" });
  const names = [];
  for (const cell of await table.$$("tbody tr td:first-child")) {
    names.push((await cell.getProperty("textContent")).trim());
  }
  return names;
}

let browser;

before(async () => {
  browser = await launchApp();
});

after(async () => {
  await browser?.deleteSession();
});

test("every encrypted VM gets a verdict, and a VM's checks name the missing permissions", async () => {
  await (await browser.$(navItem("Encrypted VMs"))).waitForDisplayed({ timeout: 60_000 });
  await (await browser.$(navItem("Encrypted VMs"))).click();
  const names = await vmNames();
  for (const vm of ["vm-sql-01", "vm-fin-db01", "vm-legacy-web01", "vm-app-lnx01", "vm-hr-rbac01"]) {
    assert.ok(names.includes(vm), `${vm} is not listed: ${names.join(", ")}`);
  }
  const row = (vm) => `//table[@aria-label='Encrypted VMs']//tr[.//button[normalize-space(.)='${vm}']]`;
  assert.match(await (await browser.$(row("vm-sql-01"))).getText(), /Ready/);
  assert.match(await (await browser.$(row("vm-fin-db01"))).getText(), /Action needed/);
  await screenshot(browser, "08-encrypted-vms");

  await (await browser.$(`${row("vm-fin-db01")}//button`)).click();
  const dialog = await browser.$("//*[@role='dialog']");
  await dialog.waitForDisplayed({ timeout: 10_000 });
  const text = await dialog.getText();
  assert.match(text, /Backup's access to the key vault/);
  assert.match(text, /lacks .*kv-finance-ade/);
  await screenshot(browser, "09-vm-checks");
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Close']")).click();
});

test("Key Vaults shows what Backup lacks on each vault behind an encrypted VM", async () => {
  await (await browser.$(navItem("Key Vaults"))).click();
  const vaults = await firstColumn(browser, "Key vaults behind encrypted VMs");
  assert.ok(vaults.includes("kv-finance-ade"), vaults.join(", "));
  const finance = await browser.$("//table[@aria-label='Key vaults behind encrypted VMs']//tr[td[1][normalize-space(.)='kv-finance-ade']]");
  assert.match(await finance.getText(), /Missing\s*keys: .*backup/);
  await screenshot(browser, "10-key-vaults");
});

test("granting Backup access on kv-finance-ade in one action turns vm-fin-db01 green", async () => {
  await (await browser.$(navItem("Key Vaults"))).click();
  const grant = await browser.$("//button[@aria-label='Grant Backup access on kv-finance-ade']");
  await grant.waitForDisplayed({ timeout: 30_000 });
  await grant.click();
  const dialog = await browser.$("//*[@role='dialog']");
  await dialog.waitForDisplayed({ timeout: 10_000 });
  const diff = await browser.$("//*[@role='dialog']//*[@aria-label=\"The change to Backup's entry\"]");
  await diff.waitForDisplayed({ timeout: 20_000, timeoutMsg: "the grant's diff never appeared" });
  assert.match(await diff.getText(), /\+backup/);
  assert.match(await dialog.getText(), /other entr(y is|ies are) left exactly as/);
  await screenshot(browser, "11-grant-diff");
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Grant']")).click();
  await browser.waitUntil(async () => !(await (await browser.$("//*[@role='dialog']")).isExisting()), {
    timeout: 30_000,
    timeoutMsg: "the grant did not finish",
  });
  const finance = "//table[@aria-label='Key vaults behind encrypted VMs']//tr[td[1][normalize-space(.)='kv-finance-ade']]";
  await browser.waitUntil(async () => /Granted/.test(await (await browser.$(finance)).getText()), {
    timeout: 60_000,
    timeoutMsg: "kv-finance-ade does not show Backup's access as granted after the rescan",
  });

  await (await browser.$(navItem("Encrypted VMs"))).click();
  const row = "//table[@aria-label='Encrypted VMs']//tr[.//button[normalize-space(.)='vm-fin-db01']]";
  await browser.waitUntil(async () => /Ready/.test(await (await browser.$(row)).getText()), {
    timeout: 30_000,
    timeoutMsg: "vm-fin-db01 did not turn Ready",
  });
  await screenshot(browser, "12-verdict-green");
});

test("on an RBAC vault, the grant shows Backup's roles with the one added and who else holds a role", async () => {
  await (await browser.$(navItem("Key Vaults"))).click();
  const grant = await browser.$("//button[@aria-label='Grant Backup access on kv-hr-rbac']");
  await grant.waitForDisplayed({ timeout: 30_000 });
  await grant.click();
  const diff = await browser.$("//*[@role='dialog']//*[@aria-label=\"The change to Backup's roles\"]");
  await diff.waitForDisplayed({ timeout: 20_000, timeoutMsg: "the role grant's diff never appeared" });
  assert.match(await diff.getText(), /Key Vault Secrets User, \+Key Vault Administrator/);
  const holders = await browser.$("//*[@role='dialog']//ul[@aria-label='Other principals with access']");
  const text = await holders.getText();
  assert.match(text, /Safehold sandbox operator/);
  assert.match(text, /Key Vault Administrator, assigned at this vault/);
  await screenshot(browser, "12a-grant-rbac-diff");
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Grant']")).click();
  await browser.waitUntil(async () => !(await (await browser.$("//*[@role='dialog']")).isExisting()), {
    timeout: 30_000,
    timeoutMsg: "the role grant did not finish",
  });
  const hr = "//table[@aria-label='Key vaults behind encrypted VMs']//tr[td[1][normalize-space(.)='kv-hr-rbac']]";
  await browser.waitUntil(async () => /Granted/.test(await (await browser.$(hr)).getText()), {
    timeout: 60_000,
    timeoutMsg: "kv-hr-rbac does not show Backup's access as granted after the rescan",
  });
});

test("Overview counts the encrypted VMs by readiness and kind", async () => {
  await (await browser.$(navItem("Overview"))).click();
  const readiness = await browser.$("//*[@role='group'][.//*[starts-with(normalize-space(.), 'Readiness of')]]");
  await readiness.waitForDisplayed({ timeout: 30_000, timeoutMsg: "no readiness card on the Overview" });
  assert.match(await readiness.getText(), /Readiness of \d+ encrypted VMs/);
  await screenshot(browser, "13-overview");
});
