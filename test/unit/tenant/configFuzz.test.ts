// One-key mutations of the example stack, as a careless or hostile operator would write them,
// generated from a fixed seed so a failure reproduces. For every one the loader must not throw;
// a rejection must name the mutated key; and what it accepts must be safe to render: every address
// within the conservative grammar, SSH bounded, no system account for sudo, numbers in range, and
// the whole host bundle renderable.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { coveredAddressCounts, ipv4TranslationRangeOf, parseCidr, type Cidr } from "../../../baseline/cidr";
import { isMailAddress } from "../../../baseline/mailAddress";
import { sshSourceAcknowledgedAddressLimit } from "../../../baseline/network";
import { reservedAccountNames } from "../../../baseline/ssh";
import { renderMailDaemonFiles } from "../../../hostBundle/render/mail";
import { renderCloudInitUserData, renderSystemFiles } from "../../../hostBundle/render/system";
import { assembleHostBundle } from "../../../hostBundle/format/hostBundle";
import { tenantHostRenderContext } from "../../../hostBundle/renderContext";
import { configKey, parseTenantConfig } from "../../../tenant/parseTenantConfig";
import { configNamespace, type TenantConfig } from "../../../tenant/tenantConfig";
import { namespaceConfig, readStackConfig } from "../../../tools/mockRuntime/stackConfig";

/** mulberry32: small, fast and the same sequence everywhere for a seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = 20261129;
const cases = 1200;

const hostileValues: readonly unknown[] = [
  undefined,
  "",
  " ",
  "x".repeat(10_000),
  "\u001b[31mred\u001b[0m",
  "ok\rERROR: overwritten",
  "line\nbreak",
  "`touch$IFS/tmp/x`@tenant-one.example",
  "$(id)@tenant-one.example",
  "a'b@tenant-one.example",
  'a"b@tenant-one.example',
  "a=b@tenant-one.example",
  "{a}@tenant-one.example",
  "a%b@tenant-one.example",
  "OPS@tenant-one.example",
  "ops@tenant-one.example\nBcc: x@evil.example",
  "mailto:dmarc@tenant-one.example",
  "mailto:`id`@tenant-one.example",
  "0x100",
  "1e3",
  "-1",
  "NaN",
  "Infinity",
  "3600 ",
  3600.5,
  -1,
  1e21,
  [],
  [""],
  ["0.0.0.0/1", "128.0.0.0/1"],
  ["::/1", "8000::/1"],
  ["2000::/3"],
  ["::ffff:0:0/96"],
  ["2002::/16"],
  ["64:ff9b::/96"],
  ["0.0.0.0/4"],
  ["203.0.113.7/24"],
  {},
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: 1 },
  null,
  true,
  "true",
  "root",
  "sshd",
  "www-data",
  "postfix",
  "PM202611",
  "a.b",
  "../../etc/passwd",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd",
  "{ARGON2ID}$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
  "{SHA512-CRYPT}$6$rounds=1000$salt$" + "a".repeat(86),
  "{BLF-CRYPT}$2y$99$" + "a".repeat(53),
  "{PLAIN}secret",
];

const base = namespaceConfig(readStackConfig(resolve(__dirname, "../../.."), "dev"), configNamespace);

/** Every key path of the example config (objects descended, list items addressed), plus keys it leaves at their default. */
function keyPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => keyPaths(item, [...path, i]))];
  if (typeof value === "object" && value !== null) return [...(path.length ? [path] : []), ...Object.entries(value).flatMap(([k, v]) => keyPaths(v, [...path, k]))];
  return [path];
}

const defaultedKeys = ["adminUser", "deployCidrs", "dnsTtlSeconds", "tags", "aliases", "limits", "acme", "tlsRpt", "caa", "acknowledgeWideSshSources"].map((k) => [k]);
const paths = [...keyPaths(base), ...defaultedKeys, ["limits", "recipientsPerHourPerAccount"], ["acme", "renewBeforeDays"], ["aliases", "sales@tenant-one.example"]];

function mutated(path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) {
    if (typeof node[part] !== "object" || node[part] === null) node[part] = typeof path[path.indexOf(part) + 1] === "number" ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}


