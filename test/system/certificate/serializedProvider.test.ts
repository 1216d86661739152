/**
 * The provider as the engine runs it: the serialized `__provider` that the mock runtime receives
 * when AcmeCertificate registers, loaded the way @pulumi/pulumi's dynamic provider host loads it
 * (require-from-string, then `.handler()`), with every message passed through protobuf Structs
 * as over gRPC, and driven through check, create, diff and delete against Pebble.
 */

import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcmeAccount, AcmeCertificate, CertificateKeySet } from "../../../components/certificate";
import { startAcmeLab, type AcmeLab } from "../../../tools/lab/acme";
import { accountKeyPem, certificateKeyPem, labDomains } from "../../support/certificate/fixtures";
import { opensslVerify } from "./opensslVerify";

/** Load the host's own dependencies from where the host would. */
const hostRequire = createRequire(require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js"));
const requireFromString = hostRequire("require-from-string") as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };
const { Struct } = hostRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: object): { toJavaScript(): Record<string, unknown> } };
};
const providerKey = "__provider";

/** What crosses the gRPC boundary: only what a protobuf Struct can carry. */
const overGrpc = (value: object) => Struct.fromJavaScript(value).toJavaScript();

/** Pulumi's wire marker of a secret value. */
const secretSignature = "4dabf18193072939515e22adb298388d";
const isSecret = (value: unknown) =>
  value !== null && typeof value === "object" && (value as Record<string, unknown>)[secretSignature] === "1b47061264138c4ac30d75fd1eb44270";

