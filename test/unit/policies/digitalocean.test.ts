import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { sshRsaMinimumBits } from "../../../baseline/keys";
import { allowedInboundPorts } from "../../../baseline/network";
import { firewallInboundRules } from "../../../components/host/firewallRules";
import {
  dropletFirewallCoverage,
  dropletMonitoringIpv6,
  dropletUserDataSecrets,
  firewallInboundPorts,
  firewallSshSources,
  parsePortRange,
  sshKeyStrength,
} from "../../../policies/digitalocean";
import { ed25519SshKey, evaluateOne, resource, sshRsaPublicKey, urnOf, violations } from "./support";

const firewallType = "digitalocean:index/firewall:Firewall";
const dropletType = "digitalocean:index/droplet:Droplet";
const firewall = (inputs: Record<string, unknown>, extra = {}) => resource(firewallType, "fw", inputs, extra);
const droplet = (inputs: Record<string, unknown>, name = "web", extra = {}) =>
  resource(dropletType, name, { image: "debian-12-x64", region: "fra1", size: "s-1vcpu-1gb", ipv6: true, monitoring: true, ...inputs }, extra);
const anywhere = ["0.0.0.0/0", "::/0"];

describe("parsePortRange", () => {
  it("reads single ports, ranges and every spelling of all ports", () => {
    expect(parsePortRange("25")).toEqual({ kind: "single", port: 25 });
    expect(parsePortRange("25-25")).toEqual({ kind: "single", port: 25 });
    expect(parsePortRange("8000-9000")).toEqual({ kind: "range", from: 8000, to: 9000 });
    for (const all of ["1-65535", "0", "all", undefined, ""]) expect(parsePortRange(all)).toEqual({ kind: "all" });
    for (const bad of ["65536", "9-3", "http", "22,25"]) expect(parsePortRange(bad).kind).toBe("invalid");
  });
});

describe("digitalocean-firewall-inbound-ports", () => {
  it("passes our component's rules (one allowed port each) and deny rules on any port", async () => {
    const rules = [...firewallInboundRules(["203.0.113.0/28"]), { protocol: "tcp", portRange: "1-65535", action: "deny", sourceAddresses: anywhere }];
    expect(await violations(firewallInboundPorts, [firewall({ inboundRules: rules })])).toEqual([]);
  });

  it("flags a port outside the baseline, a range, every port, ICMP and an unknown protocol", async () => {
    const found = await violations(firewallInboundPorts, [
      firewall({
        inboundRules: [
          { protocol: "tcp", portRange: "3306", sourceAddresses: anywhere },
          { protocol: "tcp", portRange: "8000-9000", sourceAddresses: anywhere },
          { protocol: "udp", portRange: "1-65535", sourceAddresses: anywhere },
          { protocol: "icmp", sourceAddresses: anywhere },
          { protocol: "sctp", portRange: "25", sourceAddresses: anywhere },
          { protocol: "tcp", portRange: "http", sourceAddresses: anywhere },
        ],
      }),
    ]);
    expect(found).toEqual([
      `inbound rule 1 (tcp 3306) opens tcp port 3306, which is not allowed (${allowedInboundPorts.map((p) => p.port).join(", ")}). Fix: remove the rule.`,
      `inbound rule 2 (tcp 8000-9000) opens the port range 8000-9000. Fix: one rule per allowed port (${allowedInboundPorts.map((p) => p.port).join(", ")}).`,
      "inbound rule 3 (udp 1-65535) opens every udp port. Fix: one rule per allowed port (no udp port is allowed).",
      "inbound rule 4 (icmp all ports) admits ICMP, which the baseline does not open. Fix: remove the rule.",
      'inbound rule 5 (sctp 25): protocol "sctp" is not tcp, udp or icmp. Fix: name one of them.',
      'inbound rule 6 (tcp http): portRange "http" is not a port number. Fix: name one allowed port.',
    ]);
  });

  it("honours its tunables: fewer TCP ports, a UDP port, ICMP", async () => {
    const rules = [
      { protocol: "tcp", portRange: "443", sourceAddresses: anywhere },
      { protocol: "udp", portRange: "443", sourceAddresses: anywhere },
      { protocol: "icmp", sourceAddresses: anywhere },
    ];
    expect(await violations(firewallInboundPorts, [firewall({ inboundRules: rules })], { allowedTcpPorts: [25], allowedUdpPorts: [443], allowIcmp: true })).toEqual([
      "inbound rule 1 (tcp 443) opens tcp port 443, which is not allowed (25). Fix: remove the rule.",
    ]);
  });

  it("judges the known rules and reports that it cannot run for an unknown one", async () => {
    const report = await evaluateOne(firewallInboundPorts, [
      firewall({ inboundRules: [{ protocol: "tcp", portRange: pulumi.unknown, sourceAddresses: anywhere }, { protocol: "tcp", portRange: "3306", sourceAddresses: anywhere }] }),
    ]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["mandatory", "advisory"]);
    expect(report.diagnostics[1].message).toMatch(/^can't run policy 'digitalocean-firewall-inbound-ports' .* string value at \.inboundRules\.0\.portRange can't be known during preview$/);
  });
});