/** What must hold of anything the loader accepts, whatever it was fed. */
function unsafeAcceptance(config: TenantConfig): string[] {
  const problems: string[] = [];
  const addresses = [
    config.alertEmail,
    ...config.mailboxes.map((m) => m.address),
    ...config.aliases.flatMap((a) => [a.address, a.target]),
    ...[...config.dmarc.rua, ...config.dmarc.ruf, ...config.tlsRpt.rua, config.caa.iodef].map((uri) => uri.replace(/^mailto:/, "")),
  ];
  for (const address of addresses) if (!isMailAddress(address)) problems.push(`accepted the address ${JSON.stringify(address)}`);
  const sources = [...config.adminCidrs, ...config.deployCidrs].map((text) => parseCidr(text)).filter((r): r is { ok: true; cidr: Cidr } => r.ok).map((r) => r.cidr);
  if (sources.length !== config.adminCidrs.length + config.deployCidrs.length) problems.push("accepted an unparsable SSH source");
  const counts = coveredAddressCounts(sources);
  if (counts.ipv4 > sshSourceAcknowledgedAddressLimit.ipv4 || counts.ipv6 > sshSourceAcknowledgedAddressLimit.ipv6) problems.push(`accepted SSH sources opening ${counts.ipv4} IPv4 / ${counts.ipv6} IPv6 addresses`);
  if (sources.some((c) => ipv4TranslationRangeOf(c))) problems.push("accepted an IPv4 translation range as an SSH source");
  if (reservedAccountNames.includes(config.adminUser)) problems.push(`accepted the system account ${config.adminUser} as admin user`);
  for (const [name, value] of [["dnsTtlSeconds", config.dnsTtlSeconds], ["recipientsPerHourPerAccount", config.limits.recipientsPerHourPerAccount], ["renewBeforeDays", config.acme.renewBeforeDays]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) problems.push(`accepted ${name} = ${value}`);
  }
  for (const selector of config.dkim.selectors) if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(selector)) problems.push(`accepted the selector ${JSON.stringify(selector)}`);
  try {
    const ctx = tenantHostRenderContext(config);
    assembleHostBundle(ctx, [...renderMailDaemonFiles(ctx), ...renderSystemFiles(ctx)]);
    renderCloudInitUserData(config);
  } catch (error) {
    problems.push(`accepted a config the renderers refuse: ${(error as Error).message.split("\n")[0]}`);
  }
  return problems;
}

const generated = (() => {
  const next = random(seed);
  return Array.from({ length: cases }, () => {
    const path = paths[Math.floor(next() * paths.length)]!;
    const value = hostileValues[Math.floor(next() * hostileValues.length)];
    return { path, value };
  });
})();

describe(`${cases} one-key mutations of the example stack (seed ${seed})`, () => {
  it("the example itself is accepted", () => {
    expect(parseTenantConfig(base).ok).toBe(true);
  });

  it("never throw, name the mutated key when they reject, print no raw control character or huge value, and accept only what is safe", () => {
    const failures: string[] = [];
    let rejected = 0;
    for (const { path, value } of generated) {
      const label = `${configKey(path)} = ${JSON.stringify(value)?.slice(0, 60)}`;
      let result: ReturnType<typeof parseTenantConfig>;
      try {
        result = parseTenantConfig(mutated(path, value));
      } catch (error) {
        failures.push(`${label}: threw ${(error as Error).message}`);
        continue;
      }
      if (!result.ok) {
        rejected++;
        const key = configKey(path);
        const names = result.problems.some((p) => p.key === key || p.key.startsWith(`${key}.`) || p.key.startsWith(`${key}[`) || key.startsWith(`${p.key}.`) || key.startsWith(`${p.key}[`));
        // Cross-key checks name the key they judge (a missing alert mailbox is reported at alertEmail).
        const crossKey = result.problems.some((p) => /:(alertEmail|caa\.iodef|dmarc\.rua|tlsRpt\.rua|adminCidrs|dkim\.active|dkim\.selectors|mailboxes|aliases)/.test(p.key));
        if (!names && !crossKey) failures.push(`${label}: rejected without naming the key: ${JSON.stringify(result.problems)}`);
        for (const problem of result.problems) {
          if (/[\u0000-\u001f\u007f]/.test(problem.key + problem.message)) failures.push(`${label}: a control character in ${JSON.stringify(problem)}`);
          if (problem.message.length > 400) failures.push(`${label}: a ${problem.message.length}-character message`);
        }
      } else {
        for (const problem of unsafeAcceptance(result.config)) failures.push(`${label}: ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    // The corpus must exercise both sides: most hostile values are refused, some are harmless.
    expect(rejected).toBeGreaterThan(cases / 2);
    expect(rejected).toBeLessThan(cases);
  });
});
