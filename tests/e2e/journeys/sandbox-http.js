// Plain HTTP(S) to the app's embedded sandbox, trusting only its CA (kept in the app's data
// folder): what a person's browser on "another device" does in the journeys.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";

/** The sandbox's CA, from the app's data folder. */
function sandboxCa() {
  const dataDir = path.join(process.env.XDG_DATA_HOME, "dev.safehold.desktop");
  return readFileSync(path.join(dataDir, "sandbox", "ca.pem"));
}

/** Sends a request (a form when given) and resolves to its status, `location` and text. */
export function sandboxRequest(url, { method = "GET", form } = {}) {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method,
        ca: sandboxCa(),
        headers: body ? { "content-type": "application/x-www-form-urlencoded" } : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode, location: res.headers.location, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
