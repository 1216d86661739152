import { describe, expect, it } from "vitest";
import { parseTenantConfig } from "../../../tenant/parseTenantConfig";
import type { ConfigProblem } from "../../../tenant/tenantConfig";
import { mockPrivateKey } from "../../../tools/mockRuntime/mockKeys";
import { validEd25519Key, validRawConfig } from "../../support/tenant/tenantConfigFixture";

function problemsFor(overrides: Record<string, unknown>): ConfigProblem[] {
  const result = parseTenantConfig({ ...validRawConfig(), ...overrides });
  return result.ok ? [] : result.problems;
}

function expectProblem(overrides: Record<string, unknown>, key: string, pattern: RegExp): void {
  const problems = problemsFor(overrides);
  expect(problems, JSON.stringify(problems)).toContainEqual({ key, message: expect.stringMatching(pattern) });
}

describe("parseTenantConfig", () => {
  it("accepts a valid config and fills in the baseline defaults", () => {
    const result = parseTenantConfig(validRawConfig());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.domain).toBe("tenant-one.example");
    expect(config.image).toBe("debian-12-x64");
    expect(config.dmarc).toMatchObject({ phase: "monitor", rua: ["mailto:dmarc@tenant-one.example"] });
    expect(config.tlsRpt.rua).toEqual(["mailto:tlsrpt@tenant-one.example"]);
    expect(config.spf.all).toBe("softfail");
    expect(config.limits).toEqual({ recipientsPerHourPerAccount: 500, recipientsPerMessage: 50 });
    expect(config.caa.iodef).toBe("mailto:ops@tenant-one.example");
    expect(config.adminSshPublicKeys[0]).toMatchObject({ type: "ssh-ed25519", comment: "ops@tenant-one.example" });
    expect(config.dkim.active).toBe(config.dkim.selectors[0]);
  });

  it("reports every problem at once, each naming its key", () => {
    const result = parseTenantConfig({ ...validRawConfig(), domain: "-bad.example", adminCidrs: ["0.0.0.0/0", "::/0"], alertEmail: "nobody" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.key).sort()).toEqual([
      "penguinmails-mail:adminCidrs[0]",
      "penguinmails-mail:adminCidrs[1]",
      "penguinmails-mail:alertEmail",
      "penguinmails-mail:domain",
    ]);
  });

  it("reports missing required keys by name", () => {
    const result = parseTenantConfig({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const keys = result.problems.map((p) => p.key);
    for (const key of ["domain", "adminCidrs", "adminSshPublicKeys", "alertEmail", "cloudflareZoneId"]) {
      expect(keys).toContain(`penguinmails-mail:${key}`);
    }
    expect(result.problems.find((p) => p.key === "penguinmails-mail:domain")?.message).toMatch(/is required/);
  });

  it("rejects unknown keys so typos don't pass silently", () => {
    expectProblem({ adminCidr: ["203.0.113.0/28"] }, "penguinmails-mail:adminCidr", /not a known setting/);
    expectProblem({ dmarc: { phase: "monitor", polcy: "x" } }, "penguinmails-mail:dmarc.polcy", /not a known setting/);
  });

  describe("domain", () => {
    it.each([
      ["", /is empty/],
      ["tenant one.example", /whitespace/],
      [" tenant-one.example", /whitespace/],
      [`${"a".repeat(64)}.example`, /64 characters, above the DNS maximum of 63/],
      ["-tenant.example", /starts or ends with a hyphen/],
      ["tenant-.example", /starts or ends with a hyphen/],
      ["tenant_one.example", /letters, digits and inner hyphens/],
      ["localhost", /single label/],
      ["192.0.2.1", /numeric label/],
      ["tenant..example", /empty label/],
      [`${Array(50).fill("abcd").join(".")}.example`, /too long/],
    ])("rejects %j", (domain, pattern) => {
      expectProblem({ domain }, "penguinmails-mail:domain", pattern);
    });

    it.each([
      ["Tenant-One.EXAMPLE", "tenant-one.example", /lowered/],
      ["tenant-one.example.", "tenant-one.example", /trailing dot removed/],
      ["bücher.example", "xn--bcher-kva.example", /A-label form "xn--bcher-kva.example"/],
      ["münchen.example.", "xn--mnchen-3ya.example", /A-label/],
    ])("normalises %j to %j with a notice", (domain, expected, notice) => {
      // Alerts go elsewhere: the fixture's mailbox is in tenant-one.example, not this domain.
      const result = parseTenantConfig({ ...validRawConfig(), domain, alertEmail: "ops@platform.example", mailboxes: [] });
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (!result.ok) return;
      expect(result.config.domain).toBe(expected);
      expect(result.notices).toContainEqual({ key: "penguinmails-mail:domain", message: expect.stringMatching(notice) });
    });
  });

  describe("SSH sources", () => {
    it.each([
      ["0.0.0.0/0", /whole internet/],
      ["::/0", /whole internet/],
      ["0::0/0", /whole internet/],
      ["203.0.113.0/33", /prefix length 33/],
      ["203.0.113.0/abc", /invalid prefix length/],
      ["203.0.113.300/32", /not an IPv4 or IPv6/],
      ["example.com", /not an IPv4 or IPv6/],
      ["203.0.113.7/24", /host bits set; write the block as 203.0.113.0\/24/],
      ["2001:db8::1/32", /host bits set; write the block as 2001:db8::\/32/],
    ])("rejects admin CIDR %j", (cidr, pattern) => {
      expectProblem({ adminCidrs: ["198.51.100.0/24", cidr] }, "penguinmails-mail:adminCidrs[1]", pattern);
    });

    it("applies the same rules to deploy CIDRs", () => {
      expectProblem({ deployCidrs: ["0.0.0.0/0"] }, "penguinmails-mail:deployCidrs[0]", /whole internet/);
    });

    it("accepts single addresses of both families", () => {
      expect(problemsFor({ adminCidrs: ["203.0.113.9", "2001:db8::9", "203.0.113.9/32"] })).toEqual([]);
    });

    it("requires at least one admin CIDR", () => {
      expectProblem({ adminCidrs: [] }, "penguinmails-mail:adminCidrs", /at least one/);
    });
  });

  describe("admin SSH keys", () => {
    it("requires at least one key", () => {
      expectProblem({ adminSshPublicKeys: [] }, "penguinmails-mail:adminSshPublicKeys", /at least one admin SSH public key/);
    });

    it("rejects RSA keys under 3072 bits and accepts 3072", () => {
      const rsa2048 = mockPrivateKey({ algorithm: "RSA", rsaBits: 2048 }).publicKeyOpenssh.trim();
      const rsa3072 = mockPrivateKey({ algorithm: "RSA", rsaBits: 3072 }).publicKeyOpenssh.trim();
      expectProblem({ adminSshPublicKeys: [validEd25519Key, rsa2048] }, "penguinmails-mail:adminSshPublicKeys[1]", /RSA key is 2048 bits; at least 3072/);
      expect(problemsFor({ adminSshPublicKeys: [rsa3072] })).toEqual([]);
    });

    it("accepts ECDSA keys", () => {
      const ecdsa = mockPrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" }).publicKeyOpenssh.trim();
      expect(problemsFor({ adminSshPublicKeys: [ecdsa] })).toEqual([]);
    });

    it.each([
      ["ssh-dss AAAAB3NzaC1kc3MAAACBAP", /ssh-dss is not allowed/],
      ["not a key", /not a key type/],
      ['from="1.2.3.4" ssh-ed25519 AAAA', /authorized_keys options/],
      ["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ", /does not encode a ssh-ed25519 key/],
      ["ssh-ed25519 !!!", /not base64/],
    ])("rejects %j", (line, pattern) => {
      expectProblem({ adminSshPublicKeys: [line] }, "penguinmails-mail:adminSshPublicKeys[0]", pattern);
    });
  });

  describe("DMARC and report addresses", () => {
    it("rejects a rua that is not a mailto: URI", () => {
      expectProblem({ dmarc: { rua: ["https://reports.example/dmarc"] } }, "penguinmails-mail:dmarc.rua[0]", /mailto/);
      expectProblem({ dmarc: { rua: ["dmarc@tenant-one.example"] } }, "penguinmails-mail:dmarc.rua[0]", /mailto/);
    });

    it("rejects a TLS-RPT rua that is not a mailto: URI", () => {
      expectProblem({ tlsRpt: { rua: ["https://reports.example/tls"] } }, "penguinmails-mail:tlsRpt.rua[0]", /mailto/);
    });

    it("rejects an unknown DMARC phase", () => {
      expectProblem({ dmarc: { phase: "enforce" } }, "penguinmails-mail:dmarc.phase", /must be one of monitor, quarantine, reject/);
    });

    it("warns that an external report domain must authorize the reports", () => {
      const result = parseTenantConfig({ ...validRawConfig(), dmarc: { rua: ["mailto:dmarc@reports.example"] } });
      expect(result.ok).toBe(true);
      expect(result.notices).toContainEqual({
        key: "penguinmails-mail:dmarc.rua",
        message: expect.stringContaining("tenant-one.example._report._dmarc.reports.example"),
      });
    });
  });

  describe("DKIM selectors", () => {
    it.each(["bad_selector!", "-lead", "", "a".repeat(64)])("rejects selector %j", (selector) => {
      expectProblem({ dkim: { selectors: [selector], active: selector } }, "penguinmails-mail:dkim.selectors[0]", /must be one lowercase DNS label/);
    });

    it("requires the active selector to be published", () => {
      expectProblem({ dkim: { selectors: ["s202611"], active: "s202702" } }, "penguinmails-mail:dkim.active", /not one of the published selectors/);
    });
  });

  it("coerces numeric strings the way the CLI passes scalars", () => {
    const result = parseTenantConfig({ ...validRawConfig(), dnsTtlSeconds: "300" });
    expect(result.ok && result.config.dnsTtlSeconds).toBe(300);
    expectProblem({ dnsTtlSeconds: "five" }, "penguinmails-mail:dnsTtlSeconds", /number/);
  });

  it("rejects a zone id that is not 32 hex characters", () => {
    expectProblem({ cloudflareZoneId: "zone-one" }, "penguinmails-mail:cloudflareZoneId", /32 lowercase hexadecimal/);
  });

  it("rejects an image other than Debian 12", () => {
    expectProblem({ image: "ubuntu-24-04-x64" }, "penguinmails-mail:image", /debian-12-x64/);
  });
});

describe("mailboxes", () => {
  const bcrypt12 = "{BLF-CRYPT}$2y$12$" + "a".repeat(53);
  it("accepts bcrypt at cost 12 in the tenant domain", () => {
    const result = parseTenantConfig({ ...validRawConfig(), alertEmail: "ops@platform.example", mailboxes: [{ address: "alice@tenant-one.example", passwordHash: bcrypt12 }] });
    expect(result.ok && result.config.mailboxes).toEqual([{ address: "alice@tenant-one.example", passwordHash: bcrypt12, quotaMegabytes: 5120 }]);
  });

  it("gives each mailbox the baseline's quota unless it sets its own, in whole megabytes", () => {
    const mailboxes = [
      { address: "alice@tenant-one.example", passwordHash: bcrypt12, quotaMegabytes: 200 },
      { address: "bob@tenant-one.example", passwordHash: bcrypt12 },
    ];
    const result = parseTenantConfig({ ...validRawConfig(), alertEmail: "ops@platform.example", mailboxes });
    expect(result.ok && result.config.mailboxes.map((m) => m.quotaMegabytes)).toEqual([200, 5120]);
    for (const quotaMegabytes of [0, 1.5, "1G", 2_000_000]) {
      const bad = parseTenantConfig({ ...validRawConfig(), alertEmail: "ops@platform.example", mailboxes: [{ ...mailboxes[0], quotaMegabytes }] });
      expect(bad.ok ? [] : bad.problems.map((p) => p.key), String(quotaMegabytes)).toEqual(["penguinmails-mail:mailboxes[0].quotaMegabytes"]);
    }
  });

  it.each([
    [{ address: "alice@other.example", passwordHash: bcrypt12 }, "address", /in tenant-one.example/],
    [{ address: "alice@tenant-one.example", passwordHash: "secret123" }, "passwordHash", /never a plain password/],
    [{ address: "alice@tenant-one.example", passwordHash: "{BLF-CRYPT}$2y$10$" + "a".repeat(53) }, "passwordHash", /cost 10 is below 12/],
    [{ address: "alice@tenant-one.example", passwordHash: "{PLAIN-MD5}1a1dc91c907325c69271ddf0c944bc72" }, "passwordHash", /BLF-CRYPT/],
  ])("rejects %j", (mailbox, field, pattern) => {
    const result = parseTenantConfig({ ...validRawConfig(), mailboxes: [mailbox] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual({ key: `penguinmails-mail:mailboxes[0].${field}`, message: expect.stringMatching(pattern) });
  });
});
