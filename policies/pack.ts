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
import { mailRoutingPolicies } from "./mailRouting";
import { tlsPolicies } from "./tls";
import { trustChainPolicies } from "./trustChain";

export const policyPackName = "mail-security-baseline";

export const policyPackDescription =
  "The penguinmails mail security baseline: key strengths, cloud firewall, droplet hygiene, Cloudflare TLS settings, " +
  "email-authentication DNS records (SPF, DKIM, DMARC, MTA-STS, TLS-RPT, CAA), the trust chain (DNSSEC, TLSA, CAA account binding, " +
  "pinned SSH host keys), and the host bundle's TLS listeners, SMTP relay rules, nftables ports, ban actions, resolver and mail routing.";

/** Grouped by service, one module each. */
export const policyGroups: ReadonlyArray<{ readonly service: string; readonly module: string; readonly policies: readonly MailPolicy[] }> = [
  { service: "TLS keys", module: "policies/tls.ts", policies: tlsPolicies },
  { service: "ACME certificates", module: "policies/acme.ts", policies: acmePolicies },
  { service: "DigitalOcean", module: "policies/digitalocean.ts", policies: digitaloceanPolicies },
  { service: "Cloudflare zone settings", module: "policies/cloudflare.ts", policies: cloudflarePolicies },
  { service: "Email-authentication DNS records", module: "policies/dns.ts", policies: dnsPolicies },
  { service: "Host bundle (Postfix, Dovecot, nginx, nftables)", module: "policies/hostBundle.ts", policies: hostBundlePolicies },
  { service: "Mail routing (report, alert and role addresses)", module: "policies/mailRouting.ts", policies: mailRoutingPolicies },
  { service: "Trust chain (DANE, DNSSEC, CAA account binding, SSH host keys)", module: "policies/trustChain.ts", policies: trustChainPolicies },
];

export const mailSecurityPolicies: readonly MailPolicy[] = policyGroups.flatMap((group) => group.policies);
