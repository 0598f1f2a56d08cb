#!/usr/bin/env node
// The "system browser" of the journeys (the app opens it through $BROWSER): it opens the sandbox's
// authorize page, signs in as the person named in SAFEHOLD_E2E_BROWSER_UPN, and follows the
// redirect back to the app's loopback listener, as a person clicking through would.
import { sandboxRequest as send } from "./sandbox-http.js";

const url = process.argv[2];
const upn = process.env.SAFEHOLD_E2E_BROWSER_UPN ?? "kenji.sato@contoso.com";

const page = await send(url);
const form = {};
for (const match of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
  form[match[1]] = match[2].replaceAll("&amp;", "&");
}
const button = page.text.match(new RegExp(`value="([^"]+)" data-upn="${upn.replaceAll(".", "\\.")}"`));
if (!button) {
  console.error(`the sign-in page offers no ${upn}`);
  process.exit(1);
}
form.user = button[1];
const consent = await send(url.split("?")[0], { method: "POST", form });
if (!consent.location) {
  console.error(`the sign-in page did not redirect: ${consent.status} ${consent.text}`);
  process.exit(1);
}
await send(consent.location);
