/** AcmeCertificate's inputs: defaults from the baseline, and errors that name the input and what is wrong. */

import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  certificateKeyTypeNames,
  certificateKeyTypes,
  defaultCertificateKeyType,
  meetsTlsKeyMinimums,
} from "../../../baseline/certificates";
import { certificateRenewBeforeDays } from "../../../baseline/tls";
import { AcmeCertificate, acmeDirectories } from "../../../components/certificate";
import { checkCertificateInputs } from "../../../components/certificate/inputs";
import { accountKeyPem, certificateKeyPem } from "../../support/certificate/fixtures";

const valid = () => ({
  directory: "letsencrypt-staging",
  accountKeyPem: accountKeyPem(),
  privateKeyPem: certificateKeyPem(),
  contactEmail: "hostmaster@example.com",
  domains: ["mail.example.com", "mta-sts.example.com"],
  solver: { kind: "cloudflare" as const, zoneId: "0123456789abcdef0123456789abcdef", apiToken: "abcdefghijklmnopqrstuvwxyz0123456789ABCD" },
});

interface RegisterRequest {
  getName(): string;
  getAdditionalsecretoutputsList(): string[];
}

const failuresOf = (raw: Record<string, unknown>) => checkCertificateInputs(raw).failures;

describe("certificate key types", () => {
  it("all meet the TLS key minimums of the baseline, and the default is one of them", () => {
    for (const name of certificateKeyTypeNames) expect(meetsTlsKeyMinimums(certificateKeyTypes[name])).toBe(true);
    expect(meetsTlsKeyMinimums({ algorithm: "rsa", bits: 1024 })).toBe(false);
    expect(certificateKeyTypeNames).toContain(defaultCertificateKeyType);
  });
});

describe("checking inputs", () => {
  it("fills the defaults: the baseline's renewal window, ECDSA P-256, revoke on delete", () => {
    const { inputs, failures } = checkCertificateInputs(valid());
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      directory: acmeDirectories["letsencrypt-staging"],
      keyType: defaultCertificateKeyType,
      renewBeforeDays: certificateRenewBeforeDays,
      revokeOnDelete: true,
      propagation: { timeoutSeconds: 120 },
    });
  });

  it("names each bad input and says what is wrong", () => {
    const rsaKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const p384Key = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
    expect(failuresOf({ ...valid(), keyType: "rsa-1024" })).toEqual([
      { property: "keyType", reason: `must be one of ${certificateKeyTypeNames.join(", ")}` },
    ]);
    expect(failuresOf({ ...valid(), accountKeyPem: rsaKey })).toEqual([{ property: "accountKeyPem", reason: "must be an ECDSA P-256 key (got RSA)" }]);
    expect(failuresOf({ ...valid(), accountKeyPem: p384Key })).toEqual([
      { property: "accountKeyPem", reason: "must be an ECDSA P-256 key (got ECDSA secp384r1)" },
    ]);
    expect(failuresOf({ ...valid(), directory: "http://acme.example.com/dir" })[0]?.property).toBe("directory");
    expect(failuresOf({ ...valid(), domains: ["Mail.example.com"] })).toEqual([{ property: "domains", reason: "Mail.example.com must be written in lower case" }]);
    expect(failuresOf({ ...valid(), domains: ["*.example.com"] })[0]?.reason).toMatch(/not a host name/);
    expect(failuresOf({ ...valid(), domains: ["mail.example.com", "mail.example.com"] })).toEqual([{ property: "domains", reason: "lists a name twice" }]);
    expect(failuresOf({ ...valid(), renewBeforeDays: 0 })[0]?.property).toBe("renewBeforeDays");
    expect(failuresOf({ ...valid(), contactEmail: "hostmaster" })[0]?.property).toBe("contactEmail");
    expect(failuresOf({ ...valid(), solver: { kind: "route53" } })).toEqual([{ property: "solver", reason: 'kind must be "cloudflare" or "rfc2136"' }]);
    expect(failuresOf({ ...valid(), solver: { ...valid().solver, apiBaseUrl: "http://api.example.com" } })).toEqual([
      { property: "solver.apiBaseUrl", reason: "must be an https:// URL (http:// only on loopback)" },
    ]);
    expect(
      failuresOf({ ...valid(), solver: { kind: "rfc2136", server: "ns1.example.com", zone: "example.com", tsigKeyName: "k", tsigSecret: "not base64!" } }),
    ).toEqual([
      { property: "solver.server", reason: "must be the IP address of the primary server" },
      { property: "solver.tsigSecret", reason: "must be the base64 TSIG secret" },
    ]);
    expect(failuresOf({ ...valid(), propagation: { nameservers: ["ns1.example.com"] } })[0]?.reason).toMatch(/not "ip", "ip:port"/);
    const { accountKeyPem: _omitted, ...withoutKey } = valid();
    expect(failuresOf(withoutKey)).toEqual([{ property: "accountKeyPem", reason: "is required" }]);
    const { privateKeyPem: _key, ...withoutCertificateKey } = valid();
    expect(failuresOf(withoutCertificateKey)).toEqual([{ property: "privateKeyPem", reason: "is required" }]);
    expect(failuresOf({ ...valid(), accountUri: "http://acme.example.com/acct/1" })).toEqual([{ property: "accountUri", reason: "must be the account's https:// URL" }]);
  });

  it("holds the certificate's key to the declared key type, which the policies judge", () => {
    expect(failuresOf({ ...valid(), keyType: "ecdsa-p384" })).toEqual([{ property: "privateKeyPem", reason: "is not a ecdsa-p384 key (got ec prime256v1)" }]);
    expect(failuresOf({ ...valid(), keyType: "rsa-3072", privateKeyPem: certificateKeyPem({ rsaBits: 2048 }) })).toEqual([
      { property: "privateKeyPem", reason: "is not a rsa-3072 key (got RSA 2048)" },
    ]);
    expect(failuresOf({ ...valid(), keyType: "rsa-2048", privateKeyPem: certificateKeyPem({ rsaBits: 2048 }) })).toEqual([]);
    expect(failuresOf({ ...valid(), privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" })).toEqual([
      { property: "privateKeyPem", reason: "must be a PEM private key (CertificateKeySet's currentPrivateKeyPem)" },
    ]);
  });

  it("never repeats a secret in a failure", () => {
    const token = "secret token with spaces that is long enough";
    const reasons = JSON.stringify(failuresOf({ ...valid(), solver: { ...valid().solver, apiToken: token } }));
    expect(reasons).toContain("solver.apiToken");
    expect(reasons).not.toContain(token);
  });

  it("lets values the engine does not know yet through, during preview", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(failuresOf({ ...valid(), domains: unknown, accountKeyPem: unknown })).toEqual([]);
  });
});

