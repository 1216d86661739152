import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareResources, unknownValue } from "../../../tools/diff/compareResources";
import { loudChanges } from "../../../tools/diff/loudChanges";
import { dynamicProviderRules, replacementRules } from "../../../tools/diff/replacementRules";
import type { SnapshotResource } from "../../../tools/diff/stackSnapshot";
import { runProgramWithMocks } from "../../../tools/mockRuntime/runProgram";
import { secretSignature, secretSignatureKey } from "../../../tools/mockRuntime/secrets";

const prefix = "urn:pulumi:dev::penguinmails-mail::";

function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<SnapshotResource> = {}): SnapshotResource {
  return {
    urn: `${prefix}${extra.parent ? `${extra.parent.split("::")[2]}$` : ""}${type}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    outputs: inputs,
    propertyDependencies: {},
    ignoreChanges: [],
    replaceOnChanges: [],
    deleteBeforeReplace: false,
    additionalSecretOutputs: [],
    ...extra,
  };
}

const droplet = (inputs: Record<string, unknown>, extra: Partial<SnapshotResource> = {}) =>
  resource("digitalocean:index/droplet:Droplet", "t-host-droplet", { name: "mail.t.example", region: "fra1", size: "s-1vcpu-2gb", ipv6: true, image: "debian-12-x64", ...inputs }, extra);
const secret = (value: unknown) => ({ [secretSignatureKey]: secretSignature, value });
const noDynamic = { headProgramDir: "/nonexistent" };

describe("compareResources", () => {
  it("replaces a droplet on a region change and names the input and the provider schema behind it", async () => {
    const [change] = await compareResources([droplet({})], [droplet({ region: "ams3" })], noDynamic);
    expect(change).toMatchObject({ kind: "replace", name: "t-host-droplet" });
    expect(change!.properties).toEqual([expect.objectContaining({ property: "region", before: "fra1", after: "ams3", replaces: expect.stringMatching(/^region forces a new resource \(terraform-provider-digitalocean droplet schema\)$/) })]);
  });

  it("updates a droplet's size in place, with the power cycle called out", async () => {
    const [change] = await compareResources([droplet({})], [droplet({ size: "s-2vcpu-4gb" })], noDynamic);
    expect(change!.kind).toBe("update");
    expect(change!.notes).toEqual([expect.stringMatching(/^size changes in place, with downtime: the droplet is powered off/)]);
  });

  it("replaces on IPv6 turned off, never on IPv6 turned on", async () => {
    expect((await compareResources([droplet({})], [droplet({ ipv6: false })], noDynamic))[0]!.kind).toBe("replace");
    expect((await compareResources([droplet({ ipv6: false })], [droplet({ ipv6: true })], noDynamic))[0]!.kind).toBe("update");
  });

  it("leaves out what ignoreChanges names, so a new user data does not replace the droplet", async () => {
    const changes = await compareResources([droplet({ userData: "a" })], [droplet({ userData: "b" }, { ignoreChanges: ["userData"] })], noDynamic);
    expect(changes).toEqual([]);
  });

  it("shows a secret input only as changed, never its value", async () => {
    const before = resource("command:remote:CopyToRemote", "upload", { source: secret({ asset: "sha256:aa" }), remotePath: "x" });
    const after = resource("command:remote:CopyToRemote", "upload", { source: secret({ asset: "sha256:bb" }), remotePath: "x" });
    const [change] = await compareResources([before], [after], noDynamic);
    expect(change!.kind).toBe("update");
    expect(change!.properties).toEqual([{ property: "source", before: "[secret]", after: "[secret]", secret: true }]);
    expect(JSON.stringify(change)).not.toMatch(/sha256:(aa|bb)/);
  });

  it("makes inputs computed from a replaced resource unknown, and replaces a dependent whose trigger it is", async () => {
    const dropletUrn = droplet({}).urn;
    const record = (content: string) => resource("cloudflare:index/dnsRecord:DnsRecord", "t-dns-mail-a", { name: "mail.t.example", type: "A", content, zoneId: "z" }, { propertyDependencies: { content: [dropletUrn] } });
    const command = resource("command:remote:Command", "t-host-config-upload-dir", { create: "install -d", triggers: ["192.0.2.1"] }, { propertyDependencies: { triggers: [dropletUrn] } });
    const changes = await compareResources([droplet({}), record("192.0.2.1"), command], [droplet({ region: "ams3" }), record("192.0.2.1"), command], noDynamic);
    expect(changes.map((c) => [c.name, c.kind])).toEqual([
      ["t-host-droplet", "replace"],
      ["t-dns-mail-a", "update"],
      ["t-host-config-upload-dir", "replace"],
    ]);
    expect(changes[1]!.properties).toEqual([expect.objectContaining({ property: "content", before: "192.0.2.1", unknownUntil: "Droplet t-host-droplet" })]);
  });

  it("replaces a DNS record only when its zone changes", async () => {
    const record = (inputs: Record<string, unknown>) => resource("cloudflare:index/dnsRecord:DnsRecord", "r", { name: "a.t.example", type: "TXT", content: "x", zoneId: "z1", ...inputs });
    expect((await compareResources([record({})], [record({ content: "y" })], noDynamic))[0]!.kind).toBe("update");
    expect((await compareResources([record({})], [record({ zoneId: "z2" })], noDynamic))[0]!.kind).toBe("replace");
  });

  it("honours a resource's replaceOnChanges option, and shows a type without a rule as an update", async () => {
    const thing = (size: number, replaceOnChanges: string[] = []) => resource("example:index/thing:Thing", "thing", { size }, { replaceOnChanges });
    expect((await compareResources([thing(1)], [thing(2, ["size"])], noDynamic))[0]).toMatchObject({ kind: "replace" });
    const [plain] = await compareResources([thing(1)], [thing(2)], noDynamic);
    expect(plain).toMatchObject({ kind: "update", notes: [expect.stringMatching(/^no replacement rule for example:index\/thing:Thing/)] });
  });

  it("lists creates in the head's order and deletes last", async () => {
    const key = (name: string) => resource("tls:index/privateKey:PrivateKey", name, { algorithm: "RSA", rsaBits: 2048 });
    const changes = await compareResources([key("old"), key("kept")], [key("kept"), key("new")], noDynamic);
    expect(changes.map((c) => `${c.kind} ${c.name}`)).toEqual(["create new", "delete old"]);
  });
});

describe("compareResources with a dynamic resource", () => {
  const programDir = mkdtempSync(join(tmpdir(), "diff-dynamic-"));
  afterAll(() => rmSync(programDir, { recursive: true, force: true }));
  const type = "pulumi-nodejs:dynamic/certificate:AcmeCertificate";
  const certificate = (inputs: Record<string, unknown>) => resource(type, "t-tls-certificate", { domains: ["mail.t.example"], directory: "letsencrypt", ...inputs });

  /** A stand-in for the program's provider module, at the path the table names. */
  function provider(body: string): string {
    const dir = mkdtempSync(join(programDir, "tree-"));
    mkdirSync(join(dir, "components/certificate"), { recursive: true });
    writeFileSync(join(dir, "components/certificate/provider.js"), `exports.acmeCertificateProvider = ${body};\n`);
    return dir;
  }

  it("asks the provider's check and diff, and replaces on what its diff names", async () => {
    const dir = provider(`{
      async check(olds, news) { return { inputs: { ...news, directory: news.directory === "letsencrypt" ? "https://acme-v02.api.letsencrypt.org/directory" : news.directory } }; },
      async diff(id, olds, news) { return { changes: true, replaces: JSON.stringify(olds.domains) === JSON.stringify(news.domains) ? [] : ["domains"] }; },
    }`);
    const [change] = await compareResources([certificate({})], [certificate({ domains: ["mail.t.example", "mta-sts.t.example"] })], { headProgramDir: dir });
    expect(change).toMatchObject({ kind: "replace" });
    expect(change!.properties.find((p) => p.property === "domains")).toMatchObject({ replaces: expect.stringMatching(/^its provider replaces on domains/) });
  });

  it("never shows a value check() hands back for an input the resource keeps secret", async () => {
    const dir = provider(`{
      async check(olds, news) { return { inputs: { ...news, solver: { token: "token-" + news.directory } } }; },
      async diff() { return { changes: true }; },
    }`);
    const secretSolver = (directory: string) => certificate({ directory, solver: secret({ token: "t" }) });
    const [change] = await compareResources([secretSolver("letsencrypt")], [secretSolver("letsencrypt-staging")], { headProgramDir: dir });
    expect(change!.properties.find((p) => p.property === "solver")).toEqual({ property: "solver", before: "[secret]", after: "[secret]", secret: true });
    expect(JSON.stringify(change)).not.toMatch(/token-/);
  });

  it("trusts a provider that reports no change, whatever the raw inputs say", async () => {
    const dir = provider(`{ async diff() { return { changes: false }; } }`);
    expect(await compareResources([certificate({})], [certificate({ directory: "letsencrypt-staging" })], { headProgramDir: dir })).toEqual([]);
  });

  it("passes an input computed from a replaced resource as Pulumi's unknown value", async () => {
    const dir = provider(`{ async diff(id, olds, news) { return { changes: true, replaces: news.domains === ${JSON.stringify(unknownValue)} ? ["domains"] : [] }; } }`);
    const parent = droplet({});
    const dependent = resource(type, "t-tls-certificate", { domains: ["mail.t.example"] }, { propertyDependencies: { domains: [parent.urn] } });
    const changes = await compareResources([parent, dependent], [droplet({ region: "ams3" }), dependent], { headProgramDir: dir });
    expect(changes.map((c) => c.kind)).toEqual(["replace", "replace"]);
  });

  it("shows an update with the reason when the provider cannot be asked", async () => {
    const dir = provider(`{ async diff() { throw new Error("boom"); } }`);
    const [change] = await compareResources([certificate({})], [certificate({ directory: "letsencrypt-staging" })], { headProgramDir: dir });
    expect(change).toMatchObject({ kind: "update", notes: ["replacement not known: its provider's diff failed (boom)"] });
  });
});

describe("loudChanges", () => {
  const dkimParent = `${prefix}penguinmails:mail:TenantMailServer$penguinmails:mail:DkimKeys::t-dkim`;
  const dkimKey = resource("tls:index/privateKey:PrivateKey", "t-dkim-pm202611", { algorithm: "RSA", rsaBits: 2048 }, { parent: dkimParent });

  it("flags a replaced droplet with the input that forces it", async () => {
    const changes = await compareResources([droplet({})], [droplet({ region: "ams3" })], noDynamic);
    expect(loudChanges(changes, new Map()).map((l) => l.title)).toEqual(["The mail server's droplet is REPLACED (region \"fra1\" -> \"ams3\")"]);
  });

  it("flags a DKIM key replaced or withdrawn, by its selector, and not one added", async () => {
    const parents = new Map([[dkimKey.urn, dkimParent]]);
    const replaced = await compareResources([dkimKey], [{ ...dkimKey, inputs: { algorithm: "RSA", rsaBits: 4096 } }], noDynamic);
    expect(loudChanges(replaced, parents).map((l) => l.title)).toEqual(["The DKIM key of selector pm202611 is REPLACED (rsaBits)"]);
    expect(loudChanges(await compareResources([dkimKey], [], noDynamic), parents).map((l) => l.title)).toEqual(["The DKIM key of selector pm202611 is DELETED, and its record withdrawn"]);
    expect(loudChanges(await compareResources([], [dkimKey], noDynamic), parents)).toEqual([]);
  });

  it("flags Pulumi's deploy key replaced, and says nothing of a plain update", async () => {
    const key = (algorithm: string) => resource("tls:index/privateKey:PrivateKey", "t-deploy-key", { algorithm });
    expect(loudChanges(await compareResources([key("ED25519")], [key("RSA")], noDynamic), new Map()).map((l) => l.title)).toEqual(["Pulumi's deploy key is REPLACED (algorithm \"ED25519\" -> \"RSA\")"]);
    expect(loudChanges(await compareResources([droplet({})], [droplet({ size: "s-2vcpu-4gb" })], noDynamic), new Map())).toEqual([]);
  });
});

describe("replacementRules", () => {
  it("cites a source for every rule and names only inputs the SDK declares", async () => {
    const sdkInputs: Record<string, string> = {
      "digitalocean:index/droplet:Droplet": "@pulumi/digitalocean/droplet",
      "digitalocean:index/sshKey:SshKey": "@pulumi/digitalocean/sshKey",
      "digitalocean:index/tag:Tag": "@pulumi/digitalocean/tag",
      "cloudflare:index/dnsRecord:DnsRecord": "@pulumi/cloudflare/dnsRecord",
      "cloudflare:index/zoneSetting:ZoneSetting": "@pulumi/cloudflare/zoneSetting",
      "tls:index/privateKey:PrivateKey": "@pulumi/tls/privateKey",
      "command:remote:Command": "@pulumi/command/remote/command",
      "command:remote:CopyToRemote": "@pulumi/command/remote/copyToRemote",
    };
    const { readFileSync } = await import("node:fs");
    for (const [type, rule] of Object.entries(replacementRules)) {
      expect(rule.source.length, type).toBeGreaterThan(20);
      const module = sdkInputs[type];
      if (!module) continue;
      const declarations = readFileSync(require.resolve(`${module}.d.ts`), "utf8");
      for (const input of [...rule.replaceOn, ...Object.keys(rule.replaceWhen ?? {}), ...Object.keys(rule.disruptiveUpdates ?? {})]) {
        expect(declarations, `${type} ${input}`).toMatch(new RegExp(`\\b${input}\\??: pulumi\\.Input`));
      }
    }
  });
});

describe("compareResources with a resource that moved", () => {
  it("notes on both the delete and the create that the URN changed, and that an alias would keep it", async () => {
    const key = (parent: string) => resource("tls:index/privateKey:PrivateKey", "t-acme-account", { algorithm: "ECDSA" }, { urn: `${prefix}${parent}$tls:index/privateKey:PrivateKey::t-acme-account` });
    const changes = await compareResources([key("penguinmails:mail:MailCertificate")], [key("penguinmails:mail:AcmeAccount")], noDynamic);
    expect(changes.map((c) => [c.kind, c.notes])).toEqual([
      ["create", [expect.stringMatching(/^moved in the component tree \(its URN changed\): deleted and created again, unless the new resource declares the old URN as an alias$/)]],
      ["delete", [expect.stringMatching(/^moved in the component tree/)]],
    ]);
  });
});

describe("the rules cover the program", () => {
  it("name a rule for every resource type the dev stack declares, and every dynamic provider loads", async () => {
    const projectDir = join(__dirname, "../../..");
    const run = await runProgramWithMocks({ programDir: projectDir, stack: "dev" });
    const types = [...new Set(run.resources.filter((r) => r.custom).map((r) => r.type))];
    for (const type of types) expect(type in replacementRules || type in dynamicProviderRules, type).toBe(true);
    for (const type of types.filter((t) => t in dynamicProviderRules)) {
      const rule = dynamicProviderRules[type]!;
      const provider = ((await import(join(projectDir, `${rule.module}.ts`))) as Record<string, { diff?: unknown }>)[rule.exportName];
      expect(typeof provider?.diff, `${type}: ${rule.module} ${rule.exportName}`).toBe("function");
    }
  });
});

describe("loudChanges for DNSSEC", () => {
  it("flags the zone's signing replaced or turned off, not turned on", async () => {
    const dnssec = (inputs: Record<string, unknown>) => resource("cloudflare:index/zoneDnssec:ZoneDnssec", "t-dns-dnssec", { zoneId: "z1", status: "active", ...inputs });
    expect(loudChanges(await compareResources([dnssec({})], [dnssec({ zoneId: "z2" })], noDynamic), new Map()).map((l) => l.title)).toEqual(["The zone's DNSSEC is REPLACED (zoneId \"z1\" -> \"z2\")"]);
    expect(loudChanges(await compareResources([dnssec({})], [dnssec({ status: "disabled" })], noDynamic), new Map()).map((l) => l.title)).toEqual(["The zone's DNSSEC CHANGES"]);
    expect(loudChanges(await compareResources([], [dnssec({})], noDynamic), new Map())).toEqual([]);
  });
});
