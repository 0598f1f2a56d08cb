// Journey: a person adds their account with a device code, turns on the tenant they are a guest
// in, sees its vaults, and signs out. The sandbox's own sign-in page is driven from here, as a
// person on another device would.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { sandboxRequest } from "./sandbox-http.js";
import { firstColumn, launchApp, navItem, screenshot, withText } from "./support.js";

let browser;

before(async () => {
  browser = await launchApp();
});

after(async () => {
  await browser?.deleteSession();
});

/**
 * Signs `upn` in on the sandbox's device-login page with `code` and the confirmation Safehold
 * shows, as a person elsewhere would. Without the confirmation the page turns them away: only
 * the app that started the sandbox can complete a sign-in there.
 */
async function approveDeviceCode(verificationUri, code, confirmation, upn) {
  const page = await sandboxRequest(verificationUri);
  const marker = `data-upn="${upn}"`;
  const end = page.text.indexOf(marker);
  assert.ok(end > 0, `the device-login page offers no ${upn}`);
  const start = page.text.lastIndexOf('value="', end) + 'value="'.length;
  const user = page.text.slice(start, page.text.indexOf('"', start));
  const refused = await sandboxRequest(verificationUri, { method: "POST", form: { user_code: code, user } });
  assert.match(refused.text, /id="error"/, "the device page accepted a code without the app's confirmation");
  const approved = await sandboxRequest(verificationUri, {
    method: "POST",
    form: { user_code: code, user, confirmation },
  });
  assert.equal(approved.status, 200, approved.text);
  assert.match(approved.text, /id="done"/, approved.text);
}

function card(name) {
  return `//*[@role='region' and @aria-label='${name}']`;
}

test("a person signs in with a device code and their guest tenant's vaults appear", async () => {
  await (await browser.$(navItem("Accounts"))).waitForDisplayed({ timeout: 60_000 });
  await (await browser.$(navItem("Accounts"))).click();
  await (await browser.$("h1=Accounts")).waitForDisplayed({ timeout: 10_000 });
  await (await browser.$(card("Safehold sandbox operator"))).waitForDisplayed({
    timeout: 30_000,
    timeoutMsg: "the sandbox operator's account is not listed",
  });

  await (await browser.$("//button[normalize-space(.)='Add account']")).click();
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Sign in']")).click();
  const code = await browser.$("//*[@aria-label='Device code']");
  await code.waitForDisplayed({ timeout: 30_000, timeoutMsg: "no device code was shown" });
  const userCode = (await code.getText()).trim();
  const verificationUri = (await (await browser.$("//*[@aria-label='Sign-in address']")).getText()).trim();
  assert.match(verificationUri, /^https:\/\/127\.0\.0\.1:\d+\/devicelogin$/);
  const confirmation = (await (await browser.$("//*[@aria-label='Sandbox confirmation']")).getText()).trim();
  assert.match(confirmation, /^[A-Z0-9]{8}$/);
  await screenshot(browser, "05-device-code");

  await approveDeviceCode(verificationUri, userCode, confirmation, "mei.tanaka@contoso.com");

  const mei = await browser.$(card("Mei Tanaka (IT administrator)"));
  await mei.waitForDisplayed({ timeout: 30_000, timeoutMsg: "Mei's account never appeared" });
  const meiText = await mei.getText();
  assert.match(meiText, /mei\.tanaka@contoso\.com/);
  assert.match(meiText, /Remembered in the keyring/);
  assert.match(meiText, /Fabrikam Trading/);
  assert.match(meiText, /Guest/);

  // Turn on the guest tenant; its subscription's vault shows on the Vaults screen.
  await (await browser.$(`${card("Mei Tanaka (IT administrator)")}//label[normalize-space(.)='Fabrikam Trading']`)).click();
  await browser.waitUntil(
    async () =>
      (await browser.$(`${card("Mei Tanaka (IT administrator)")}//input[@type='checkbox' and following::label[1][normalize-space(.)='Fabrikam Trading']]`).isSelected()),
    { timeout: 10_000, timeoutMsg: "the guest tenant did not get selected" },
  );
  await screenshot(browser, "06-accounts");

  await (await browser.$(navItem("Vaults"))).click();
  const fabrikam = await firstColumn(browser, "Recovery Services vaults in Fabrikam Trading Operations");
  assert.deepEqual(fabrikam, ["rsv-fabrikam-japanwest"]);
  await screenshot(browser, "07-vaults-with-guest-tenant");
});

