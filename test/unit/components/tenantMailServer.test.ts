import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allowedOutboundPorts, publicInboundPorts } from "../../../baseline/network";
import { dkimRsaKeyBits, validateDkimRecord } from "../../../baseline/dns/dkim";
import { parseDmarc, validateDmarc } from "../../../baseline/dns/dmarc";
import { mtaStsPolicyId, validateMtaStsRecord } from "../../../baseline/dns/mtaSts";
import { parseSpf, validateSpf } from "../../../baseline/dns/spf";
import { spkiSha256 } from "../../../baseline/dns/tlsa";
import { parseTxtContent } from "../../../baseline/dns/txt";
import { tenantMtaStsPolicy } from "../../../tenant/mtaStsPolicy";
import type { CapturedResource } from "../../../tools/mockRuntime/capture";
import { runProgramWithMocks, type MockRunResult } from "../../../tools/mockRuntime/runProgram";
import { isSecretMarker, redactSecrets, unwrapSecrets } from "../../../tools/mockRuntime/secrets";

const projectDir = resolve(__dirname, "../../..");
let plan: MockRunResult;

function ofType(type: string): CapturedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

function only(type: string): CapturedResource {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}

function dnsRecords(type: string, name?: string): CapturedResource[] {
  return ofType("cloudflare:index/dnsRecord:DnsRecord").filter((r) => r.inputs.type === type && (name === undefined || r.inputs.name === name));
}

function txtValue(name: string): string {
  const records = dnsRecords("TXT", name);
  expect(records, name).toHaveLength(1);
  return parseTxtContent(String(records[0]!.inputs.content));
}

beforeAll(async () => {
  plan = await runProgramWithMocks({ programDir: projectDir, stack: "dev" });
});

