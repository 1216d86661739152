/**
 * AcmeCertificate's provider against Pebble with real DNS-01 validation: Pebble looks the
 * challenge up at the lab's Knot, which the RFC 2136 solver updated with knsupdate.
 */

import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acmeCertificateProvider as provider } from "../../../components/certificate/provider";
import { daysUntil } from "../../../components/certificate/renewal";
import { startAcmeLab, type AcmeLab } from "../../../tools/lab/acme";
import { certificateKeyPem, labDomains, labInputs, sanDnsNames } from "../../support/certificate/fixtures";
import { opensslVerify } from "./opensslVerify";

let lab: AcmeLab | undefined;

beforeAll(async () => {
  lab = await startAcmeLab();
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

async function issue(overrides: Record<string, unknown> = {}) {
  const checked = await provider.check!({}, labInputs(lab!, overrides));
  expect(checked.failures).toEqual([]);
  const created = await provider.create(checked.inputs);
  return { inputs: checked.inputs as Record<string, unknown>, id: created.id, outs: created.outs as Record<string, string> };
}

describe("issuing against Pebble", () => {
  it("issues a certificate for the requested names that chains to Pebble's root", async () => {
    const { id, outs } = await issue();
    for (const name of labDomains) {
      expect(opensslVerify(lab!.issuingRootPem, outs.chainPem!, outs.certificatePem!, name)).toBe("leaf.pem: OK");
    }
    expect(opensslVerify(lab!.issuingRootPem, outs.chainPem!, outs.certificatePem!, "www.acme.test")).toMatch(/hostname mismatch/);

    const leaf = new crypto.X509Certificate(outs.certificatePem!);
    expect(sanDnsNames(outs.certificatePem!)).toEqual([...labDomains].sort());
    expect(leaf.subject).toContain(`CN=${labDomains[0]}`);
    expect(leaf.publicKey.asymmetricKeyType).toBe("ec");
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(leaf.checkPrivateKey(crypto.createPrivateKey(outs.privateKeyPem!))).toBe(true);
    expect(id).toBe(leaf.serialNumber.toLowerCase());
    expect(outs.serial).toBe(id);
    expect(outs.notAfter).toBe(new Date(leaf.validTo).toISOString());
    expect(outs.notBefore).toBe(new Date(leaf.validFrom).toISOString());
    expect((await lab!.pebble.certificateStatus(outs.serial!)).status).toBe("Valid");
    for (const name of labDomains) expect(await lab!.dns.txt(`_acme-challenge.${name}`)).toEqual([]);
  }, 60_000);

  it("issues for the key it is given, of the type declared", async () => {
    const given = certificateKeyPem({ rsaBits: 3072 });
    const { outs } = await issue({ keyType: "rsa-3072", privateKeyPem: given });
    expect(outs.privateKeyPem).toBe(given);
    const key = new crypto.X509Certificate(outs.certificatePem!).publicKey;
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(key.export({ type: "spki", format: "der" })).toEqual(crypto.createPublicKey(given).export({ type: "spki", format: "der" }));
  }, 60_000);

  it("renews in place once renewBeforeDays or fewer remain: an update for the same key, the old certificate left valid", async () => {
    const { inputs, id, outs } = await issue();
    const state = { ...inputs, ...outs };
    const remaining = daysUntil(outs.notAfter!, new Date());
    const notYet = await provider.diff!(id, state, { ...inputs, renewBeforeDays: Math.floor(remaining) - 1 });
    expect(notYet).toMatchObject({ changes: true, replaces: [] });
    const dueInputs = { ...inputs, renewBeforeDays: Math.ceil(remaining) };
    expect(await provider.diff!(id, state, dueInputs)).toMatchObject({ changes: true, replaces: [] });

    const same = await provider.diff!(id, state, inputs);
    expect(same).toMatchObject({ changes: false, replaces: [] });
    for (const changed of [{ domains: ["mail.acme.test"] }, { keyType: "ecdsa-p384" }, { contactEmail: "postmaster@acme.test" }]) {
      expect(await provider.diff!(id, state, { ...inputs, ...changed }), JSON.stringify(changed)).toMatchObject({ changes: true, replaces: [] });
    }

    const contactOnly = await provider.update!(id, state, { ...inputs, contactEmail: "postmaster@acme.test" });
    expect(contactOnly.outs).toMatchObject({ contactEmail: "postmaster@acme.test", serial: outs.serial, certificatePem: outs.certificatePem });

    const renewed = (await provider.update!(id, state, dueInputs)).outs as Record<string, string>;
    expect(renewed.serial).not.toBe(outs.serial);
    expect(renewed.privateKeyPem).toBe(outs.privateKeyPem);
    expect(new crypto.X509Certificate(renewed.certificatePem!).publicKey.export({ type: "spki", format: "der" }))
      .toEqual(new crypto.X509Certificate(outs.certificatePem!).publicKey.export({ type: "spki", format: "der" }));
    expect((await lab!.pebble.certificateStatus(outs.serial!)).status).toBe("Valid");
    expect((await lab!.pebble.certificateStatus(renewed.serial!)).status).toBe("Valid");
  }, 60_000);

  it("revokes the certificate on delete, unless told not to", async () => {
    const revoked = await issue();
    await provider.delete!(revoked.id, { ...revoked.inputs, ...revoked.outs });
    expect(await lab!.pebble.certificateStatus(revoked.outs.serial!)).toMatchObject({ status: "Revoked" });
    // Deleting again (a retried delete) finds it already revoked and succeeds.
    await provider.delete!(revoked.id, { ...revoked.inputs, ...revoked.outs });

    const kept = await issue({ revokeOnDelete: false });
    await provider.delete!(kept.id, { ...kept.inputs, ...kept.outs });
    expect((await lab!.pebble.certificateStatus(kept.outs.serial!)).status).toBe("Valid");
  }, 60_000);
});
