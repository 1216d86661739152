/** Builders for policy tests: captured resources by hand, one policy evaluated over them. */

import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { expect } from "vitest";
import type { Policy } from "@pulumi/policy";
import { buildDkimRecord } from "../../../baseline/dns/dkim";
import { renderTxtContent } from "../../../baseline/dns/txt";
import type { CapturedResource } from "../../../tools/mockRuntime/capture";
import { mockKeyMaterial } from "../../../tools/mockRuntime/mockKeyMaterial";
import { evaluatePolicies, type PolicyDiagnostic, type PolicyReport } from "../../../tools/policy/evaluate";
import { parsePolicyPackConfig } from "../../../tools/policy/packConfig";

export const stackUrn = "urn:pulumi:test::proj::pulumi:pulumi:Stack::proj-test";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::proj::${type}::${name}`;
}

/** A captured custom resource: outputs echo the inputs (as the mocks answer) unless given. */
export function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<CapturedResource> = {}): CapturedResource {
  return {
    urn: urnOf(type, name),
    type,
    name,
    custom: true,
    parent: stackUrn,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    outputs: { ...inputs },
    protect: false,
    ignoreChanges: [],
    additionalSecretOutputs: [],
    deleteBeforeReplace: false,
    replaceOnChanges: [],
    ...extra,
  };
}

export const stackResource: CapturedResource = { ...resource("pulumi:pulumi:Stack", "proj-test", {}), urn: stackUrn, custom: false, parent: undefined };

export const zoneId = "0123456789abcdef0123456789abcdef";

export function dnsRecord(name: string, type: string, fields: Record<string, unknown>, resourceName = `${type.toLowerCase()}-${name}`): CapturedResource {
  return resource("cloudflare:index/dnsRecord:DnsRecord", resourceName, { zoneId, name, type, ttl: 3600, ...fields });
}

/** A TXT record whose value is published as Cloudflare wants it: quoted strings of at most 255. */
export function txt(name: string, value: string, resourceName?: string): CapturedResource {
  return dnsRecord(name, "TXT", { content: renderTxtContent(value) }, resourceName);
}

/** Evaluates one policy (its own config given as the config file's entry would be). */
export async function evaluateOne(policy: Policy, resources: readonly CapturedResource[], config?: unknown): Promise<PolicyReport> {
  return evaluatePolicies([stackResource, ...resources], {
    policies: [policy],
    config: config === undefined ? undefined : parsePolicyPackConfig({ [policy.name]: config }, "test config"),
  });
}

/** The violations' own messages (the line after the policy's description), each checked to say how to fix it. */
export async function violations(policy: Policy, resources: readonly CapturedResource[], config?: unknown): Promise<string[]> {
  const report = await evaluateOne(policy, resources, config);
  return report.diagnostics.map((diagnostic) => {
    expect(diagnostic.policyName).toBe(policy.name);
    return ownMessage(diagnostic);
  });
}

export function ownMessage(diagnostic: PolicyDiagnostic): string {
  const [description, ...rest] = diagnostic.message.split("\n");
  expect(description).toBe(diagnostic.description);
  const message = rest.join("\n");
  if (!message.startsWith("can't run ")) expect(message, "a violation says how to fix it").toMatch(/Fix: \S/);
  return message;
}

const generated = new Map<number, KeyObject>();

/** An RSA public key of the given size (the mock runtime's fixed keys where they exist). */
export function rsaPublicKey(bits: number): KeyObject {
  const fixture = mockKeyMaterial[`rsa-${bits}`];
  if (fixture) return createPublicKey(fixture);
  let key = generated.get(bits);
  if (!key) {
    key = generateKeyPairSync("rsa", { modulusLength: bits }).publicKey;
    generated.set(bits, key);
  }
  return key;
}

export function dkimValue(bits: number): string {
  return buildDkimRecord({ publicKeyPem: rsaPublicKey(bits).export({ type: "spki", format: "pem" }).toString() });
}

function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An OpenSSH `ssh-rsa` public key line of the given size. */
export function sshRsaPublicKey(bits: number): string {
  const jwk = rsaPublicKey(bits).export({ format: "jwk" });
  const mpint = (b64: string | undefined) => {
    const bytes = Buffer.from(b64 ?? "", "base64url");
    return sshString((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
  };
  return `ssh-rsa ${Buffer.concat([sshString("ssh-rsa"), mpint(jwk.e), mpint(jwk.n)]).toString("base64")} test@example.org`;
}

export const ed25519SshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd ops@tenant-one.example";