describe("the AcmeCertificate resource", () => {
  /** What the engine would receive: the mock monitor sees the real RegisterResource requests. */
  const registrations: { name: string; additionalSecretOutputs: string[] }[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs });
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, callback: unknown): unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      registrations.push({ name: req.getName(), additionalSecretOutputs: req.getAdditionalsecretoutputsList() });
      return register(req, callback);
    };
  });

  it("refuses known bad inputs at construction with a message naming them, and no stack trace", () => {
    let thrown: unknown;
    try {
      new AcmeCertificate("tenant-cert", { ...valid(), keyType: "rsa-1024" as never, domains: ["mail.example.com", pulumi.output("x.example.com")] });
    } catch (error) {
      thrown = error;
    }
    expect(pulumi.ResourceError.isInstance(thrown)).toBe(true);
    expect((thrown as pulumi.ResourceError).hideStack).toBe(true);
    expect((thrown as Error).message).toBe(`AcmeCertificate tenant-cert: keyType must be one of ${certificateKeyTypeNames.join(", ")}`);
  });

  it("accepts inputs that are still outputs, and asks the engine to keep key material secret", async () => {
    const key = pulumi.output(accountKeyPem());
    const certificate = new AcmeCertificate("tenant-cert-2", { ...valid(), accountKeyPem: key, domains: pulumi.output(valid().domains) });
    expect(await new Promise((resolve) => certificate.urn.apply(resolve))).toContain("pulumi-nodejs:dynamic/certificate:AcmeCertificate");
    const request = registrations.find((r) => r.name === "tenant-cert-2");
    expect(request?.additionalSecretOutputs).toEqual(expect.arrayContaining(["privateKeyPem", "accountKeyPem", "solver"]));
  });
});