describe("digitalocean-firewall-ssh-sources", () => {
  it("passes SSH from the admin CIDRs and public ports from anywhere", async () => {
    expect(await violations(firewallSshSources, [firewall({ inboundRules: firewallInboundRules(["203.0.113.0/28", "2001:db8::/48"]) })])).toEqual([]);
  });

  it("flags SSH from 0.0.0.0/0 and ::/0 in any spelling, through a range, and an unreadable source", async () => {
    const found = await violations(firewallSshSources, [
      firewall({
        inboundRules: [
          { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28", "0.0.0.0/0"] },
          { protocol: "tcp", portRange: "1-1024", sourceAddresses: ["0::/0"] },
          { protocol: "tcp", portRange: "22", sourceAddresses: ["office"] },
          { protocol: "udp", portRange: "22", sourceAddresses: anywhere },
          { protocol: "tcp", portRange: "22", action: "deny", sourceAddresses: anywhere },
        ],
      }),
    ]);
    expect(found).toEqual([
      'inbound rule 1 (tcp 22) admits SSH (port 22) from "0.0.0.0/0", the whole IPv4 internet. Fix: list only the admin and deploy CIDRs.',
      'inbound rule 2 (tcp 1-1024) admits SSH (port 22) from "0::/0", the whole IPv6 internet. Fix: list only the admin and deploy CIDRs.',
      'inbound rule 3 (tcp 22) admits SSH (port 22) from "office", which is not an address or CIDR block ("office" is not an IPv4 or IPv6 address or CIDR block). Fix: list the admin CIDRs.',
    ]);
  });

  it("flags SSH opened to the internet in pieces: halves, wide prefixes and IPv4 through IPv6 ranges, counted over every rule", async () => {
    const found = await violations(firewallSshSources, [
      firewall({
        inboundRules: [
          { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/1"] },
          { protocol: "tcp", portRange: "22", sourceAddresses: ["128.0.0.0/1", "::ffff:0:0/96", "2002::/16", "64:ff9b::/96"] },
          { protocol: "tcp", portRange: "22", sourceAddresses: ["2000::/3"] },
        ],
      }),
    ]);
    expect(found).toEqual([
      'inbound rule 2 (tcp 22) admits SSH (port 22) from "::ffff:0:0/96", which overlaps IPv4-mapped addresses (RFC 4291): IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.',
      'inbound rule 2 (tcp 22) admits SSH (port 22) from "2002::/16", which overlaps 6to4 (RFC 3056): IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.',
      'inbound rule 2 (tcp 22) admits SSH (port 22) from "64:ff9b::/96", which overlaps the NAT64 well-known prefix (RFC 6052): IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.',
      'inbound rule 3 (tcp 22) admits SSH (port 22) from "2000::/3", which overlaps 6to4 (RFC 3056): IPv4 addresses reach SSH through it. Fix: list IPv4 sources as IPv4 blocks.',
      "the SSH rules together admit 4294967296 IPv4 addresses, more than a /16 (65536). Fix: list only the admin and deploy CIDRs, or raise ipv4Prefix in this stack's policy config after review.",
    ]);
    const wide = firewall({ inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["10.0.0.0/12", "2001:db8::/30"] }] });
    expect(await violations(firewallSshSources, [wide])).toHaveLength(2);
    expect(await violations(firewallSshSources, [wide], { ipv4Prefix: 12, ipv6Prefix: 30 })).toEqual([]);
  });

  it("follows a configured SSH port", async () => {
    const rules = [{ protocol: "tcp", portRange: "22", sourceAddresses: anywhere }, { protocol: "tcp", portRange: "2222", sourceAddresses: anywhere }];
    const found = await violations(firewallSshSources, [firewall({ inboundRules: rules })], { sshPort: 2222 });
    expect(found).toHaveLength(2);
    expect(found.every((message) => message.startsWith("inbound rule 2 (tcp 2222) admits SSH (port 2222)"))).toBe(true);
  });
});

