/** Policies for DigitalOcean resources: cloud firewalls, droplets and SSH keys. */

import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { cidrCoversEverything, coveredAddressCounts, ipv4TranslationRangeOf, parseCidr, type Cidr } from "../baseline/cidr";
import { sshRsaMinimumBits } from "../baseline/keys";
import { allowedInboundPorts, portNumbers, sshPort, sshSourceAddressLimit } from "../baseline/network";
import { parseSshPublicKey } from "../baseline/sshPublicKey";
import {
  asArray,
  describeResource,
  policyConfig,
  PreviewUnknowns,
  quote,
  validateTypes,
  type MailResourcePolicy,
  type MailStackPolicy,
} from "./common";

export const dropletType = "digitalocean:index/droplet:Droplet";
export const firewallType = "digitalocean:index/firewall:Firewall";
export const sshKeyType = "digitalocean:index/sshKey:SshKey";

/** Highest port number; a range reaching it from 1 is how DigitalOcean spells "every port". */
const maximumPort = 65535;

interface FirewallRule {
  protocol?: string;
  portRange?: string;
  action?: string;
  sourceAddresses?: string[];
}

interface FirewallProps {
  inboundRules?: FirewallRule[];
  tags?: string[];
  dropletIds?: number[];
}

interface DropletProps {
  userData?: string;
  monitoring?: boolean;
  ipv6?: boolean;
  tags?: string[];
}

/** The ports a rule opens: one port, an inclusive range, or every port ("0", "all", missing). */
type PortSpec = { kind: "single"; port: number } | { kind: "range"; from: number; to: number } | { kind: "all" } | { kind: "invalid"; text: string };

export function parsePortRange(portRange: unknown): PortSpec {
  if (portRange === undefined || portRange === null || portRange === "" || portRange === "0" || portRange === "all") return { kind: "all" };
  const text = String(portRange).trim();
  const single = /^(\d{1,5})$/.exec(text);
  if (single) {
    const port = Number(single[1]);
    return port >= 1 && port <= maximumPort ? { kind: "single", port } : { kind: "invalid", text };
  }
  const range = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(text);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (from < 1 || to > maximumPort || from > to) return { kind: "invalid", text };
    if (from === to) return { kind: "single", port: from };
    return from === 1 && to === maximumPort ? { kind: "all" } : { kind: "range", from, to };
  }
  return { kind: "invalid", text };
}

function portSpecIncludes(spec: PortSpec, port: number): boolean {
  switch (spec.kind) {
    case "single":
      return spec.port === port;
    case "range":
      return spec.from <= port && port <= spec.to;
    case "all":
      return true;
    case "invalid":
      return false;
  }
}

/** A rule that admits traffic: DigitalOcean rules allow unless their action is "deny". */
function allows(rule: FirewallRule): boolean {
  return rule.action === undefined || rule.action === null || String(rule.action).toLowerCase() !== "deny";
}

function ruleLabel(index: number, rule: FirewallRule): string {
  return `inbound rule ${index + 1} (${rule.protocol ?? "?"} ${rule.portRange ?? "all ports"})`;
}

// ------------------------------------------------------------------------------------------------

interface InboundPortsConfig {
  allowedTcpPorts: number[];
  allowedUdpPorts: number[];
  allowIcmp: boolean;
}

const allowedList = (ports: readonly number[], protocol: string): string => (ports.length > 0 ? ports.join(", ") : `no ${protocol} port is allowed`);


const inboundPortsSchema: PolicyConfigSchema = {
  properties: {
    allowedTcpPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: maximumPort },
      uniqueItems: true,
      default: portNumbers(allowedInboundPorts, "tcp"),
      description: "TCP ports an inbound rule may open (the baseline's mail, HTTPS and SSH ports).",
    },
    allowedUdpPorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: maximumPort },
      uniqueItems: true,
      default: portNumbers(allowedInboundPorts, "udp"),
      description: "UDP ports an inbound rule may open.",
    },
    allowIcmp: { type: "boolean", default: false, description: "Whether inbound ICMP rules are allowed." },
  },
};

