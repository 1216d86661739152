/**
 * AcmeCertificate's provider without a CA: every re-issue is an update and says why, the reason a
 * preview shows comes from check(), and a renewal's reason needs the expiry a refresh (read) puts
 * in the inputs. Issuing against Pebble is in test/system/certificate/.
 */

import { describe, expect, it } from "vitest";
import { makeAcmeCertificateProvider, reissueReason } from "../../../components/certificate/provider";
import { accountKeyPem, certificateKeyPem } from "../../support/certificate/fixtures";

const now = new Date("2026-06-01T00:00:00Z");
const p = makeAcmeCertificateProvider(() => now);
const key = certificateKeyPem();
const raw = {
  directory: "letsencrypt-staging",
  accountKeyPem: accountKeyPem(),
  privateKeyPem: key,
  contactEmail: "hostmaster@example.com",
  domains: ["mail.example.com", "mta-sts.example.com"],
  solver: { kind: "cloudflare", zoneId: "0123456789abcdef0123456789abcdef", apiToken: "abcdefghijklmnopqrstuvwxyz0123456789ABCD" },
};

async function checked(olds: Record<string, unknown>, news: Record<string, unknown> = raw) {
  const result = await p.check!(olds, news);
  expect(result.failures).toEqual([]);
  return result.inputs as Record<string, unknown>;
}

describe("re-issuing a certificate", () => {
  it("is an update for a due renewal, a new key, new names and another CA; never a replacement", async () => {
    const inputs = await checked({});
    const state = { ...inputs, certificatePem: "x", notAfter: "2026-08-30T00:00:00Z", serial: "01" };
    expect(await p.diff!("01", state, inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const cases: Record<string, unknown>[] = [
      { ...inputs, renewBeforeDays: 90 },
      { ...inputs, privateKeyPem: certificateKeyPem() },
      { ...inputs, domains: ["mail.example.com"] },
      { ...inputs, directory: "https://acme.example.com/directory" },
      { ...inputs, contactEmail: "ops@example.com" },
    ];
    for (const news of cases) expect(await p.diff!("01", state, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("explains in the inputs what a preview would otherwise show without a reason", async () => {
    const stored = await checked({});
    expect((await checked(stored)).reissue).toBeUndefined();
    expect((await checked(stored, { ...raw, privateKeyPem: certificateKeyPem() })).reissue).toBe("new key: the key set's current key changed (rollover or key type)");
    expect((await checked(stored, { ...raw, privateKeyPem: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).reissue).toBe("new key: the key set's current key changed (rollover or key type)");
    expect((await checked(stored, { ...raw, domains: ["mail.example.com"] })).reissue).toBe("names changed: mail.example.com, mta-sts.example.com -> mail.example.com");
    // Time alone changes no input: without a refresh the stored inputs hold no expiry to judge.
    const state = { ...stored, certificatePem: "x", chainPem: "", notBefore: "2026-03-01T00:00:00.000Z", notAfter: "2026-06-20T00:00:00.000Z", serial: "01" };
    expect((await checked(stored)).reissue).toBeUndefined();
    const refreshed = await p.read!("01", state);
    expect(refreshed.props).toBe(state);
    expect(refreshed.inputs).toMatchObject({ notAfter: "2026-06-20T00:00:00.000Z" });
    expect(refreshed.inputs).not.toHaveProperty("certificatePem");
    const explained = await checked(refreshed.inputs as Record<string, unknown>);
    expect(explained.reissue).toBe("renewal: expires 2026-06-20T00:00:00.000Z, 19 days left (renews at 30 or fewer)");
    expect(explained).not.toHaveProperty("notAfter");
  });

  it("keeps the certificate and its key on an update that needs no new one", async () => {
    const inputs = await checked({});
    const state = { ...inputs, certificatePem: "CERT", chainPem: "CHAIN", notBefore: "a", notAfter: "2026-12-01T00:00:00.000Z", serial: "01" };
    const { outs } = await p.update!("01", state, { ...inputs, contactEmail: "ops@example.com" });
    expect(outs).toMatchObject({ certificatePem: "CERT", chainPem: "CHAIN", serial: "01", privateKeyPem: key, contactEmail: "ops@example.com" });
    expect(reissueReason(state, { ...inputs, contactEmail: "ops@example.com" }, now)).toBeUndefined();
  });
});