test("signing out removes the account, and its vaults go with it", async () => {
  await (await browser.$(navItem("Accounts"))).click();
  const signOut = await browser.$(`${card("Mei Tanaka (IT administrator)")}//button[normalize-space(.)='Sign out']`);
  await signOut.waitForDisplayed({ timeout: 10_000 });
  await signOut.click();
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Sign out']")).click();
  await browser.waitUntil(async () => !(await (await browser.$(card("Mei Tanaka (IT administrator)"))).isExisting()), {
    timeout: 15_000,
    timeoutMsg: "Mei's account is still listed after signing out",
  });

  await (await browser.$(navItem("Vaults"))).click();
  await firstColumn(browser, "Recovery Services vaults in Contoso Production");
  assert.equal(await (await browser.$(withText("Fabrikam Trading Operations"))).isExisting(), false);
});

test("a person signs in through the system browser, and signs out", async () => {
  await (await browser.$(navItem("Accounts"))).click();
  await (await browser.$("//button[normalize-space(.)='Add account']")).click();
  await (await browser.$("//*[@role='dialog']//label[normalize-space(.)='Browser']")).click();
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Sign in']")).click();
  // $BROWSER is the journeys' stand-in browser: it signs Kenji in on the sandbox's page.
  const kenji = await browser.$(card("Kenji Sato (support engineer)"));
  await kenji.waitForDisplayed({ timeout: 30_000, timeoutMsg: "Kenji's account never appeared" });
  const text = await kenji.getText();
  assert.match(text, /kenji\.sato@contoso\.com/);
  assert.match(text, /Browser/);
  assert.match(text, /Remembered in the keyring/);

  await (await browser.$(`${card("Kenji Sato (support engineer)")}//button[normalize-space(.)='Sign out']`)).click();
  await (await browser.$("//*[@role='dialog']//button[normalize-space(.)='Sign out']")).click();
  await browser.waitUntil(async () => !(await (await browser.$(card("Kenji Sato (support engineer)"))).isExisting()), {
    timeout: 15_000,
    timeoutMsg: "Kenji's account is still listed after signing out",
  });
});

/** Every file under `dir`, skipping `except`. */
function filesUnder(dir, except) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full.startsWith(except)) continue;
    if (entry.isDirectory()) found.push(...filesUnder(full, except));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}

test("no secret or token was written anywhere in the app's home, WebView data included", async () => {
  const home = process.env.HOME;
  const dataDir = path.join(process.env.XDG_DATA_HOME, "dev.safehold.desktop");
  // The simulated cloud keeps its own credentials in its folder; everything else is Safehold's,
  // the WebView's, or the keyring's (which encrypts what it keeps).
  const sandboxDir = path.join(dataDir, "sandbox");
  const secret = JSON.parse(readFileSync(path.join(sandboxDir, "credentials.json"), "utf8")).client_secret;
  const needles = [
    ["plain", Buffer.from(secret, "utf8")],
    ["UTF-16", Buffer.from(secret, "utf16le")],
    ["base64", Buffer.from(Buffer.from(secret).toString("base64"))],
  ];
  const jwt = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}/;
  const problems = [];
  const files = filesUnder(home, sandboxDir);
  assert.ok(files.length > 0, `nothing under ${home}`);
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const [form, needle] of needles) {
      if (bytes.includes(needle)) problems.push(`the client secret (${form}) in ${file}`);
    }
    if (jwt.test(bytes.toString("latin1"))) problems.push(`something shaped like a token in ${file}`);
  }
  assert.deepEqual(problems, []);
});
