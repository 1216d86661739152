import { generateKeyPairSync } from "node:crypto";
import type { AuthenticateResult } from "mailauth";
import { beforeAll, describe, expect, it } from "vitest";
import { dkimRsaGeneratedBits, dkimRsaMinimumBits } from "../../../../baseline/keys";
import { buildDkimRecord, validateDkimRecord } from "../../../../baseline/dns/dkim";
import { buildDmarcRecord, validateDmarc } from "../../../../baseline/dns/dmarc";
import { buildSpfRecord, validateSpf } from "../../../../baseline/dns/spf";
import {
  foreignIp4,
  message,
  receive,
  resolverFor,
  signMessage,
  tenantDomain,
  vpsIp4,
  vpsIp6,
  type TenantRecords,
} from "./mailauthHarness";

function rsaKeyPair(bits: number): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function tenantRecords(publicKeyPem: string, all: "softfail" | "fail"): TenantRecords {
  return {
    spf: buildSpfRecord({ ip4: [vpsIp4], ip6: [vpsIp6], all }),
    dkim: buildDkimRecord({ publicKeyPem }),
    dmarc: buildDmarcRecord({ phase: "reject", rua: [`mailto:dmarc-reports@${tenantDomain}`] }),
  };
}

function dkimResult(result: AuthenticateResult) {
  expect(result.dkim.results).toHaveLength(1);
  return result.dkim.results[0].status;
}

/** mailauth leaves an unaligned identifier's `alignment.*.result` undefined (its docs say false): assert falsy. */
function dmarcOf(result: AuthenticateResult) {
  if (!result.dmarc) throw new Error("mailauth returned no DMARC result");
  return result.dmarc;
}

function spfResultOf(result: AuthenticateResult): string {
  if (!result.spf) throw new Error("mailauth returned no SPF result");
  return result.spf.status.result;
}

describe("records built by baseline/dns, judged by mailauth", () => {
  let key: { publicKeyPem: string; privateKeyPem: string };
  let signed: string;

  beforeAll(async () => {
    key = rsaKeyPair(dkimRsaGeneratedBits);
    signed = await signMessage(message(), key.privateKeyPem);
  });

  it("builds records our own validators accept, with the DKIM key split over several TXT strings", async () => {
    const records = tenantRecords(key.publicKeyPem, "softfail");
    expect(validateSpf(records.spf)).toEqual([]);
    expect(validateDkimRecord(records.dkim)).toEqual([]);
    expect(validateDmarc(records.dmarc)).toEqual([]);

    const resolver = resolverFor(records);
    const answer = (await resolver(`s2025q1._domainkey.${tenantDomain}`, "TXT")) as string[][];
    expect(answer).toHaveLength(1);
    expect(answer[0].length).toBeGreaterThan(1);
    expect(answer[0].join("")).toBe(records.dkim);
  });

  it("passes SPF, DKIM and DMARC for mail from the VPS's IPv4 address", async () => {
    const result = await receive({ signedMessage: signed, ip: vpsIp4, resolver: resolverFor(tenantRecords(key.publicKeyPem, "softfail")) });
    expect(spfResultOf(result)).toBe("pass");
    expect(dkimResult(result).result).toBe("pass");
    const dmarc = dmarcOf(result);
    expect(dmarc.status.result).toBe("pass");
    expect(dmarc.policy).toBe("reject");
    expect(dmarc.alignment.spf.result).toBe(tenantDomain);
    expect(dmarc.alignment.dkim.result).toBe(tenantDomain);
  });

  it("passes SPF for mail from the VPS's IPv6 address", async () => {
    const result = await receive({ signedMessage: signed, ip: vpsIp6, resolver: resolverFor(tenantRecords(key.publicKeyPem, "fail")) });
    expect(spfResultOf(result)).toBe("pass");
    expect(dmarcOf(result).status.result).toBe("pass");
  });

  it.each([
    ["softfail", "softfail"],
    ["fail", "fail"],
  ] as const)("gives a foreign sender SPF %s with all=%s, while DMARC passes only through aligned DKIM", async (all, expected) => {
    const result = await receive({ signedMessage: signed, ip: foreignIp4, resolver: resolverFor(tenantRecords(key.publicKeyPem, all)) });
    expect(spfResultOf(result)).toBe(expected);
    expect(dkimResult(result).result).toBe("pass");
    const dmarc = dmarcOf(result);
    expect(dmarc.status.result).toBe("pass");
    expect(dmarc.alignment.spf.result).toBeFalsy();
    expect(dmarc.alignment.dkim.result).toBe(tenantDomain);
  });

  it("fails DKIM and DMARC when the body is changed after signing and SPF cannot help", async () => {
    const tampered = signed.replace("Hello from the baseline test.", "Hello from an attacker.");
    expect(tampered).not.toBe(signed);
    const result = await receive({ signedMessage: tampered, ip: foreignIp4, resolver: resolverFor(tenantRecords(key.publicKeyPem, "fail")) });
    const dkim = dkimResult(result);
    // mailauth reports a body hash mismatch as "neutral"; anything but "pass" fails DMARC's DKIM leg.
    expect(dkim.result).not.toBe("pass");
    expect(dkim.comment).toBe("body hash did not verify");
    expect(spfResultOf(result)).toBe("fail");
    const dmarc = dmarcOf(result);
    expect(dmarc.status.result).toBe("fail");
    expect(dmarc.alignment.dkim.result).toBeFalsy();
  });

  it("still passes DMARC on aligned SPF alone when a tampered message comes from the VPS", async () => {
    const tampered = signed.replace("Hello from the baseline test.", "Hello, changed in transit.");
    const result = await receive({ signedMessage: tampered, ip: vpsIp4, resolver: resolverFor(tenantRecords(key.publicKeyPem, "fail")) });
    expect(dkimResult(result).result).not.toBe("pass");
    const dmarc = dmarcOf(result);
    expect(dmarc.status.result).toBe("pass");
    expect(dmarc.alignment.spf.result).toBe(tenantDomain);
    expect(dmarc.alignment.dkim.result).toBeFalsy();
  });

  it("rejects a 1024-bit key record, as mailauth does when held to the same minimum", async () => {
    const weak = rsaKeyPair(1024);
    const records = tenantRecords(weak.publicKeyPem, "fail");
    expect(validateDkimRecord(records.dkim)).toEqual([
      `DKIM: the RSA key has 1024 bits; at least ${dkimRsaMinimumBits} are required`,
    ]);
    const weakSigned = await signMessage(message(), weak.privateKeyPem);
    const result = await receive({
      signedMessage: weakSigned,
      ip: foreignIp4,
      resolver: resolverFor(records),
      minBitLength: dkimRsaMinimumBits,
    });
    const dkim = dkimResult(result);
    expect(dkim.result).toBe("policy");
    expect(dkim.policy?.["dkim-rules"]).toBe("weak-key");
    expect(dmarcOf(result).status.result).toBe("fail");
  });

  it("verifies an Ed25519 signature against the raw-key record of RFC 8463", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const records: TenantRecords = {
      ...tenantRecords(key.publicKeyPem, "fail"),
      dkim: buildDkimRecord({ publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() }),
    };
    expect(validateDkimRecord(records.dkim)).toEqual([]);
    const edSigned = await signMessage(message(), privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "ed25519-sha256");
    const result = await receive({ signedMessage: edSigned, ip: foreignIp4, resolver: resolverFor(records) });
    expect(dkimResult(result).result).toBe("pass");
    expect(dmarcOf(result).status.result).toBe("pass");
  });
});
