/** `npm run check -- <host>`: the certificates a live mail host presents, and how soon they expire. */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { certificateExpiryLevels } from "../../baseline/tls";
import { checkHost } from "./checkHost";
import { levelOrder } from "./levels";
import { renderReport } from "./renderReport";
import { checkedServices } from "./services";

const defaultTimeoutSeconds = 10;
const usageExit = 64;

const usage = `usage: npm run check -- <host> [--json] [--port SERVICE=PORT ...] [--address IP] [--timeout SECONDS] [--ca FILE]

Connects to the host's TLS listeners (${checkedServices.map((s) => `${s.name} ${s.port}${s.mode === "starttls" ? " STARTTLS" : ""}`).join(", ")}),
and reports each certificate's names and days to expiry.
  --json              one JSON document on stdout, for monitoring systems
  --port NAME=PORT    check a service on another port (repeatable), e.g. --port smtp=2525
  --address IP        connect to this address instead of resolving the host (SNI stays the host)
  --timeout SECONDS   per connection (default ${defaultTimeoutSeconds})
  --ca FILE           also trust this CA (PEM), e.g. a lab's test CA
Levels: ${certificateExpiryLevels.map((l) => `${l.level} within ${l.withinDays} day${l.withinDays === 1 ? "" : "s"}`).join(", ")} of expiry;
an expired, untrusted or wrongly named certificate is critical; a listener that does not answer is unreachable.
Exit codes (worst level wins): ${levelOrder.map((l, i) => `${i} ${l}`).join(", ")}, ${usageExit} bad usage.`;

function fail(message: string): number {
  console.error(`${message}\n\n${usage}`);
  return usageExit;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean", default: false },
        port: { type: "string", multiple: true, default: [] },
        address: { type: "string" },
        timeout: { type: "string" },
        ca: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length !== 1) return fail("give exactly one host name");
  const host = positionals[0]!;
  if (!/^[A-Za-z0-9.-]+$|^[0-9a-fA-F:]+$/.test(host)) return fail(`${JSON.stringify(host)} is not a host name or IP address`);

  const ports: Record<string, number> = {};
  for (const entry of values.port) {
    const match = /^([a-z]+)=(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || !checkedServices.some((s) => s.name === match[1]) || port < 1 || port > 65535) {
      return fail(`--port ${entry}: expected SERVICE=PORT with SERVICE one of ${checkedServices.map((s) => s.name).join(", ")}`);
    }
    ports[match[1]!] = port;
  }
  const timeoutSeconds = values.timeout === undefined ? defaultTimeoutSeconds : Number(values.timeout);
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 300)) return fail("--timeout must be a number of seconds between 0 and 300");
  let caPem: string | undefined;
  if (values.ca !== undefined) {
    try {
      caPem = readFileSync(values.ca, "utf8");
    } catch (error) {
      return fail(`--ca ${values.ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  const report = await checkHost({
    host,
    ...(values.address ? { address: values.address } : {}),
    ports,
    timeoutMs: timeoutSeconds * 1000,
    ...(caPem ? { caPem } : {}),
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`check failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = levelOrder.indexOf("unreachable");
  },
);