describe("digitalocean-droplet-firewall-coverage", () => {
  const tag = resource("digitalocean:index/tag:Tag", "tag", { name: "web" });

  it("passes a droplet covered by tag name, by droplet id, or through the Tag resource both depend on", async () => {
    const byName = [droplet({ tags: ["web", "fleet"] }), firewall({ tags: ["web"] })];
    const byId = [droplet({}, "web", { id: "4242" }), firewall({ dropletIds: [4242] })];
    const byTagResource = [
      tag,
      droplet({ tags: [pulumi.unknown] }, "web", { propertyDependencies: { tags: [tag.urn] } }),
      firewall({ tags: [pulumi.unknown] }, { propertyDependencies: { tags: [tag.urn] } }),
    ];
    const dropletUrn = urnOf(dropletType, "web");
    const byDropletResource = [droplet({}), firewall({ dropletIds: [pulumi.unknown] }, { propertyDependencies: { dropletIds: [dropletUrn] } })];
    for (const resources of [byName, byId, byTagResource, byDropletResource]) {
      const report = await evaluateOne(dropletFirewallCoverage, resources);
      expect(report.diagnostics).toEqual([]);
    }
  });

  it("flags a droplet whose tags and id no firewall lists, on the droplet", async () => {
    const report = await evaluateOne(dropletFirewallCoverage, [droplet({ tags: ["web"] }, "web", { id: "1" }), droplet({ tags: ["db"] }, "db", { id: "2" }), firewall({ tags: ["db"], dropletIds: [3] })]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.urn])).toEqual([["mandatory", urnOf(dropletType, "web")]]);
    expect(report.diagnostics[0].message).toContain('digitalocean:index/droplet:Droplet "web" is covered by no cloud firewall (1 in the stack');
  });

  it("flags a droplet when the stack has no firewall at all", async () => {
    expect(await violations(dropletFirewallCoverage, [droplet({ tags: ["web"] })])).toHaveLength(1);
  });

  it("cannot decide, and says so, when a firewall's tags are unknown and no resource links them", async () => {
    const report = await evaluateOne(dropletFirewallCoverage, [droplet({ tags: ["web"] }), firewall({ tags: [pulumi.unknown] })]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(report.diagnostics[0].message).toMatch(/^can't run policy 'digitalocean-droplet-firewall-coverage' .*during preview/);
  });
});

