/**
 * What an operator runs after `tenant:new`, as exact commands: create the stack, set its secrets
 * (each read from a prompt or a pipe, never from the command line, so none lands in the shell's
 * history), have DigitalOcean open port 25, check and preview, and the DS record once the zone
 * is signed.
 */

import { shellQuote } from "../../hostBundle/apply/shellQuote";
import { configNamespace, secretConfigKeys } from "../../tenant/tenantConfig";
import type { NewTenant } from "./stackFile";

/** Cloudflare's DNSSEC resource: when the program declares it, the registrar needs the zone's DS record. */
export const zoneDnssecType = "cloudflare:index/zoneDnssec:ZoneDnssec";
/** The stack output that holds the DS record, where the program exports it. */
export const dsRecordOutput = "dnssecDsRecord";

export interface NextStepsInput {
  readonly tenant: NewTenant;
  readonly stackFile: string;
  /** The file the mailbox hashes came from, to pipe each one into pulumi. */
  readonly mailboxHashFile?: string;
  /** The program declares DNSSEC for the zone, and whether it exports the DS record as a stack output. */
  readonly zoneSigned: boolean;
  readonly dsRecordOutput: boolean;
}

export function renderNextSteps(input: NextStepsInput): string {
  const { tenant } = input;
  const stack = `--stack ${shellQuote(tenant.stack)}`;
  const secret = (key: string, what: string) => [`     pulumi config set ${stack} --secret ${key}`, `       # prompts for ${what}`];
  const steps: string[][] = [
    ["Create the stack in your Pulumi backend (after `pulumi login`); it keeps the file as written:", `     pulumi stack init ${shellQuote(tenant.stack)}`],
    [
      "Set the stack's secrets; pulumi encrypts each into the stack file:",
      ...secret(`${configNamespace}:${secretConfigKeys.acmeDnsApiToken}`, `a Cloudflare API token with Zone / DNS / Edit on zone ${tenant.cloudflareZoneId} only (ACME DNS-01 challenges)`),
      ...secret("cloudflare:apiToken", "the Cloudflare API token Pulumi manages the zone's records and settings with"),
      ...secret("digitalocean:token", "the DigitalOcean API token Pulumi creates the droplet and firewall with"),
      ...tenant.mailboxes.flatMap((address, i) => [
        `     awk -F: -v a=${shellQuote(address)} '$1 == a { sub(/^[^:]*:/, ""); printf "%s", $0; exit }' ${shellQuote(input.mailboxHashFile ?? "HASH-FILE")} \\`,
        `       | pulumi config set ${stack} --secret --path ${shellQuote(`${configNamespace}:mailboxes[${i}].passwordHash`)}`,
      ]),
    ],
    [
      "Ask DigitalOcean support to lift the SMTP block on the account (Support -> Contact -> \"Unblock SMTP port 25\"):",
      "     new accounts cannot send to port 25, so no mail leaves the droplet until they do.",
    ],
    [
      "Check the stack offline, boot it in the lab and probe it from outside (as root; needs no account nor secret), then preview it against the cloud with the policy pack:",
      `     npm run plan -- ${stack}`,
      `     sudo npm run lab -- ${stack}`,
      `     pulumi preview ${stack} --diff --policy-pack policies`,
    ],
  ];
  if (input.zoneSigned) {
    steps.push([
      "After the first `pulumi up`, publish the zone's DS record at the domain's registrar:",
      input.dsRecordOutput
        ? `     pulumi stack output ${stack} ${dsRecordOutput}`
        : `     Cloudflare shows it under DNS -> Settings -> DNSSEC for ${tenant.domain}`,
      "     until the registrar publishes it, resolvers treat the zone as unsigned and DANE protects nothing.",
    ]);
  }
  return [`Wrote ${input.stackFile} (stack ${tenant.stack}). Next:`, "", ...steps.flatMap((lines, i) => [`  ${i + 1}. ${lines[0]}`, ...lines.slice(1), ""])].join("\n").trimEnd();
}
