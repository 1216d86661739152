/**
 * `npm run check -- <host>`: the certificates a live mail host presents, and how soon they expire.
 * `npm run check -- dnssec <domain>`: whether DNSSEC and DANE are live for a domain (dnssecCommand.ts).
 */

import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { certificateExpiryLevels } from "../../baseline/tls";
import { InvalidArgumentError, Option, parseCommandLine, toolCommand } from "../cli/command";
import { secondsValue } from "../cli/optionValues";
import { checkHost } from "./checkHost";
import { runDnssecCommand } from "./dnssecCommand";
import { levelOrder } from "./levels";
import { renderReport } from "./renderReport";
import { checkedServices } from "./services";

const defaultTimeoutSeconds = 10;
/** sysexits' EX_USAGE: 0-4 are the levels. */
const usageExit = 64;

function hostValue(text: string): string {
  if (!(/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(text) || isIP(text) !== 0)) {
    throw new InvalidArgumentError(`${JSON.stringify(text.slice(0, 60))} is not a host name or IP address`);
  }
  return text;
}

function portValue(text: string, previous: Record<string, number>): Record<string, number> {
  const match = /^([a-z]+)=([1-9][0-9]{0,4})$/.exec(text);
  const port = match ? Number(match[2]) : 0;
  if (!match || !checkedServices.some((s) => s.name === match[1]) || port > 65535) {
    throw new InvalidArgumentError(`expected SERVICE=PORT with SERVICE one of ${checkedServices.map((s) => s.name).join(", ")} and a port from 1 to 65535`);
  }
  return { ...previous, [match[1]!]: port };
}

function addressValue(text: string): string {
  if (isIP(text) === 0) throw new InvalidArgumentError(`${JSON.stringify(text.slice(0, 60))} is not an IP address`);
  return text;
}

/** A CA file must hold at least one PEM certificate, and nothing that is not one. */
function caValue(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new InvalidArgumentError(`${file} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new InvalidArgumentError(`${file} holds a PEM block that is not a certificate`);
    }
  }
  return blocks.join("\n") + "\n";
}

const exitCodes = `Exit codes (worst level wins): ${levelOrder.map((l, i) => `${i} ${l}`).join(", ")}, ${usageExit} bad usage.`;

const command = toolCommand(
  "npm run check --",
  `Connects to the host's TLS listeners (${checkedServices.map((s) => `${s.name} ${s.port}${s.mode === "starttls" ? " STARTTLS" : ""}`).join(", ")}) and reports each certificate's names and days to expiry.`,
)
  .argument("<host>", "the mail host's name (SNI and certificate name)", hostValue)
  .option("--json", "one JSON document on stdout, for monitoring systems", false)
  .option("--port <service=port>", "check a service on another port (repeatable), e.g. --port smtp=2525", portValue, {})
  .option("--address <ip>", "connect to this address instead of resolving the host (SNI stays the host)", addressValue)
  .option("--mta-sts-host <name>", "the name HTTPS (443) answers to; default mta-sts.<domain> for mail.<domain>", hostValue)
  .addOption(new Option("--timeout <seconds>", "per connection").argParser(secondsValue(0.1, 300)).default(defaultTimeoutSeconds))
  .option("--ca <file>", "also trust this CA (PEM), e.g. a lab's test CA", caValue)
  .addHelpText(
    "after",
    `\nLevels: ${certificateExpiryLevels.map((l) => `${l.level} within ${l.withinDays} day${l.withinDays === 1 ? "" : "s"}`).join(", ")} of expiry;\n` +
      `an expired, untrusted or wrongly named certificate is critical; a listener that does not answer is unreachable.\n${exitCodes}\n` +
      "\nnpm run check -- dnssec <domain> [--resolver <ip>] checks the domain's DS, DNSSEC chain and TLSA records (--help for more).",
  );

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "dnssec") return runDnssecCommand(argv.slice(1), usageExit);
  const parsed = parseCommandLine(command, argv, usageExit);
  if (!parsed.ok) return parsed.exitCode;
  const [host] = command.processedArgs as [string];
  const options = command.opts<{ json: boolean; port: Record<string, number>; address?: string; mtaStsHost?: string; timeout: number; ca?: string }>();
  const report = await checkHost({
    host,
    ...(options.mtaStsHost ? { mtaStsHost: options.mtaStsHost } : {}),
    ...(options.address ? { address: options.address } : {}),
    ports: options.port,
    timeoutMs: options.timeout * 1000,
    ...(options.ca ? { caPem: options.ca } : {}),
  });
  console.log(options.json ? JSON.stringify(report, null, 2) : renderReport(report));
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