describe("the dev stack under mocks", () => {
  it("nests every resource under the tenant component with the penguinmails:mail: type tokens", () => {
    const server = only("penguinmails:mail:TenantMailServer");
    for (const type of ["penguinmails:mail:MailHost", "penguinmails:mail:DkimKeys", "penguinmails:mail:MailDns", "penguinmails:mail:MailCertificate", "penguinmails:mail:HostConfiguration"]) {
      expect(only(type).parent).toBe(server.urn);
    }
    const components = new Set(plan.resources.filter((r) => !r.custom).map((r) => r.urn));
    for (const r of plan.resources.filter((r) => r.custom)) expect(components.has(r.parent ?? "")).toBe(true);
  });

  it("names the droplet mail.<domain> on Debian 12 with IPv6 and monitoring, tagged for its firewall", () => {
    const droplet = only("digitalocean:index/droplet:Droplet");
    expect(droplet.inputs).toMatchObject({
      name: "mail.tenant-one.example",
      image: "debian-12-x64",
      ipv6: true,
      monitoring: true,
    });
    const tags = droplet.inputs.tags as string[];
    const firewall = only("digitalocean:index/firewall:Firewall");
    const firewallTags = firewall.inputs.tags as string[];
    expect(firewallTags).toHaveLength(1);
    expect(tags).toContain(firewallTags[0]);
    expect(ofType("digitalocean:index/reservedIp:ReservedIp")).toHaveLength(0);
  });

  it("boots the droplet with first-boot cloud-init that holds no secret and never replaces it", () => {
    const droplet = only("digitalocean:index/droplet:Droplet");
    const userData = String(droplet.inputs.userData);
    expect(userData).toMatch(/^#cloud-config\n/);
    expect(userData).toContain("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd");
    expect(userData).not.toMatch(/PRIVATE KEY|acmeDnsApiToken|\[secret\]/);
    expect(droplet.ignoreChanges).toContain("userData");
  });

  it("applies the host bundle over SSH as the admin user with Pulumi's own deploy key, triggered by the bundle hash", () => {
    const server = only("penguinmails:mail:TenantMailServer");
    const deployKey = ofType("tls:index/privateKey:PrivateKey").find((k) => k.parent === server.urn)!;
    expect(deployKey.inputs).toMatchObject({ algorithm: "ED25519" });
    const deployPublicKey = String(unwrapSecrets(deployKey.outputs.publicKeyOpenssh)).trim();
    expect(String(only("digitalocean:index/droplet:Droplet").inputs.userData)).toContain(deployPublicKey);

    const commands = ofType("command:remote:Command");
    const apply = commands.find((c) => c.name.endsWith("-apply"))!;
    const connection = apply.inputs.connection as Record<string, unknown>;
    const droplet = only("digitalocean:index/droplet:Droplet");
    expect(unwrapSecrets(connection)).toMatchObject({ host: droplet.outputs.ipv4Address, user: "mailadmin" });
    expect(JSON.stringify(redactSecrets(connection))).not.toMatch(/PRIVATE KEY/);
    expect(JSON.stringify(unwrapSecrets(connection))).toMatch(/PRIVATE KEY/);
    const hash = (unwrapSecrets(plan.outputs) as Record<string, string>).hostBundleHash!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(apply.inputs.triggers).toEqual([hash]);
    const upload = only("command:remote:CopyToRemote");
    expect(isSecretMarker(upload.inputs.source)).toBe(true);
  });

  it("gives the droplet the admin keys by fingerprint", () => {
    const keys = ofType("digitalocean:index/sshKey:SshKey");
    expect(keys).toHaveLength(1);
    expect(keys[0]!.inputs.publicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(only("digitalocean:index/droplet:Droplet").inputs.sshKeys).toEqual([keys[0]!.outputs.fingerprint]);
  });

  it("opens exactly the baseline's inbound ports, SSH only from the admin and deploy CIDRs", () => {
    const rules = only("digitalocean:index/firewall:Firewall").inputs.inboundRules as Array<Record<string, unknown>>;
    const expected = [
      ...publicInboundPorts.map((p) => ({ protocol: p.protocol, portRange: String(p.port), sourceAddresses: ["0.0.0.0/0", "::/0"] })),
      { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28", "2001:db8:1234::/48", "198.51.100.25/32"] },
    ];
    expect(rules).toEqual(expected);
  });

  it("allows only the baseline's outbound ports", () => {
    const rules = only("digitalocean:index/firewall:Firewall").inputs.outboundRules as Array<Record<string, unknown>>;
    expect(rules.map((r) => `${r.protocol}/${r.portRange}`).sort()).toEqual(allowedOutboundPorts.map((p) => `${p.protocol}/${p.port}`).sort());
  });

  it("requests a Let's Encrypt certificate for mail. and mta-sts. over DNS-01, for the key set's current key, by the account CAA names", () => {
    const certificate = only("pulumi-nodejs:dynamic/certificate:AcmeCertificate");
    const keys = only("pulumi-nodejs:dynamic/certificate:CertificateKeySet");
    const account = only("pulumi-nodejs:dynamic/certificate:AcmeAccount");
    expect(unwrapSecrets(certificate.inputs)).toMatchObject({
      directory: "letsencrypt",
      domains: ["mail.tenant-one.example", "mta-sts.tenant-one.example"],
      keyType: "ecdsa-p256",
      renewBeforeDays: 30,
      contactEmail: "ops@tenant-one.example",
      accountUri: unwrapSecrets(account.outputs.accountUri),
      privateKeyPem: unwrapSecrets(keys.outputs.currentPrivateKeyPem),
      solver: { kind: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef" },
    });
    expect(isSecretMarker(certificate.inputs.solver)).toBe(true);
    expect(isSecretMarker(certificate.inputs.accountKeyPem)).toBe(true);
    expect(isSecretMarker(certificate.inputs.privateKeyPem)).toBe(true);
    expect(certificate.additionalSecretOutputs).toContain("privateKeyPem");
    expect(certificate.propertyDependencies.privateKeyPem).toContain(keys.urn);
    expect(certificate.propertyDependencies.accountUri).toContain(account.urn);
    const accountKey = ofType("tls:index/privateKey:PrivateKey").find((k) => k.name.endsWith("-tls-acme-account"))!;
    expect(accountKey.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(certificate.propertyDependencies.accountKeyPem).toContain(accountKey.urn);
    expect(account.propertyDependencies.accountKeyPem).toContain(accountKey.urn);
    const { __provider: _provider, ...keySettings } = unwrapSecrets(keys.inputs) as Record<string, unknown>;
    expect(keySettings).toEqual({ keyType: "ecdsa-p256", dnsTtlSeconds: 3600, forcedRollover: 0 });
    expect(keys.additionalSecretOutputs).toEqual(expect.arrayContaining(["privateKeyPems", "currentPrivateKeyPem"]));
  });

  it("orders the certificate only after the account, the CAA records and the TLSA records, and applies the host after the TLSA records", () => {
    const certificate = only("pulumi-nodejs:dynamic/certificate:AcmeCertificate");
    const account = only("pulumi-nodejs:dynamic/certificate:AcmeAccount");
    const caa = dnsRecords("CAA");
    const tlsa = dnsRecords("TLSA");
    expect(caa).toHaveLength(3);
    expect(tlsa).toHaveLength(3);
    for (const r of [account, ...caa, ...tlsa]) expect(certificate.dependencies, r.name).toContain(r.urn);
    // The CAA issue record is built from the account's URL: the account exists before it.
    expect(caa.find((r) => (r.inputs.data as { tag: string }).tag === "issue")!.propertyDependencies.data).toContain(account.urn);
    const hostConfiguration = only("penguinmails:mail:HostConfiguration");
    for (const r of tlsa) expect(hostConfiguration.dependencies, r.name).toContain(r.urn);
  });

  it("publishes a TLSA 3 1 1 record per key slot at _25._tcp.mail.<domain>, each the SHA-256 of that slot's key", () => {
    const keys = only("pulumi-nodejs:dynamic/certificate:CertificateKeySet");
    const pems = unwrapSecrets(keys.outputs.privateKeyPems) as string[];
    const tlsa = [0, 1, 2].map((slot) => plan.resources.find((r) => r.name === `tenant-one-example-dns-tlsa-${slot}`)!);
    expect(tlsa.map((r) => r.inputs)).toEqual(
      pems.map((pem) =>
        expect.objectContaining({ name: "_25._tcp.mail.tenant-one.example", type: "TLSA", data: { usage: 3, selector: 1, matchingType: 1, certificate: spkiSha256(pem) } }),
      ),
    );
    for (const r of tlsa) expect(r.propertyDependencies.data).toContain(keys.urn);
  });

  it("signs the zone with DNSSEC, keeps it signed when the stack goes, and exports the DS for the registrar", () => {
    const dnssec = only("cloudflare:index/zoneDnssec:ZoneDnssec");
    expect(dnssec.inputs).toEqual({ zoneId: "0123456789abcdef0123456789abcdef", status: "active" });
    expect(unwrapSecrets(plan.outputs.dnssecDsRecord)).toBe(unwrapSecrets(dnssec.outputs.ds));
    expect(plan.outputs.dnssecNotice).toMatch(/^Publish dnssecDsRecord as the DS record at the domain's registrar/);
  });

  it("pins the droplet's SSH host key once it exists, and every remote command connects with it", () => {
    const pin = only("pulumi-nodejs:dynamic/host:HostKeyPin");
    const droplet = only("digitalocean:index/droplet:Droplet");
    expect(pin.dependencies).toContain(droplet.urn);
    expect(pin.propertyDependencies.hostId).toContain(droplet.urn);
    const commands = plan.resources.filter((r) => r.type.startsWith("command:remote:"));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      expect((unwrapSecrets(command.inputs.connection) as { hostKey?: string }).hostKey, command.name).toBe(unwrapSecrets(pin.outputs.hostKey));
    }
    expect(unwrapSecrets(pin.outputs.hostKey)).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+=*$/);
  });

  it("generates one RSA 2048 DKIM key per selector and publishes it", () => {
    const dkim = only("penguinmails:mail:DkimKeys");
    const keys = ofType("tls:index/privateKey:PrivateKey").filter((k) => k.parent === dkim.urn);
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    const record = txtValue("pm202611._domainkey.tenant-one.example");
    expect(validateDkimRecord(record)).toEqual([]);
    expect(dkimRsaKeyBits(record)).toBe(2048);
  });

  it("publishes SPF naming the droplet's own addresses", () => {
    const droplet = only("digitalocean:index/droplet:Droplet");
    const spf = txtValue("tenant-one.example");
    expect(validateSpf(spf)).toEqual([]);
    const terms = parseSpf(spf).terms.map((t) => t.text);
    expect(terms).toContain(`ip4:${droplet.outputs.ipv4Address}`);
    expect(terms).toContain(`ip6:${droplet.outputs.ipv6Address}`);
    expect(spf).toMatch(/ ~all$/);
  });

  it("points mail. and mta-sts. A/AAAA at the droplet, unproxied, and MX at mail.", () => {
    const droplet = only("digitalocean:index/droplet:Droplet");
    for (const name of ["mail.tenant-one.example", "mta-sts.tenant-one.example"]) {
      expect(dnsRecords("A", name).map((r) => [r.inputs.content, r.inputs.proxied])).toEqual([[droplet.outputs.ipv4Address, false]]);
      expect(dnsRecords("AAAA", name).map((r) => [r.inputs.content, r.inputs.proxied])).toEqual([[droplet.outputs.ipv6Address, false]]);
    }
    expect(dnsRecords("MX").map((r) => [r.inputs.name, r.inputs.content, r.inputs.priority])).toEqual([["tenant-one.example", "mail.tenant-one.example", 10]]);
  });

  it("publishes DMARC in the monitor phase with a report address", () => {
    const dmarc = txtValue("_dmarc.tenant-one.example");
    expect(validateDmarc(dmarc)).toEqual([]);
    expect(parseDmarc(dmarc).tags).toMatchObject({ p: "none", rua: "mailto:dmarc@tenant-one.example" });
  });

  it("derives the MTA-STS id from the policy text and publishes TLS-RPT", () => {
    const record = txtValue("_mta-sts.tenant-one.example");
    expect(validateMtaStsRecord(record)).toEqual([]);
    const policy = tenantMtaStsPolicy({ domain: "tenant-one.example", mtaSts: { mode: "testing", maxAgeSeconds: 604800 } });
    expect(record).toBe(`v=STSv1; id=${mtaStsPolicyId(policy)}`);
    expect(txtValue("_smtp._tls.tenant-one.example")).toBe("v=TLSRPTv1; rua=mailto:tlsrpt@tenant-one.example");
  });

  it("restricts issuance to Let's Encrypt over DNS-01, by our account only, with CAA", () => {
    const caa = dnsRecords("CAA", "tenant-one.example").map((r) => r.inputs.data);
    const accountUri = unwrapSecrets(only("pulumi-nodejs:dynamic/certificate:AcmeAccount").outputs.accountUri);
    expect(caa).toContainEqual({ flags: 0, tag: "issue", value: `letsencrypt.org; validationmethods=dns-01; accounturi=${accountUri}` });
    expect(caa).toContainEqual({ flags: 0, tag: "issuewild", value: ";" });
    expect(caa).toContainEqual({ flags: 0, tag: "iodef", value: "mailto:ops@tenant-one.example" });
  });

  it("sets the zone's TLS settings", () => {
    const settings = Object.fromEntries(ofType("cloudflare:index/zoneSetting:ZoneSetting").map((r) => [r.inputs.settingId, r.inputs.value]));
    expect(settings).toEqual({ min_tls_version: "1.2", ssl: "strict", always_use_https: "on", tls_1_3: "on" });
  });

  it("records dependencies: each address record depends on the droplet", () => {
    const droplet = only("digitalocean:index/droplet:Droplet");
    for (const r of [...dnsRecords("A"), ...dnsRecords("AAAA")]) {
      expect(r.propertyDependencies.content).toContain(droplet.urn);
    }
    const tag = only("digitalocean:index/tag:Tag");
    expect(only("digitalocean:index/firewall:Firewall").dependencies).toContain(tag.urn);
  });

  it("keeps private keys secret and out of the plain stack outputs", () => {
    for (const key of ofType("tls:index/privateKey:PrivateKey")) expect(isSecretMarker(key.outputs.privateKeyPem)).toBe(true);
    expect(isSecretMarker(only("pulumi-nodejs:dynamic/certificate:AcmeCertificate").outputs.privateKeyPem)).toBe(true);
    expect(JSON.stringify(plan.outputs)).not.toMatch(/PRIVATE KEY/);
    expect(unwrapSecrets(plan.outputs)).toMatchObject({
      mailHostname: "mail.tenant-one.example",
      dkimSelectors: ["pm202611"],
      activeDkimSelector: "pm202611",
    });
  });

  it("registers, as the tenant component's outputs, everything the stack exports about the tenant", () => {
    const server = only("penguinmails:mail:TenantMailServer");
    const registered = unwrapSecrets(plan.componentOutputs.get(server.urn)) as Record<string, unknown>;
    const exported = unwrapSecrets(plan.outputs) as Record<string, unknown>;
    const { domain, ...fromTheComponent } = exported;
    expect(domain).toBe("tenant-one.example");
    expect(registered).toEqual(fromTheComponent);
  });
});
