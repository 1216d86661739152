import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { certificateKeyTypeNames } from "../../../baseline/certificates";
import { tlsAllowedEcdsaCurves, tlsProviderDefaultEcdsaCurve, tlsRsaMinimumBits } from "../../../baseline/keys";
import { acmeCertificateKeyType } from "../../../policies/acme";
import { tlsPrivateKeyStrength } from "../../../policies/tls";
import { evaluateOne, resource, violations } from "./support";

const key = (inputs: Record<string, unknown>, name = "key") => resource("tls:index/privateKey:PrivateKey", name, inputs);
const certificate = (inputs: Record<string, unknown>) => resource("pulumi-nodejs:dynamic/certificate:AcmeCertificate", "cert", { domains: ["mail.example.org"], ...inputs });

describe("tls-private-key-strength", () => {
  it("passes RSA at the minimum, every allowed curve, ED25519 and an RSA key without rsaBits (the provider's 2048)", async () => {
    const keys = [
      key({ algorithm: "RSA", rsaBits: tlsRsaMinimumBits }, "rsa"),
      key({ algorithm: "RSA" }, "rsa-default"),
      key({ algorithm: "ED25519" }, "ed"),
      ...tlsAllowedEcdsaCurves.map((curve) => key({ algorithm: "ECDSA", ecdsaCurve: curve }, curve)),
    ];
    expect(await violations(tlsPrivateKeyStrength, keys)).toEqual([]);
  });

  it("flags RSA below the minimum", async () => {
    expect(await violations(tlsPrivateKeyStrength, [key({ algorithm: "RSA", rsaBits: 1024 })])).toEqual([
      `RSA key of 1024 bits; at least ${tlsRsaMinimumBits} are required. Fix: set rsaBits to at least ${tlsRsaMinimumBits}.`,
    ]);
  });

  it("treats an unset curve as the provider's P224 default, and flags an explicit P224", async () => {
    const [unset] = await violations(tlsPrivateKeyStrength, [key({ algorithm: "ECDSA" })]);
    expect(unset).toContain(`ecdsaCurve is unset, so the provider uses its default ${tlsProviderDefaultEcdsaCurve}`);
    const [explicit] = await violations(tlsPrivateKeyStrength, [key({ algorithm: "ECDSA", ecdsaCurve: "P224" })]);
    expect(explicit).toContain('curve "P224" is not allowed');
  });

  it("flags an algorithm whose strength it cannot judge", async () => {
    expect(await violations(tlsPrivateKeyStrength, [key({ algorithm: "DSA" })])).toEqual([
      'algorithm "DSA" is not RSA, ECDSA or ED25519, so its strength cannot be judged. Fix: use one of those.',
    ]);
  });

  it("honours its tunables: a higher RSA minimum, fewer curves, no ED25519", async () => {
    const config = { minimumRsaBits: 3072, allowedEcdsaCurves: ["P384"], allowEd25519: false };
    const found = await violations(tlsPrivateKeyStrength, [key({ algorithm: "RSA", rsaBits: 2048 }, "a"), key({ algorithm: "ECDSA", ecdsaCurve: "P256" }, "b"), key({ algorithm: "ED25519" }, "c")], config);
    expect(found).toHaveLength(3);
    expect(found[0]).toContain("at least 3072");
    expect(found[1]).toContain('curve "P256" is not allowed; allowed curves: P384');
    expect(found[2]).toContain("ED25519 keys are disabled");
  });

  it("cannot be configured below the baseline", async () => {
    await expect(evaluateOne(tlsPrivateKeyStrength, [], { minimumRsaBits: 1024 })).rejects.toThrow(
      `tls-private-key-strength: minimumRsaBits: 1024 is below the minimum ${tlsRsaMinimumBits}`,
    );
    await expect(evaluateOne(tlsPrivateKeyStrength, [], { allowedEcdsaCurves: ["P224"] })).rejects.toThrow('allowedEcdsaCurves[0]: "P224" is not one of');
  });

  it("reports that it cannot run when the algorithm is unknown during preview", async () => {
    const report = await evaluateOne(tlsPrivateKeyStrength, [key({ algorithm: pulumi.unknown, rsaBits: 4096 })]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message])).toEqual([
      ["advisory", "can't run policy 'tls-private-key-strength' from policy pack 'mail-security-baseline@v0.1.0' during preview: string value at .algorithm can't be known during preview"],
    ]);
  });
});

describe("acme-certificate-key-type", () => {
  it("passes every allowed key type and the default (unset)", async () => {
    const certificates = [certificate({}), ...certificateKeyTypeNames.map((keyType) => certificate({ keyType }))];
    expect(await violations(acmeCertificateKeyType, certificates)).toEqual([]);
  });

  it("flags a key type that is not one of the baseline's, under any dynamic module name", async () => {
    const weak = resource("pulumi-nodejs:dynamic/acme:AcmeCertificate", "legacy", { keyType: "rsa-1024" });
    const [message] = await violations(acmeCertificateKeyType, [weak]);
    expect(message).toMatch(/^keyType "rsa-1024" is not a certificate key type \(ecdsa-p256, .*\)\. Fix: use one of /);
  });

  it("honours allowedKeyTypes", async () => {
    const found = await violations(acmeCertificateKeyType, [certificate({ keyType: "rsa-2048" })], { allowedKeyTypes: ["ecdsa-p256", "ecdsa-p384"] });
    expect(found).toEqual(['keyType "rsa-2048" is not allowed by this policy\'s config. Fix: use one of ecdsa-p256, ecdsa-p384.']);
  });

  it("ignores other dynamic resources", async () => {
    const report = await evaluateOne(acmeCertificateKeyType, [resource("pulumi-nodejs:dynamic/other:Thing", "t", { keyType: "rsa-1024" })]);
    expect(report.diagnostics).toEqual([]);
    expect(report.notApplicableCount).toBe(2); // the stack and the other resource
  });
});