export const firewallInboundPorts: MailResourcePolicy = {
  name: "digitalocean-firewall-inbound-ports",
  description: `Cloud firewalls open only the baseline's inbound ports (${allowedInboundPorts.map((rule) => `${rule.port}/${rule.protocol}`).join(", ")}), one port per rule.`,
  enforcementLevel: "mandatory",
  configSchema: inboundPortsSchema,
  rationale:
    "Every open port is attack surface; a mail host needs only its mail, IMAPS, HTTPS (MTA-STS) and SSH ports. Port ranges " +
    "open more than anyone reviewed, so each rule names exactly one port.",
  remediationSteps: "Remove the rule, or narrow it to one allowed port per rule (portRange \"25\", not \"1-65535\").",
  validateResource: validateTypes<FirewallProps>([firewallType], (firewall, args, reportViolation) => {
    const config = policyConfig<InboundPortsConfig>(inboundPortsSchema, args);
    const unknowns = new PreviewUnknowns();
    asArray(firewall.inboundRules).forEach((value, index) =>
      unknowns.attempt(() => {
        const rule = value as FirewallRule;
        if (!allows(rule)) return;
        const protocol = String(rule.protocol ?? "").toLowerCase();
        const label = ruleLabel(index, rule);
        if (protocol === "icmp") {
          if (!config.allowIcmp) reportViolation(`${label} admits ICMP, which the baseline does not open. Fix: remove the rule.`);
          return;
        }
        const allowed = protocol === "tcp" ? config.allowedTcpPorts : protocol === "udp" ? config.allowedUdpPorts : undefined;
        if (!allowed) {
          reportViolation(`${label}: protocol ${quote(rule.protocol)} is not tcp, udp or icmp. Fix: name one of them.`);
          return;
        }
        const spec = parsePortRange(rule.portRange);
        if (spec.kind === "invalid") {
          reportViolation(`${label}: portRange ${quote(spec.text)} is not a port number. Fix: name one allowed port.`);
        } else if (spec.kind === "all") {
          reportViolation(`${label} opens every ${protocol} port. Fix: one rule per allowed port (${allowedList(allowed, protocol)}).`);
        } else if (spec.kind === "range") {
          reportViolation(`${label} opens the port range ${spec.from}-${spec.to}. Fix: one rule per allowed port (${allowedList(allowed, protocol)}).`);
        } else if (!allowed.includes(spec.port)) {
          reportViolation(`${label} opens ${protocol} port ${spec.port}, which is not allowed (${allowedList(allowed, protocol)}). Fix: remove the rule.`);
        }
      }),
    );
    unknowns.finish();
  }),
};

// ------------------------------------------------------------------------------------------------

interface SshSourcesConfig {
  sshPort: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
}

const log2 = (value: bigint): number => value.toString(2).length - 1;

export const sshSourcesSchema: PolicyConfigSchema = {
  properties: {
    sshPort: { type: "integer", minimum: 1, maximum: maximumPort, default: sshPort.port, description: "The port sshd listens on." },
    ipv4Prefix: {
      type: "integer",
      minimum: 1,
      maximum: 32,
      default: 32 - log2(sshSourceAddressLimit.ipv4),
      description: "All SSH sources of a firewall together may open no more IPv4 addresses than one block of this prefix length holds.",
    },
    ipv6Prefix: {
      type: "integer",
      minimum: 1,
      maximum: 128,
      default: 128 - log2(sshSourceAddressLimit.ipv6),
      description: "The same bound for IPv6.",
    },
  },
};

