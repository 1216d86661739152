// nft's own check of the rendered ruleset is in test/system/hostBundle/render/system/nftablesRuleset.test.ts.
import { describe, expect, it } from "vitest";
import { allowedOutboundPorts, icmpEchoRequestsPerSecond, publicInboundPorts, sshPort } from "../../../../../baseline/network";
import { renderNftablesRuleset, sshSourceSetNames } from "../../../../../hostBundle/render/system/nftablesRuleset";
import { sshSourceCidrs } from "../../../../../hostBundle/render/system/sshSourceCidrs";
import { block, setElements } from "../../../../support/hostBundle/render/system/nftablesRulesetText";
import { systemTestConfig, systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

/** Every port accepted by a `PROTO dport { ... } accept` or `PROTO dport N accept` rule of a chain. */
function acceptedPorts(chainBody: string, protocol: string, ruleFilter: (line: string) => boolean = () => true): number[] {
  return chainBody
    .split("\n")
    .filter((line) => ruleFilter(line) && new RegExp(`\\b${protocol} dport `).test(line) && /\baccept\b/.test(line))
    .flatMap((line) => {
      const list = new RegExp(`${protocol} dport (?:\\{ ([^}]*) \\}|(\\d+))`).exec(line);
      return (list?.[1] ?? list?.[2] ?? "").split(",").map((p) => Number(p.trim()));
    });
}

describe("renderNftablesRuleset", () => {
  const ctx = systemTestContext({ adminCidrs: ["203.0.113.0/28", "2001:db8:1234::/48"], deployCidrs: ["198.51.100.7", "2001:db8:feed::/64"] });
  const text = renderNftablesRuleset(ctx);

  it("replaces only its own table, atomically, and never flushes the ruleset (fail2ban's table survives)", () => {
    const statements = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");
    expect(statements).not.toMatch(/flush/);
    const tableStatements = text.split("\n").filter((l) => /^table |^delete table /.test(l));
    expect(tableStatements).toEqual(["table inet penguinmails", "delete table inet penguinmails", "table inet penguinmails {"]);
    expect(text).not.toMatch(/f2b/);
  });

  it("puts exactly the admin and deploy CIDRs of each family in its SSH set", () => {
    expect(setElements(text, sshSourceSetNames.ipv4).sort()).toEqual(["198.51.100.7/32", "203.0.113.0/28"]);
    expect(setElements(text, sshSourceSetNames.ipv6).sort()).toEqual(["2001:db8:1234::/48", "2001:db8:feed::/64"]);
    expect(block(text, "set", sshSourceSetNames.ipv4)).toMatch(/type ipv4_addr/);
    expect(block(text, "set", sshSourceSetNames.ipv6)).toMatch(/type ipv6_addr/);
  });

  it("opens exactly the baseline's public ports to everyone and SSH only to the SSH sets", () => {
    const input = block(text, "chain", "input");
    expect(input).toMatch(/type filter hook input priority filter; policy drop;/);
    const unrestricted = (line: string) => !/saddr/.test(line);
    expect(acceptedPorts(input, "tcp", unrestricted).sort((a, b) => a - b)).toEqual(publicInboundPorts.map((r) => r.port).sort((a, b) => a - b));
    expect(acceptedPorts(input, "udp")).toEqual([]);
    const sshRules = input.split("\n").filter((l) => new RegExp(`dport ${sshPort.port}\\b`).test(l));
    expect(sshRules.map((l) => l.trim().split(" ").slice(0, 3).join(" "))).toEqual([
      `ip saddr @${sshSourceSetNames.ipv4}`,
      `ip6 saddr @${sshSourceSetNames.ipv6}`,
    ]);
    expect(acceptedPorts(input, "tcp", unrestricted)).not.toContain(sshPort.port);
  });

  it("lets out exactly the baseline's outbound ports, and forwards nothing", () => {
    const output = block(text, "chain", "output");
    expect(output).toMatch(/policy drop;/);
    for (const protocol of ["tcp", "udp"] as const) {
      const expected = allowedOutboundPorts.filter((r) => r.protocol === protocol).map((r) => r.port).sort((a, b) => a - b);
      expect(acceptedPorts(output, protocol).sort((a, b) => a - b)).toEqual(expected);
    }
    expect(block(text, "chain", "forward").trim()).toBe("type filter hook forward priority filter; policy drop;");
  });

  it("keeps path MTU discovery and neighbour discovery working, and rate-limits echo requests", () => {
    const input = block(text, "chain", "input");
    expect(input).toMatch(/icmp type \{[^}]*destination-unreachable[^}]*\} accept/);
    expect(input).toMatch(/icmpv6 type \{[^}]*packet-too-big[^}]*\} accept/);
    expect(input).toMatch(/icmpv6 type \{[^}]*nd-neighbor-solicit, nd-neighbor-advert[^}]*\} ip6 hoplimit 255 accept/);
    // The limit comes before the established rule: conntrack sees a ping flood as one established flow.
    const rules = input.split("\n").map((l) => l.trim());
    const established = rules.indexOf("ct state established,related accept");
    for (const icmp of ["icmp", "icmpv6"]) {
      const limit = rules.indexOf(`${icmp} type echo-request limit rate over ${icmpEchoRequestsPerSecond}/second drop`);
      expect(limit).toBeGreaterThan(-1);
      expect(limit).toBeLessThan(established);
      expect(rules.indexOf(`${icmp} type echo-request accept`)).toBeGreaterThan(established);
    }
    expect(input).toMatch(/ct state invalid drop/);
    const output = block(text, "chain", "output");
    expect(output).toMatch(/icmpv6 type \{[^}]*nd-neighbor-solicit, nd-neighbor-advert[^}]*\} accept/);
  });
});

describe("sshSourceCidrs", () => {
  it("splits per family, writes bare addresses as host blocks and lists each block once", () => {
    const config = systemTestConfig({ adminCidrs: ["203.0.113.5", "2001:db8::1", "203.0.113.5/32"], deployCidrs: ["198.51.100.0/24"] });
    expect(sshSourceCidrs(config)).toEqual({ ipv4: ["203.0.113.5/32", "198.51.100.0/24"], ipv6: ["2001:db8::1/128"] });
  });

  it("refuses a block that would open SSH to everyone, even if a config bypassed the loader", () => {
    expect(() => sshSourceCidrs({ adminCidrs: ["0.0.0.0/0"], deployCidrs: [] })).toThrow(/everyone/);
  });
});