describe("digitalocean-droplet-user-data-secrets", () => {
  const withUserData = (userData: unknown) => droplet({ userData });

  it("passes user data without secrets, and a droplet without user data", async () => {
    const cloudConfig = "#cloud-config\nusers:\n  - name: mailadmin\n    ssh_authorized_keys:\n      - " + ed25519SshKey + "\nssh_pwauth: false\n";
    expect(await violations(dropletUserDataSecrets, [withUserData(cloudConfig), droplet({}, "bare")])).toEqual([]);
  });

  it.each([
    ["a PEM private key block", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----"],
    ["a PEM private key block", "-----BEGIN EC PRIVATE KEY-----"],
    ["a DigitalOcean API token", `DIGITALOCEAN_TOKEN=dop_v1_${"ab12".repeat(16)}`],
    ["a Cloudflare API token or key (cfut_", `token: cfut_${"A1b2C3d4E5".repeat(4)}x1y2z3`],
    ["a Cloudflare API token or key assigned", `CLOUDFLARE_API_TOKEN="${"Zx9_".repeat(10)}"`],
    ["a Pulumi encrypted config value", "    secure: v1:Gq0Wf8yMmQ3jA2Lk:7CzL0n4Xcq1W0vE9sT3u"],
    ["an AWS access key id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"],
  ])("flags %s without printing it", async (what, secret) => {
    const [message, ...more] = await violations(dropletUserDataSecrets, [withUserData(`#cloud-config\nruncmd:\n  - echo start\n${secret}\n`)]);
    expect(more).toEqual([]);
    expect(message).toContain(`userData contains ${what}`);
    expect(message).toContain("(line 4)");
    expect(message).not.toContain(secret.split("\n")[0]!.slice(-12));
  });

  it("does not mistake ordinary hashes or settings for tokens", async () => {
    const benign = "#cloud-config\nwrite_files:\n  - path: /etc/sha1\n    content: 0a4d55a8d778e5022fab701977c5d840bbc486d0\nsecure: true\nssl_secure: yes\n";
    expect(await violations(dropletUserDataSecrets, [withUserData(benign)])).toEqual([]);
  });

  it("applies extraPatterns, and reports an invalid one instead of crashing", async () => {
    const found = await violations(dropletUserDataSecrets, [withUserData("MAIL_RELAY_PASSWORD=hunter2\n")], { extraPatterns: ["PASSWORD=\\S+", "(unclosed"] });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^this policy's config extraPatterns\[1\] "\(unclosed" is not a valid regular expression/);
    expect(found[1]).toBe("userData contains a match of extraPatterns[0] (line 1). Fix: remove it from user data and deliver it after boot over SSH.");
  });

  it("reports that it cannot run when user data is unknown during preview", async () => {
    const report = await evaluateOne(dropletUserDataSecrets, [withUserData(pulumi.unknown)]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
  });
});

describe("digitalocean-droplet-monitoring-ipv6", () => {
  it("passes a droplet with both", async () => {
    expect(await violations(dropletMonitoringIpv6, [droplet({})])).toEqual([]);
  });

  it("flags each one that is off or unset, as an advisory", async () => {
    const report = await evaluateOne(dropletMonitoringIpv6, [droplet({ monitoring: false, ipv6: undefined })]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["advisory", "monitoring is off: no metrics or alerts from the host. Fix: set monitoring: true."],
      ["advisory", "ipv6 is off: the host cannot reach IPv6-only mail exchangers. Fix: set ipv6: true."],
    ]);
  });

  it("can be told not to require IPv6", async () => {
    expect(await violations(dropletMonitoringIpv6, [droplet({ ipv6: false })], { requireIpv6: false })).toEqual([]);
  });
});

describe("digitalocean-ssh-key-strength", () => {
  const sshKey = (publicKey: string, name = "admin") => resource("digitalocean:index/sshKey:SshKey", name, { name, publicKey });

  it("passes ed25519 and RSA at the minimum", async () => {
    expect(await violations(sshKeyStrength, [sshKey(ed25519SshKey), sshKey(sshRsaPublicKey(sshRsaMinimumBits), "rsa")])).toEqual([]);
  });

  it("flags RSA below the minimum, DSA, and what is not a key", async () => {
    const found = await violations(sshKeyStrength, [sshKey(sshRsaPublicKey(2048)), sshKey("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "dsa"), sshKey("not a key", "junk")]);
    expect(found).toEqual([
      `publicKey RSA key is 2048 bits; at least ${sshRsaMinimumBits} are required (or use ssh-ed25519). Fix: register an ssh-ed25519 key.`,
      `publicKey key type ssh-dss is not allowed; use ssh-ed25519, ECDSA, or RSA of at least ${sshRsaMinimumBits} bits. Fix: register an ssh-ed25519 key.`,
      'publicKey starts with "not", not a key type (authorized_keys options are not accepted). Fix: register an ssh-ed25519 key.',
    ]);
  });

  it("honours a higher RSA minimum", async () => {
    const found = await violations(sshKeyStrength, [sshKey(sshRsaPublicKey(3072))], { minimumRsaBits: 4096 });
    expect(found).toEqual(["publicKey is RSA of 3072 bits; this policy's config requires at least 4096. Fix: register an ssh-ed25519 key."]);
  });
});
