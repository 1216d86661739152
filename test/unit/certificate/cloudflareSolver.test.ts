/**
 * The Cloudflare DNS-01 solver against a local stand-in for Cloudflare's API v4 that checks each
 * request the way the API documents it: method, path, bearer token, JSON body, envelope.
 */

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSolver } from "../../../components/certificate/dns/createSolver";

const zoneId = "0123456789abcdef0123456789abcdef";
const token = "cf-test-token-abcdefghijklmnopqrstuvwxyz0123";
const name = "_acme-challenge.mail.example.com";
const value = "Xj3kfT0sYp9QbW2n-L8rAeDcVz_1uHg4IoJ5mKq6RtE";

interface StoredRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  ttl: number;
}

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

let server: http.Server;
let baseUrl: string;
let records: StoredRecord[];
let seen: Seen[];
/** Requests still to fail with this status before the API behaves. */
let failNext: { status: number; retryAfter?: string }[];
let violations: string[];
let nextId = 1;

function send(res: http.ServerResponse, status: number, envelope: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(envelope));
}

function error(res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://local");
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      seen.push({ method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), body });

      if (req.headers.authorization !== `Bearer ${token}`) return error(res, 403, 10000, "Authentication error");
      const failure = failNext.shift();
      if (failure) {
        return error(res, failure.status, failure.status === 429 ? 971 : 10001, "try again", failure.retryAfter ? { "Retry-After": failure.retryAfter } : {});
      }
      const collection = `/client/v4/zones/${zoneId}/dns_records`;
      if (req.method === "POST" && url.pathname === collection) {
        if (req.headers["content-type"] !== "application/json") violations.push(`POST without JSON content type: ${req.headers["content-type"]}`);
        const b = body as Partial<StoredRecord>;
        if (b.type !== "TXT" || typeof b.name !== "string" || typeof b.content !== "string" || typeof b.ttl !== "number") {
          return error(res, 400, 9000, "invalid record");
        }
        if (!/^".*"$/.test(b.content)) violations.push(`TXT content not quoted: ${b.content}`);
        if (b.ttl !== 1 && (b.ttl < 60 || b.ttl > 86400)) violations.push(`TTL out of range: ${b.ttl}`);
        if (records.some((r) => r.name === b.name && r.content === b.content)) {
          return error(res, 400, 81058, "An identical record already exists.");
        }
        const record = { id: `rec${nextId++}`, type: b.type, name: b.name, content: b.content, ttl: b.ttl };
        records.push(record);
        return send(res, 200, { success: true, errors: [], messages: [], result: record });
      }
      if (req.method === "GET" && url.pathname === collection) {
        const matches = records.filter((r) => r.type === url.searchParams.get("type") && r.name === url.searchParams.get("name"));
        return send(res, 200, { success: true, errors: [], messages: [], result: matches, result_info: { count: matches.length } });
      }
      const one = new RegExp(`^${collection}/([^/]+)$`).exec(url.pathname);
      if (req.method === "DELETE" && one) {
        if (raw !== "") violations.push("DELETE with a body");
        const index = records.findIndex((r) => r.id === one[1]);
        if (index < 0) return error(res, 404, 81044, "Record does not exist.");
        records.splice(index, 1);
        return send(res, 200, { success: true, errors: [], messages: [], result: { id: one[1] } });
      }
      return error(res, 404, 7003, `no route for ${req.method} ${url.pathname}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  records = [];
  seen = [];
  failNext = [];
  violations = [];
});

const solver = (apiToken = token) => createSolver({ kind: "cloudflare", zoneId, apiToken, apiBaseUrl: baseUrl });

describe("Cloudflare DNS-01 solver", () => {
  it("creates the TXT record with a POST and deletes that record by id", async () => {
    const s = solver();
    await s.publishTxt(name, value);
    expect(records).toEqual([{ id: expect.any(String), type: "TXT", name, content: `"${value}"`, ttl: 60 }]);
    const id = records[0]!.id;
    await s.removeTxt(name, value);
    expect(records).toEqual([]);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /client/v4/zones/${zoneId}/dns_records`,
      `DELETE /client/v4/zones/${zoneId}/dns_records/${id}`,
    ]);
    expect(violations).toEqual([]);
  });

  it("removes a record it did not create itself by looking it up by type and name", async () => {
    await solver().publishTxt(name, value);
    await solver().publishTxt(name, "another-value-from-a-parallel-order");
    await solver().removeTxt(name, value);
    expect(records.map((r) => r.content)).toEqual(['"another-value-from-a-parallel-order"']);
    const lookup = seen.find((r) => r.method === "GET");
    expect(lookup?.query).toMatchObject({ type: "TXT", name });
    expect(violations).toEqual([]);
  });

  it("treats an identical existing record as published, and removing a missing record as done", async () => {
    const s = solver();
    await s.publishTxt(name, value);
    await solver().publishTxt(name, value);
    expect(records).toHaveLength(1);
    await s.removeTxt(name, value);
    await s.removeTxt(name, value);
    expect(records).toEqual([]);
  });

  it("retries a 429 and a 503 with backoff, then succeeds", async () => {
    failNext = [{ status: 429, retryAfter: "1" }, { status: 503 }];
    const started = Date.now();
    await solver().publishTxt(name, value);
    expect(records).toHaveLength(1);
    expect(seen.filter((r) => r.method === "POST")).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it("reports a rejected token with Cloudflare's error and never prints the token", async () => {
    const failure = await solver("wrong-token-abcdefghijklmnopqrstuvwxyz").publishTxt(name, value).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure?.message).toMatch(/POST .*dns_records: HTTP 403: 10000 Authentication error/);
    expect(failure?.message).not.toContain("wrong-token");
    expect(seen).toHaveLength(1);
  });

  it("refuses a TXT value that is not a key authorization digest before any request", async () => {
    await expect(solver().publishTxt(name, 'x" ; rm -rf /')).rejects.toThrow(/base64url/);
    expect(seen).toEqual([]);
  });
});
