/**
 * An acme-client Client whose HTTP requests trust the configured CA, time out, retry transient
 * failures within a bound, and fail with the server's problem document intact.
 */

import type * as Acme from "acme-client";
import { AcmeProblemError, type AcmeProblem } from "./problems";
import { isTransientNetworkError, parseRetryAfter, retryTransient, TransientError, transientRetryPolicy } from "./retry";

export interface AcmeConnectionOptions {
  readonly directoryUrl: string;
  readonly accountKeyPem: string;
  /** Extra CA to trust for the ACME server's HTTPS (a test CA such as the lab's Pebble). */
  readonly directoryCaPem?: string;
  /** The account's URL when it is known: requests are signed for it without looking it up. */
  readonly accountUrl?: string;
}

export interface AcmeConnection {
  readonly client: Acme.Client;
  readonly acme: typeof Acme;
  close(): void;
}

const requestTimeoutMs = 30_000;

interface HttpResponse {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}

/** acme-client's HTTP layer: every request passes `request`, every signed one asks `getNonce` first. */
interface AcmeHttpClient {
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<HttpResponse>;
  getNonce(): Promise<string>;
}

export function openAcmeConnection(options: AcmeConnectionOptions): AcmeConnection {
  const acme: typeof Acme = require("acme-client");
  const https: typeof import("node:https") = require("node:https");
  const tls: typeof import("node:tls") = require("node:tls");

  // acme-client's interceptors retry for as long as any Retry-After asks, and with retries off they
  // turn a dropped connection into a TypeError. Without them every HTTP status resolves (its
  // HttpClient asks for that) and the bounded retry below is the only one.
  acme.axios.interceptors.request.clear();
  acme.axios.interceptors.response.clear();

  const agent = new https.Agent({
    keepAlive: true,
    noDelay: true,
    ...(options.directoryCaPem ? { ca: [...tls.rootCertificates, options.directoryCaPem] } : {}),
  });
  const client = new acme.Client({
    directoryUrl: options.directoryUrl,
    accountKey: options.accountKeyPem,
    ...(options.accountUrl ? { accountUrl: options.accountUrl } : {}),
  });
  const http = (client as unknown as { http: AcmeHttpClient }).http;
  const send = http.request.bind(http);
  const fetchNonce = http.getNonce.bind(http);
  // Every ACME response carries a fresh nonce (RFC 8555 section 7.2); using those saves the HEAD
  // request acme-client would send before each POST.
  const nonces: string[] = [];
  http.getNonce = async () => nonces.pop() ?? fetchNonce();

  http.request = (url, method, opts = {}) =>
    retryTransient(transientRetryPolicy, async () => {
      const what = `${method.toUpperCase()} ${url}`;
      let response: HttpResponse;
      try {
        response = await send(url, method, { ...opts, httpsAgent: agent, timeout: requestTimeoutMs });
      } catch (error) {
        const reason = describeRequestError(error);
        if (isTransientNetworkError(error)) throw new TransientError(`${what}: ${reason}`);
        throw new Error(`${what}: ${reason}`);
      }
      const nonce = response.headers["replay-nonce"];
      // A HEAD is acme-client's own nonce request, and a bad-nonce answer's nonce it retries with itself.
      if (typeof nonce === "string" && method.toLowerCase() !== "head" && !isBadNonce(response)) nonces.push(nonce);
      if (response.status < 400 || isBadNonce(response)) return response;
      const problem = asProblem(response);
      const retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
      const failure = new AcmeProblemError(problem, retryAfterMs);
      if (response.status === 429 || response.status >= 500) throw new TransientError(`${what}: ${failure.message}`, retryAfterMs, failure);
      throw failure;
    });

  return { client, acme, close: () => agent.destroy() };
}

/** acme-client answers a bad nonce itself, with a fresh one. */
function isBadNonce(response: HttpResponse): boolean {
  return response.status === 400 && (response.data as { type?: unknown } | null)?.type === "urn:ietf:params:acme:error:badNonce";
}

function asProblem(response: HttpResponse): AcmeProblem {
  const data = response.data;
  if (data !== null && typeof data === "object" && ("type" in data || "detail" in data)) return data as AcmeProblem;
  return { status: response.status, detail: `HTTP ${response.status} without a problem document` };
}

function describeRequestError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return `the ACME server's certificate is not trusted (${code}); a test CA must be given as directoryCaPem`;
  }
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
