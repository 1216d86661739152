/**
 * Failing validations: the TXT record goes to a second Knot that Pebble never asks, so the CA
 * cannot find it (or the propagation wait never sees it). Either way the error names the domain
 * and the problem, and the TXT record is removed again.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acmeCertificateProvider as provider } from "../../../components/certificate/provider";
import { startAcmeLab, startKnot, type AcmeLab, type KnotServer } from "../../../tools/lab/acme";
import { labInputs } from "../../support/certificate/fixtures";

let lab: AcmeLab | undefined;
/** Serves the same zone as the lab's DNS, but Pebble never asks it. */
let decoy: KnotServer | undefined;

beforeAll(async () => {
  lab = await startAcmeLab();
  decoy = await startKnot({ zones: ["acme.test"] });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([lab?.stop(), decoy?.stop()]);
});

async function createFailure(overrides: Record<string, unknown>): Promise<Error> {
  const checked = await provider.check!({}, labInputs(lab!, overrides));
  expect(checked.failures).toEqual([]);
  return provider.create(checked.inputs).then(
    () => {
      throw new Error("issuance should have failed");
    },
    (error: Error) => error,
  );
}

describe("failing validation", () => {
  it("reports the domain and the CA's problem, and removes the TXT records", async () => {
    const serialBefore = await decoy!.serial("acme.test");
    const error = await createFailure({
      domains: ["mail.acme.test"],
      solver: decoy!.solverConfig("acme.test"),
      propagation: { nameservers: [decoy!.address], timeoutSeconds: 10 },
    });

    expect(error.message).toContain("certificate for mail.acme.test: validation failed: mail.acme.test:");
    expect(error.message).toContain("the CA did not find the expected challenge TXT record (urn:ietf:params:acme:error:unauthorized)");
    // Pebble's own words about the lookup it made at the lab's DNS.
    expect(error.message).toMatch(/TXT records (found )?for DNS challenge/);
    expect(error.message).not.toContain("    at ");
    // Two updates reached the decoy: the record's addition and its removal.
    expect(await decoy!.serial("acme.test")).toBe(serialBefore + 2);
    expect(await decoy!.txt("_acme-challenge.mail.acme.test")).toEqual([]);
    expect(await lab!.dns.txt("_acme-challenge.mail.acme.test")).toEqual([]);
  }, 60_000);

  it("gives up within the bound when the record never shows at the authoritative servers", async () => {
    const started = Date.now();
    const error = await createFailure({
      domains: ["mta-sts.acme.test"],
      solver: decoy!.solverConfig("acme.test"),
      propagation: { nameservers: [lab!.dnsServer], timeoutSeconds: 1 },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toBe(
      `certificate for mta-sts.acme.test: waiting for _acme-challenge.mta-sts.acme.test at the authoritative servers failed: ` +
        `the TXT record _acme-challenge.mta-sts.acme.test was not visible at ${lab!.dnsServer} (no such name) within 1 s`,
    );
    expect(await decoy!.txt("_acme-challenge.mta-sts.acme.test")).toEqual([]);
  }, 60_000);

  it("reports a DNS update the server refuses, without printing the TSIG secret", async () => {
    const config = { ...decoy!.solverConfig("acme.test"), tsigSecret: Buffer.from("not the key").toString("base64") };
    const error = await createFailure({ domains: ["mail.acme.test"], solver: config });
    expect(error.message).toMatch(/^certificate for mail.acme.test: publishing the TXT record _acme-challenge.mail.acme.test failed: RFC 2136 update \(add TXT _acme-challenge.mail.acme.test\) at 127.0.0.1 port \d+: server answered BADSIG/);
    expect(error.message).not.toContain(config.tsigSecret);
    expect(error.message).not.toContain(decoy!.tsig.secret);
  }, 60_000);
});
