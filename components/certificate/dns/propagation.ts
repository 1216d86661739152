/** Waits until every authoritative server answers a TXT query with the challenge value. */

export interface PropagationWait {
  readonly name: string;
  readonly value: string;
  /** "ip", "ip:port", "ipv6" or "[ipv6]:port" (the forms node:dns accepts). */
  readonly nameservers: readonly string[];
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

export class RecordNotVisibleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordNotVisibleError";
  }
}

const queryTimeoutMs = 2_000;

export async function waitForTxtRecord(wait: PropagationWait): Promise<void> {
  const dns: typeof import("node:dns") = require("node:dns");
  if (wait.nameservers.length === 0) throw new RecordNotVisibleError(`no name servers to check ${wait.name} at`);
  const resolvers = wait.nameservers.map((server) => {
    const resolver = new dns.promises.Resolver({ timeout: queryTimeoutMs, tries: 1 });
    resolver.setServers([server]);
    return { server, resolver };
  });
  const deadline = Date.now() + wait.timeoutMs;
  for (;;) {
    const answers = await Promise.all(
      resolvers.map(async ({ server, resolver }) => {
        try {
          const records = await resolver.resolveTxt(wait.name);
          const values = records.map((chunks) => chunks.join(""));
          return { server, visible: values.includes(wait.value), seen: values.length === 0 ? "no TXT records" : `${values.length} other TXT value(s)` };
        } catch (error) {
          return { server, visible: false, seen: describeAnswer(error) };
        }
      }),
    );
    const missing = answers.filter((answer) => !answer.visible);
    if (missing.length === 0) return;
    if (Date.now() + (wait.intervalMs ?? 250) > deadline) {
      const where = missing.map((m) => `${m.server} (${m.seen})`).join(", ");
      throw new RecordNotVisibleError(
        `the TXT record ${wait.name} was not visible at ${where} within ${Math.round(wait.timeoutMs / 1000)} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait.intervalMs ?? 250));
  }
}

function describeAnswer(error: unknown): string {
  const code = (error as { code?: string }).code;
  const meanings: Record<string, string> = {
    ENOTFOUND: "no such name",
    ENODATA: "no TXT records",
    ECONNREFUSED: "connection refused",
    ETIMEOUT: "no answer",
    EREFUSED: "query refused",
    ESERVFAIL: "server failure",
  };
  return (code !== undefined && meanings[code]) || code || String(error);
}