/** The dynamic provider host does not accept secrets, so the engine hands it plain values. */
function unwrapSecrets(value: unknown): unknown {
  if (isSecret(value)) return unwrapSecrets((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

interface Registered {
  type: string;
  inputs: Record<string, unknown>;
}

let lab: AcmeLab | undefined;
const registered_: Registered[] = [];

beforeAll(async () => {
  lab = await startAcmeLab();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered_.push({ type: args.type, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "acme",
    "test",
  );
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

async function registered(type: string, resource: pulumi.Resource): Promise<Registered> {
  await new Promise<void>((resolve) => resource.urn.apply(() => resolve()));
  const entry = registered_.find((r) => r.type === type);
  if (!entry) throw new Error(`${type} was not registered; saw ${registered_.map((r) => r.type).join(", ")}`);
  return entry;
}

/** A serialized provider as the dynamic provider host loads it, with inputs as they cross gRPC. */
function hostProvider(inputs: Record<string, unknown>): { provider: pulumi.dynamic.ResourceProvider; news: Record<string, unknown>; text: string } {
  const text = inputs[providerKey] as string;
  expect(typeof text).toBe("string");
  expect(text).not.toContain("PRIVATE KEY");
  return { provider: requireFromString(text).handler(), news: overGrpc(unwrapSecrets(inputs) as object), text };
}

async function registerCertificate(): Promise<Registered> {
  const certificate = new AcmeCertificate("tenant-cert", {
    directory: lab!.directoryUrl,
    directoryCaPem: lab!.caPem,
    accountKeyPem: accountKeyPem(),
    privateKeyPem: certificateKeyPem(),
    contactEmail: "hostmaster@acme.test",
    domains: labDomains,
    solver: lab!.solverConfig(),
    propagation: { nameservers: [lab!.dnsServer], timeoutSeconds: 10 },
  });
  return registered("pulumi-nodejs:dynamic/certificate:AcmeCertificate", certificate);
}

describe("the serialized dynamic provider", () => {
  it("loads like the dynamic provider host loads it and issues, diffs and revokes against Pebble", async () => {
    const { inputs } = await registerCertificate();
    const providerText = inputs[providerKey];
    expect(typeof providerText).toBe("string");
    // The closure holds code, not the stack's secrets.
    expect(providerText).not.toContain("PRIVATE KEY");
    expect(providerText).not.toContain(lab!.solverConfig().tsigSecret);

    expect(isSecret(inputs.accountKeyPem)).toBe(true);
    expect(isSecret(inputs.privateKeyPem)).toBe(true);
    expect(isSecret(inputs.solver)).toBe(true);

    const provider = requireFromString(providerText as string).handler();

    const news = overGrpc(unwrapSecrets(inputs) as object);
    const checked = await provider.check!({}, news);
    expect(checked.failures).toEqual([]);
    const checkedInputs = overGrpc({ ...checked.inputs, [providerKey]: providerText });
    expect(checkedInputs).toMatchObject({ keyType: "ecdsa-p256", renewBeforeDays: 30, revokeOnDelete: true });

    const created = await provider.create(checkedInputs);
    const state = overGrpc({ ...created.outs, [providerKey]: providerText }) as Record<string, string>;
    expect(state.serial).toBe(created.id);
    for (const name of labDomains) {
      expect(opensslVerify(lab!.issuingRootPem, state.chainPem!, state.certificatePem!, name)).toBe("leaf.pem: OK");
    }

    const unchanged = await provider.diff!(created.id, state, checkedInputs);
    expect(unchanged).toMatchObject({ changes: false, replaces: [] });
    const renewing = await provider.diff!(created.id, state, overGrpc({ ...checkedInputs, renewBeforeDays: 3650 }));
    expect(renewing).toMatchObject({ changes: true, replaces: [] });

    await provider.delete!(created.id, state);
    expect(await lab!.pebble.certificateStatus(state.serial!)).toMatchObject({ status: "Revoked" });
  }, 90_000);
});

describe("the other serialized dynamic providers", () => {
  it("registers an ACME account at Pebble and keeps its URL", async () => {
    const account = new AcmeAccount("tenant-account", { directory: lab!.directoryUrl, directoryCaPem: lab!.caPem, accountKeyPem: accountKeyPem(), contactEmail: "hostmaster@acme.test" });
    const { inputs } = await registered("pulumi-nodejs:dynamic/certificate:AcmeAccount", account);
    expect(isSecret(inputs.accountKeyPem)).toBe(true);
    const { provider, news, text } = hostProvider(inputs);
    const checked = await provider.check!({}, news);
    expect(checked.failures).toEqual([]);
    const created = await provider.create(overGrpc({ ...checked.inputs, [providerKey]: text }));
    expect(created.outs.accountUri).toMatch(new RegExp(`^${lab!.directoryUrl.replace(/\/dir$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/`));
    expect(created.id).toBe(created.outs.accountUri);
    // The same key registered again is the same account.
    const again = await provider.create(overGrpc({ ...checked.inputs, [providerKey]: text }));
    expect(again.outs.accountUri).toBe(created.outs.accountUri);
  }, 60_000);

  it("creates a certificate key set: three distinct keys, the current one exposed, no change on the next check", async () => {
    const keys = new CertificateKeySet("tenant-keys", { keyType: "ecdsa-p256", dnsTtlSeconds: 300 });
    const { inputs } = await registered("pulumi-nodejs:dynamic/certificate:CertificateKeySet", keys);
    const { provider, news, text } = hostProvider(inputs);
    const checked = await provider.check!({}, news);
    expect(checked.failures).toEqual([]);
    const created = await provider.create(overGrpc({ ...checked.inputs, [providerKey]: text }));
    const outs = created.outs as { privateKeyPems: string[]; publicKeySha256s: string[]; currentPrivateKeyPem: string; currentSlot: number };
    expect(new Set(outs.publicKeySha256s).size).toBe(3);
    expect(outs.currentPrivateKeyPem).toBe(outs.privateKeyPems[outs.currentSlot]);
    const unchanged = await provider.diff!(created.id, overGrpc({ ...created.outs, [providerKey]: text }), overGrpc({ ...(await provider.check!(checked.inputs!, news)).inputs, [providerKey]: text }));
    expect(unchanged).toMatchObject({ changes: false, replaces: [] });
  }, 60_000);
});
