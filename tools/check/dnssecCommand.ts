/** `npm run check -- dnssec <domain>`: whether the DS is at the parent, the chain validates, and DANE is live. */

import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { normalizeMailDomain } from "../../baseline/dns/domainName";
import { InvalidArgumentError, Option, parseCommandLine, toolCommand } from "../cli/command";
import { secondsValue } from "../cli/optionValues";
import { checkDnssec, renderDnssecReport } from "./dnssec";
import { levelOrder } from "./levels";

const defaultTimeoutSeconds = 20;

function domainValue(text: string): string {
  const normalized = normalizeMailDomain(text);
  if (normalized.domain === undefined) throw new InvalidArgumentError(normalized.errors.join("; "));
  return normalized.domain;
}

/** "ip", "ip:port" or "[ipv6]:port". */
function resolverValue(text: string): string {
  const withPort = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d{1,5})$/i.exec(text);
  const ip = withPort ? (withPort[1] ?? withPort[2]!) : text;
  const port = withPort ? Number(withPort[3]) : 53;
  if (isIP(ip) === 0 || port < 1 || port > 65535) throw new InvalidArgumentError(`${JSON.stringify(text.slice(0, 60))} is not "ip", "ip:port" or "[ipv6]:port"`);
  return text;
}

/** A trust-anchors file as delv reads it (named.conf syntax), e.g. a lab root's. */
function trustAnchorValue(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!/^\s*trust-anchors\s*\{[\s\S]*\}\s*;\s*$/.test(text) || !/(static|initial)-(ds|key)\s/.test(text)) {
    throw new InvalidArgumentError(`${file} is not a trust-anchors { ... }; file with a static-ds, static-key, initial-ds or initial-key entry`);
  }
  return file;
}

export function dnssecCommand(usageExit: number) {
  return toolCommand(
    "npm run check -- dnssec",
    "Validates, as a DANE-using sender would, the domain's DS at its parent, its zone keys from the root, and the TLSA records of its mail host (_25._tcp.mail.<domain>), with BIND's delv.",
  )
    .argument("<domain>", "the tenant's mail domain", domainValue)
    .option("--json", "one JSON document on stdout, for monitoring systems", false)
    .option("--resolver <address>", "the resolver to ask: ip, ip:port or [ipv6]:port (default: the system's)", resolverValue)
    .option("--trust-anchor <file>", "validate from this trust-anchors file instead of the real root's key (labs)", trustAnchorValue)
    .addOption(new Option("--timeout <seconds>", "per lookup").argParser(secondsValue(1, 300)).default(defaultTimeoutSeconds))
    .addHelpText(
      "after",
      "\nLevels: ok when DS, keys and TLSA all validate (DANE is live); warning when the DS is not at the parent yet, the zone is unsigned " +
        "or has no TLSA record; critical when a validation fails (the zone is bogus: validating resolvers refuse all of it); " +
        `unreachable when the resolver gives no answer.\nExit codes: ${levelOrder.map((l, i) => `${i} ${l}`).join(", ")}, ${usageExit} bad usage.`,
    );
}

export async function runDnssecCommand(argv: string[], usageExit: number): Promise<number> {
  const command = dnssecCommand(usageExit);
  const parsed = parseCommandLine(command, argv, usageExit);
  if (!parsed.ok) return parsed.exitCode;
  const [domain] = command.processedArgs as [string];
  const options = command.opts<{ json: boolean; resolver?: string; trustAnchor?: string; timeout: number }>();
  const report = await checkDnssec({
    domain,
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.trustAnchor ? { trustAnchorFile: options.trustAnchor } : {}),
    timeoutMs: options.timeout * 1000,
  });
  console.log(options.json ? JSON.stringify(report, null, 2) : renderDnssecReport(report));
  return report.exitCode;
}
