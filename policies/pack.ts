/**
 * The policy pack's name and its policies, in the order the analyzer runs them. Tests and the
 * in-process runner import this module; only index.ts constructs the PolicyPack (which starts the
 * analyzer's gRPC server).
 */

import { acmePolicies } from "./acme";
import { cloudflarePolicies } from "./cloudflare";
import type { MailPolicy } from "./common";
import { digitaloceanPolicies } from "./digitalocean";
import { dnsPolicies } from "./dns";
import { hostBundlePolicies } from "./hostBundle";
import { tlsPolicies } from "./tls";

export const policyPackName = "mail-security-baseline";

export const policyPackDescription =
  "The penguinmails mail security baseline: key strengths, cloud firewall, droplet hygiene, Cloudflare TLS settings and " +
  "email-authentication DNS records (SPF, DKIM, DMARC, MTA-STS, TLS-RPT, CAA), and the host bundle's TLS listeners, SMTP relay " +
  "rules and nftables ports.";

/** Grouped by service, one module each. */
export const policyGroups: ReadonlyArray<{ readonly service: string; readonly module: string; readonly policies: readonly MailPolicy[] }> = [
  { service: "TLS keys", module: "policies/tls.ts", policies: tlsPolicies },
  { service: "ACME certificates", module: "policies/acme.ts", policies: acmePolicies },
  { service: "DigitalOcean", module: "policies/digitalocean.ts", policies: digitaloceanPolicies },
  { service: "Cloudflare zone settings", module: "policies/cloudflare.ts", policies: cloudflarePolicies },
  { service: "Email-authentication DNS records", module: "policies/dns.ts", policies: dnsPolicies },
  { service: "Host bundle (Postfix, Dovecot, nginx, nftables)", module: "policies/hostBundle.ts", policies: hostBundlePolicies },
];

export const mailSecurityPolicies: readonly MailPolicy[] = policyGroups.flatMap((group) => group.policies);
