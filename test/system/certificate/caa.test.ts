/**
 * The CAA records the stack publishes, end to end: the ACME account registered at the lab's Pebble
 * (AcmeAccount's provider), the records built with its URL, served by Knot, and read back off the
 * wire as a CA's resolver reads them. Pebble ignores CAA, so the CA's decision is
 * baseline/dns/caa.ts caaPermitsIssuance (RFC 8659, RFC 8657) over what Knot served.
 */

import * as dns from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaaRecords, caaPermitsIssuance, formatCaaRecord, parseCaaIssueValue, parseCaaRecord, type CaaRecordData } from "../../../baseline/dns/caa";
import { certificateAuthorityCaa } from "../../../baseline/tls";
import { acmeAccountProvider } from "../../../components/certificate/acmeAccountProvider";
import { startAcmeLab, type AcmeLab } from "../../../tools/lab/acme";
import { startKnotZones, type KnotZones } from "../../support/dns/knotZones";
import { accountKeyPem } from "../../support/certificate/fixtures";

const zone = "tenant.dnslab";
let lab: AcmeLab | undefined;
let knot: KnotZones | undefined;
let accountUri: string;

beforeAll(async () => {
  lab = await startAcmeLab();
  const raw = { directory: lab.directoryUrl, directoryCaPem: lab.caPem, accountKeyPem: accountKeyPem(), contactEmail: "hostmaster@tenant.dnslab" };
  const checked = await acmeAccountProvider.check!({}, raw);
  expect(checked.failures).toEqual([]);
  accountUri = (await acmeAccountProvider.create(checked.inputs)).outs.accountUri as string;
  const records = buildCaaRecords({ issuer: certificateAuthorityCaa.issuerDomain, validationMethods: [...certificateAuthorityCaa.validationMethods], accountUri, iodef: `mailto:security@${zone}` });
  knot = await startKnotZones([{ name: `${zone}.`, records: records.map((r) => `@ 300 CAA ${formatCaaRecord(r)}`) }]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([knot?.stop(), lab?.stop()]);
});

/** The CAA RRset off the wire, through c-ares: what a CA's resolver hands its CAA check. */
async function servedCaa(): Promise<CaaRecordData[]> {
  const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([knot!.address]);
  const answers = await resolver.resolveCaa(zone);
  return answers.map((a) => {
    const [tag, value] = Object.entries(a).find(([k]) => k !== "critical")!;
    return { flags: a.critical, tag, value: String(value) };
  });
}

describe("the CAA records as a CA reads them", () => {
  it("are served exactly as built: issue bound to our account and to DNS-01, no wildcard, a report address", async () => {
    expect(accountUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/my-account\/[0-9a-f]+$/);
    const served = await servedCaa();
    const issue = served.find((r) => r.tag === "issue")!;
    const parsed = parseCaaIssueValue(issue.value);
    expect(parsed).toEqual({ issuer: "letsencrypt.org", parameters: new Map([["validationmethods", "dns-01"], ["accounturi", accountUri]]) });
    expect(served).toContainEqual({ flags: 0, tag: "issuewild", value: ";" });
    expect(served).toContainEqual({ flags: 0, tag: "iodef", value: `mailto:security@${zone}` });
    // kdig's presentation form reads back to the records as built.
    const built = buildCaaRecords({ issuer: "letsencrypt.org", validationMethods: ["dns-01"], accountUri, iodef: `mailto:security@${zone}` });
    const presented = knot!.kdig(zone, "CAA", "+short").split("\n").filter((l) => l.trim() !== "").map((l) => parseCaaRecord(l));
    expect(presented.sort((a, b) => a.tag.localeCompare(b.tag))).toEqual([...built].sort((a, b) => a.tag.localeCompare(b.tag)));
  });

  it("let only our account order, only by DNS-01, and nobody a wildcard", async () => {
    const served = await servedCaa();
    const ours = { issuer: "letsencrypt.org", accountUri, validationMethod: "dns-01" };
    expect(caaPermitsIssuance(served, ours)).toBe(true);
    expect(caaPermitsIssuance(served, { ...ours, accountUri: `${accountUri}0` })).toBe(false);
    expect(caaPermitsIssuance(served, { ...ours, validationMethod: "http-01" })).toBe(false);
    expect(caaPermitsIssuance(served, { ...ours, issuer: "pki.goog" })).toBe(false);
    expect(caaPermitsIssuance(served, { ...ours, wildcard: true })).toBe(false);
  });
});
