/** DNS-01 through Cloudflare's REST API (v4), with a token scoped to the zone's DNS. */

import { isTransientNetworkError, parseRetryAfter, retryTransient, TransientError, transientRetryPolicy } from "../retry";
import { discoverAuthoritativeServers } from "./nameservers";
import type { CloudflareSolverConfig, Dns01Solver } from "./solver";
import { assertChallengeValue } from "./txtRecord";

export const cloudflareApiBaseUrl = "https://api.cloudflare.com/client/v4";

/** Cloudflare's lowest TTL outside Enterprise plans; a challenge record lives for seconds. */
const challengeTtlSeconds = 60;
const requestTimeoutMs = 30_000;
/** "An identical record already exists": a retried publish after a lost response. */
const identicalRecordExists = 81058;

interface Envelope<T> {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: T;
}

interface DnsRecord {
  id: string;
  content: string;
}

export class CloudflareApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly codes: readonly number[],
  ) {
    super(message);
    this.name = "CloudflareApiError";
  }
}

export function createCloudflareSolver(config: CloudflareSolverConfig): Dns01Solver {
  const base = (config.apiBaseUrl ?? cloudflareApiBaseUrl).replace(/\/+$/, "");
  const recordsPath = `/zones/${encodeURIComponent(config.zoneId)}/dns_records`;
  const recordIds = new Map<string, string>();
  const key = (name: string, value: string) => `${name} ${value}`;

  async function call<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const what = `Cloudflare API ${method} ${pathAndQuery}`;
    return retryTransient(transientRetryPolicy, async () => {
      let response: Response;
      try {
        response = await fetch(`${base}${pathAndQuery}`, {
          method,
          headers: {
            Authorization: `Bearer ${config.apiToken}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        if (isTransientNetworkError(error) || (error as Error).name === "TimeoutError") {
          throw new TransientError(`${what}: ${reason}`);
        }
        throw new Error(`${what}: ${reason}`);
      }
      const envelope = (await response.json().catch(() => ({}))) as Envelope<T>;
      if (response.ok && envelope.success !== false) return envelope.result as T;
      const errors = envelope.errors ?? [];
      const detail = errors.map((e) => `${e.code ?? "?"} ${e.message ?? ""}`.trim()).join("; ") || response.statusText;
      const failure = new CloudflareApiError(`${what}: HTTP ${response.status}: ${detail}`, response.status, errors.map((e) => e.code ?? 0));
      if (response.status === 429 || response.status >= 500) {
        throw new TransientError(failure.message, parseRetryAfter(response.headers.get("retry-after")), failure);
      }
      throw failure;
    });
  }

  async function findRecordIds(name: string, value: string): Promise<string[]> {
    const query = new URLSearchParams({ type: "TXT", name, per_page: "100" });
    const records = await call<DnsRecord[]>("GET", `${recordsPath}?${query}`);
    return records.filter((r) => unquote(r.content) === value).map((r) => r.id);
  }

  return {
    async publishTxt(name, value) {
      assertChallengeValue(value);
      try {
        const created = await call<DnsRecord>("POST", recordsPath, {
          type: "TXT",
          name,
          // Cloudflare wants TXT content as quoted character strings (RFC 1035).
          content: `"${value}"`,
          ttl: challengeTtlSeconds,
          comment: "ACME DNS-01 challenge, removed after validation",
        });
        recordIds.set(key(name, value), created.id);
      } catch (error) {
        if (!(error instanceof CloudflareApiError && error.codes.includes(identicalRecordExists))) throw error;
        const [existing] = await findRecordIds(name, value);
        if (existing !== undefined) recordIds.set(key(name, value), existing);
      }
    },
    async removeTxt(name, value) {
      assertChallengeValue(value);
      const known = recordIds.get(key(name, value));
      const ids = known !== undefined ? [known] : await findRecordIds(name, value);
      for (const id of ids) {
        try {
          await call<unknown>("DELETE", `${recordsPath}/${encodeURIComponent(id)}`);
        } catch (error) {
          // Gone already (removed by hand, or by an earlier attempt whose response was lost).
          if (!(error instanceof CloudflareApiError && error.status === 404)) throw error;
        }
      }
      recordIds.delete(key(name, value));
    },
    defaultNameservers: (name) => discoverAuthoritativeServers(name),
  };
}

function unquote(content: string): string {
  return content.replace(/^"(.*)"$/, "$1");
}
