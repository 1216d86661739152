/**
 * Transient failures between the provider and the CA: an HTTPS proxy in front of Pebble answers
 * some requests with 503, drops a connection, or rate-limits, before passing the rest through.
 */

import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { acmeCertificateProvider as provider } from "../../../components/certificate/provider";
import { createListenerCertificate, startAcmeLab, type AcmeLab } from "../../../tools/lab/acme";
import { labInputs } from "../../support/certificate/fixtures";

/** "lost" passes the request to Pebble, then drops the connection instead of answering. */
type Fault = "503" | "reset" | "lost" | "429-long" | "429-short";

let lab: AcmeLab | undefined;
let proxy: https.Server | undefined;
let proxyUrl: string;
let proxyCaPem: string;
let dir: string | undefined;
/** Faults to inject, in order, into requests whose path starts with the key. */
let faults: Map<string, Fault[]>;
let requests: string[];

function problem(res: import("node:http").ServerResponse, status: number, type: string, detail: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/problem+json", ...headers });
  res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${type}`, detail, status }));
}

beforeAll(async () => {
  lab = await startAcmeLab();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-proxy-"));
  const listener = createListenerCertificate(dir);
  proxyCaPem = listener.caPem;
  const pebble = new URL(lab.directoryUrl);
  proxy = https.createServer({ key: fs.readFileSync(listener.keyFile), cert: fs.readFileSync(listener.certificateFile) }, (req, res) => {
    const url = req.url ?? "/";
    requests.push(`${req.method} ${url.split("/")[1]}`);
    const key = [...faults.keys()].find((prefix) => url.startsWith(prefix));
    const fault = key ? faults.get(key)!.shift() : undefined;
    if (fault === "503") return problem(res, 503, "serverInternal", "the CA is restarting");
    if (fault === "reset") return req.socket.destroy();
    if (fault === "429-long") return problem(res, 429, "rateLimited", "too many certificates already issued", { "Retry-After": "3600" });
    if (fault === "429-short") return problem(res, 429, "rateLimited", "slow down", { "Retry-After": "1" });
    // The Host header stays the proxy's: Pebble builds its URLs, and checks the signed ones, from it.
    const upstream = https.request(
      { host: pebble.hostname, port: pebble.port, method: req.method, path: url, headers: req.headers, ca: lab!.caPem, servername: "localhost" },
      (answer) => {
        if (fault === "lost") {
          answer.resume();
          answer.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, "127.0.0.1", resolve));
  proxyUrl = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/dir`;
}, 60_000);

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await lab?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  faults = new Map();
  requests = [];
});

async function create() {
  const checked = await provider.check!({}, labInputs(lab!, { directory: proxyUrl, directoryCaPem: proxyCaPem }));
  expect(checked.failures).toEqual([]);
  return provider.create(checked.inputs);
}

describe("transient failures", () => {
  it("retries a 503, a dropped connection and a short rate limit with backoff, and issues", async () => {
    faults.set("/order-plz", ["503", "429-short"]);
    faults.set("/finalize-order", ["reset"]);
    const started = Date.now();
    const created = await create();
    expect(created.outs.serial).toBe(created.id);
    expect(requests.filter((r) => r === "POST order-plz")).toHaveLength(3);
    expect(requests.filter((r) => r === "POST finalize-order")).toHaveLength(2);
    // Waited for the 1 s Retry-After, not just the backoff.
    expect(Date.now() - started).toBeGreaterThan(1_000);
  }, 60_000);

  it("takes a challenge or finalization whose answer was lost, and whose retry the CA refuses, as done", async () => {
    faults.set("/chalZ/", ["lost"]);
    faults.set("/finalize-order", ["lost"]);
    const created = await create();
    expect(created.outs.serial).toBe(created.id);
    // Each retry reuses a spent nonce; acme-client re-signs after the CA's badNonce, then the CA refuses the repeat.
    expect(requests.filter((r) => r === "POST chalZ").length).toBeGreaterThan(2);
    expect(requests.filter((r) => r === "POST finalize-order").length).toBeGreaterThan(1);
  }, 60_000);

  it("fails at once, naming the rate limit and when to retry, when the CA asks for a longer wait than the bound", async () => {
    faults.set("/order-plz", ["429-long"]);
    const started = Date.now();
    const error = await create().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error?.message).toMatch(
      /^certificate for mail\.acme\.test, mta-sts\.acme\.test: placing the order failed: the CA's rate limit was reached \(urn:ietf:params:acme:error:rateLimited\): too many certificates already issued; the CA says to retry after \d{4}-\d\d-\d\dT/,
    );
  }, 60_000);
});