export const firewallSshSources: MailResourcePolicy = {
  name: "digitalocean-firewall-ssh-sources",
  description:
    "Cloud firewalls admit SSH only from a bounded set of addresses: never 0.0.0.0/0 or ::/0, nor blocks that add up to a large part " +
    "of the internet, nor IPv6 ranges that stand for IPv4 addresses.",
  enforcementLevel: "mandatory",
  configSchema: sshSourcesSchema,
  rationale:
    "SSH open to the internet draws constant brute-force and exploit traffic; the baseline admits it only from the admin and " +
    "deploy CIDRs, so a leaked key or an sshd flaw is not reachable from everywhere. 0.0.0.0/1 plus 128.0.0.0/1 is the whole " +
    "internet as surely as 0.0.0.0/0, and ::ffff:0:0/96 or 2002::/16 open IPv4 through IPv6: the bound counts addresses over " +
    "every SSH rule together.",
  remediationSteps: "List only the admin and deploy CIDRs in the SSH rules' sourceAddresses; list IPv4 sources as IPv4 blocks.",
  validateResource: validateTypes<FirewallProps>([firewallType], (firewall, args, reportViolation) => {
    const config = policyConfig<SshSourcesConfig>(sshSourcesSchema, args);
    const unknowns = new PreviewUnknowns();
    const sources: Cidr[] = [];
    asArray(firewall.inboundRules).forEach((value, index) =>
      unknowns.attempt(() => {
        const rule = value as FirewallRule;
        if (!allows(rule) || String(rule.protocol ?? "").toLowerCase() !== "tcp") return;
        if (!portSpecIncludes(parsePortRange(rule.portRange), config.sshPort)) return;
        const label = ruleLabel(index, rule);
        for (const source of asArray(rule.sourceAddresses)) {
          unknowns.attempt(() => {
            const parsed = parseCidr(String(source));
            if (!parsed.ok) {
              reportViolation(`${label} admits SSH (port ${config.sshPort}) from ${quote(source)}, which is not an address or CIDR block (${parsed.error}). Fix: list the admin CIDRs.`);
            } else if (cidrCoversEverything(parsed.cidr)) {
              reportViolation(`${label} admits SSH (port ${config.sshPort}) from ${quote(source)}, the whole IPv${parsed.cidr.family} internet. Fix: list only the admin and deploy CIDRs.`);
            } else if (ipv4TranslationRangeOf(parsed.cidr)) {
              reportViolation(`${label} admits SSH (port ${config.sshPort}) from ${quote(source)}, which overlaps ${ipv4TranslationRangeOf(parsed.cidr)}: IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.`);
            } else {
              sources.push(parsed.cidr);
            }
          });
        }
      }),
    );
    const counts = coveredAddressCounts(sources);
    for (const [family, bits, prefix] of [["IPv4", 32, config.ipv4Prefix], ["IPv6", 128, config.ipv6Prefix]] as const) {
      const count = family === "IPv4" ? counts.ipv4 : counts.ipv6;
      if (count > 2n ** BigInt(bits - prefix)) {
        reportViolation(`the SSH rules together admit ${count} ${family} addresses, more than a /${prefix} (${2n ** BigInt(bits - prefix)}). Fix: list only the admin and deploy CIDRs, or raise ${family === "IPv4" ? "ipv4Prefix" : "ipv6Prefix"} in this stack's policy config after review.`);
      }
    }
    unknowns.finish();
  }),
};

// ------------------------------------------------------------------------------------------------

interface FirewallCoverage {
  readonly tagNames: Set<string>;
  readonly dropletIds: Set<number>;
  /** Resources the firewall's tags and dropletIds came from (known even when their values are not). */
  readonly tagSources: Set<PolicyResource>;
  readonly dropletSources: Set<PolicyResource>;
  /** Tags or droplet ids not known yet: coverage through them can be neither shown nor ruled out. */
  readonly unknowns: PreviewUnknowns;
}

function firewallCoverage(firewall: PolicyResource): FirewallCoverage {
  const props = firewall.props as FirewallProps;
  const coverage: FirewallCoverage = {
    tagNames: new Set(),
    dropletIds: new Set(),
    tagSources: new Set(firewall.propertyDependencies.tags ?? []),
    dropletSources: new Set(firewall.propertyDependencies.dropletIds ?? []),
    unknowns: new PreviewUnknowns(),
  };
  coverage.unknowns.attempt(() => {
    const tags = asArray(props.tags);
    tags.forEach((_, i) => coverage.unknowns.attempt(() => coverage.tagNames.add(String(tags[i]))));
  });
  coverage.unknowns.attempt(() => {
    const ids = asArray(props.dropletIds);
    ids.forEach((_, i) => coverage.unknowns.attempt(() => coverage.dropletIds.add(Number(ids[i]))));
  });
  return coverage;
}

/** Whether the firewall covers the droplet; parts of the droplet not known yet are noted in `unknowns`. */
function coversDroplet(coverage: FirewallCoverage, droplet: PolicyResource, unknowns: PreviewUnknowns): boolean {
  if (coverage.dropletSources.has(droplet)) return true;
  if ((droplet.propertyDependencies.tags ?? []).some((source) => coverage.tagSources.has(source))) return true;
  let covered = false;
  unknowns.attempt(() => {
    const id = Number((droplet.props as { id?: unknown }).id);
    if (Number.isFinite(id) && coverage.dropletIds.has(id)) covered = true;
  });
  unknowns.attempt(() => {
    const tags = asArray((droplet.props as DropletProps).tags);
    tags.forEach((_, i) => unknowns.attempt(() => {
      if (coverage.tagNames.has(String(tags[i]))) covered = true;
    }));
  });
  return covered;
}

export const dropletFirewallCoverage: MailStackPolicy = {
  name: "digitalocean-droplet-firewall-coverage",
  description: "Every droplet is covered by a cloud firewall, through a shared tag or its droplet id.",
  enforcementLevel: "mandatory",
  rationale:
    "A droplet without a cloud firewall exposes every port its processes listen on (DigitalOcean's default is open); " +
    "the cloud firewall is the layer that holds even when the host's nftables ruleset is wrong.",
  remediationSteps: "Give the droplet a tag that a Firewall's tags list, or put the droplet's id in a Firewall's dropletIds.",
  validateStack: (args, reportViolation) => {
    const unknowns = new PreviewUnknowns();
    const firewalls = args.resources.filter((r) => r.type === firewallType);
    const coverages = firewalls.map(firewallCoverage);
    for (const droplet of args.resources.filter((r) => r.type === dropletType)) {
      const undecided = new PreviewUnknowns();
      if (coverages.some((coverage) => coversDroplet(coverage, droplet, undecided))) continue;
      coverages.forEach((coverage) => undecided.absorb(coverage.unknowns));
      if (undecided.seen) {
        unknowns.absorb(undecided);
        continue;
      }
      reportViolation(
        `${describeResource(droplet)} is covered by no cloud firewall (${firewalls.length} in the stack; none lists its tags or its id). ` +
          "Fix: add a Firewall whose tags include one of the droplet's tags.",
        droplet.urn,
      );
    }
    unknowns.finish();
  },
};

// ------------------------------------------------------------------------------------------------

/** Secrets that must never reach user data: the metadata service serves it to every process on the droplet. */
export const userDataSecretPatterns: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  { name: "a PEM private key block", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { name: "a DigitalOcean API token (dop_v1_/doo_v1_/dor_v1_)", pattern: /\bdo[opr]_v1_[a-f0-9]{64}\b/ },
  { name: "a Cloudflare API token or key (cfut_/cfat_/cfk_)", pattern: /\bcf(?:ut|at|k)_[A-Za-z0-9]{40,}/ },
  {
    name: "a Cloudflare API token or key assigned to a Cloudflare setting",
    pattern: /(?:cloudflare|\bcf)[\w-]*(?:token|key)["']?\s*[:=]\s*["']?[A-Za-z0-9_-]{37,45}\b/i,
  },
  { name: "an X-Auth-Key or bearer credential", pattern: /(?:X-Auth-Key|Authorization:\s*Bearer)\s*[:=]?\s*[A-Za-z0-9_-]{37,}/i },
  { name: "a Pulumi encrypted config value (secure:)", pattern: /(?<=^|[\s{,"'])secure:\s*["']?(?:v1:)?[A-Za-z0-9+/=:]{16,}/m },
  { name: "a Pulumi access token (pul-)", pattern: /\bpul-[a-f0-9]{40}\b/ },
  { name: "an AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "a GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
];

interface UserDataConfig {
  extraPatterns: string[];
}

const userDataSchema: PolicyConfigSchema = {
  properties: {
    extraPatterns: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: [],
      description: "More regular expressions (JavaScript syntax) whose match in user data is a violation.",
    },
  },
};

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

export const dropletUserDataSecrets: MailResourcePolicy = {
  name: "digitalocean-droplet-user-data-secrets",
  description: "Droplet user data carries no private key and no API token.",
  enforcementLevel: "mandatory",
  configSchema: userDataSchema,
  rationale:
    "User data is readable by every process on the droplet through the metadata service (169.254.169.254), is kept by " +
    "DigitalOcean with the droplet, and lands in cloud-init logs; a secret there is a secret shared with all of them.",
  remediationSteps:
    "Keep first-boot user data free of secrets; deliver private keys and tokens over SSH after boot (the host bundle does), " +
    "and keep them as Pulumi secrets.",
  validateResource: validateTypes<DropletProps>([dropletType], (droplet, args, reportViolation) => {
    const config = policyConfig<UserDataConfig>(userDataSchema, args);
    const userData = droplet.userData;
    if (userData === undefined || userData === null) return;
    const text = String(userData);
    const patterns = [...userDataSecretPatterns];
    config.extraPatterns.forEach((source, i) => {
      try {
        patterns.push({ name: `a match of extraPatterns[${i}]`, pattern: new RegExp(source) });
      } catch (error) {
        reportViolation(`this policy's config extraPatterns[${i}] ${quote(source)} is not a valid regular expression (${(error as Error).message}). Fix: correct the pattern.`);
      }
    });
    for (const { name, pattern } of patterns) {
      const match = pattern.exec(text);
      // The secret itself is never printed: only what it looks like and where it is.
      if (match) reportViolation(`userData contains ${name} (line ${lineOf(text, match.index)}). Fix: remove it from user data and deliver it after boot over SSH.`);
    }
  }),
};

// ------------------------------------------------------------------------------------------------

interface DropletFeaturesConfig {
  requireMonitoring: boolean;
  requireIpv6: boolean;
}

const dropletFeaturesSchema: PolicyConfigSchema = {
  properties: {
    requireMonitoring: { type: "boolean", default: true, description: "Expect the DigitalOcean monitoring agent." },
    requireIpv6: { type: "boolean", default: true, description: "Expect a public IPv6 address." },
  },
};

export const dropletMonitoringIpv6: MailResourcePolicy = {
  name: "digitalocean-droplet-monitoring-ipv6",
  description: "Droplets run the monitoring agent and have IPv6.",
  enforcementLevel: "advisory",
  configSchema: dropletFeaturesSchema,
  rationale:
    "Monitoring gives the alerts (CPU, disk, a dead host) a mail server needs; IPv6 lets the host deliver to and receive from " +
    "IPv6-only mail exchangers, and the SPF record names the droplet's own IPv6 address.",
  remediationSteps: "Set monitoring: true and ipv6: true on the droplet (both apply without replacing it only at creation: set them early).",
  validateResource: validateTypes<DropletProps>([dropletType], (droplet, args, reportViolation) => {
    const config = policyConfig<DropletFeaturesConfig>(dropletFeaturesSchema, args);
    if (config.requireMonitoring && droplet.monitoring !== true) {
      reportViolation("monitoring is off: no metrics or alerts from the host. Fix: set monitoring: true.");
    }
    if (config.requireIpv6 && droplet.ipv6 !== true) {
      reportViolation("ipv6 is off: the host cannot reach IPv6-only mail exchangers. Fix: set ipv6: true.");
    }
  }),
};

// ------------------------------------------------------------------------------------------------

interface SshKeyProps {
  publicKey?: string;
}

interface SshKeyConfig {
  minimumRsaBits: number;
}

const sshKeySchema: PolicyConfigSchema = {
  properties: {
    minimumRsaBits: {
      type: "integer",
      minimum: sshRsaMinimumBits,
      default: sshRsaMinimumBits,
      description: "Smallest RSA key size allowed, in bits (never below the baseline).",
    },
  },
};

export const sshKeyStrength: MailResourcePolicy = {
  name: "digitalocean-ssh-key-strength",
  description: `SSH keys registered with DigitalOcean are ed25519, ECDSA, or RSA of at least ${sshRsaMinimumBits} bits.`,
  enforcementLevel: "mandatory",
  configSchema: sshKeySchema,
  rationale:
    `An SSH key is root-equivalent access to the mail host. RSA below ${sshRsaMinimumBits} bits falls short of 128-bit ` +
    "security (NIST SP 800-57); DSA is 1024-bit only and disabled in OpenSSH.",
  remediationSteps: "Register an ssh-ed25519 key (ssh-keygen -t ed25519) instead.",
  validateResource: validateTypes<SshKeyProps>([sshKeyType], (key, args, reportViolation) => {
    const config = policyConfig<SshKeyConfig>(sshKeySchema, args);
    const parsed = parseSshPublicKey(String(key.publicKey ?? ""));
    if (!parsed.ok) {
      reportViolation(`publicKey ${parsed.error}. Fix: register an ssh-ed25519 key.`);
    } else if (parsed.key.rsaBits !== undefined && parsed.key.rsaBits < config.minimumRsaBits) {
      reportViolation(`publicKey is RSA of ${parsed.key.rsaBits} bits; this policy's config requires at least ${config.minimumRsaBits}. Fix: register an ssh-ed25519 key.`);
    }
  }),
};

export const digitaloceanPolicies: Array<MailResourcePolicy | MailStackPolicy> = [
  firewallInboundPorts,
  firewallSshSources,
  dropletFirewallCoverage,
  dropletUserDataSecrets,
  dropletMonitoringIpv6,
  sshKeyStrength,
];
