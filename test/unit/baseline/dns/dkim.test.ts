import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { describe, expect, it } from "vitest";
import {
  buildDkimRecord,
  dkimRecordName,
  dkimRsaKeyBits,
  dkimSelectorFromRecordName,
  isDkimRecordName,
  isValidDkimSelector,
  parseDkimRecord,
  validateDkimRecord,
} from "../../../../baseline/dns/dkim";
import { dkimRsaMinimumBits } from "../../../../baseline/keys";
import { asMailauthResolver } from "./mailauthHarness";
import { createMemoryResolver } from "../../../support/baseline/dns/memoryResolver";
import * as rfc8463 from "./rfc8463Example";

function rsaPublicKey(bits: number) {
  return generateKeyPairSync("rsa", { modulusLength: bits }).publicKey;
}

const rsa2048 = rsaPublicKey(2048);
const rsa2048Spki = rsa2048.export({ type: "spki", format: "der" }).toString("base64");

describe("buildDkimRecord", () => {
  it("publishes an RSA key as base64 SubjectPublicKeyInfo", () => {
    const record = buildDkimRecord({ publicKeyPem: rsa2048.export({ type: "spki", format: "pem" }).toString() });
    expect(record).toBe(`v=DKIM1; k=rsa; p=${rsa2048Spki}`);
    expect(dkimRsaKeyBits(record)).toBe(2048);
  });

  it("reproduces RFC 8463's Ed25519 key record from its private key", () => {
    expect(buildDkimRecord({ publicKeyPem: rfc8463.ed25519PrivateKeyPem })).toBe(rfc8463.ed25519Record);
  });

  it("refuses key types DKIM does not define", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => buildDkimRecord({ publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() })).toThrow(
      'DKIM key: type "ec" is not supported; use RSA or Ed25519',
    );
  });
});

describe("RFC 8463 example", () => {
  it("verifies the RFC's signed message under our Ed25519 record and the RFC's RSA record", async () => {
    const resolver = createMemoryResolver({
      [`brisbane._domainkey.${rfc8463.signingDomain}`]: {
        TXT: [buildDkimRecord({ publicKeyPem: rfc8463.ed25519PrivateKeyPem })],
      },
      [`test._domainkey.${rfc8463.signingDomain}`]: { TXT: [rfc8463.rsaRecord] },
    });
    const result = await dkimVerify(rfc8463.signedMessage, { resolver: asMailauthResolver(resolver) });
    expect(result.results.map((entry) => [entry.selector, entry.status.result])).toEqual([
      ["brisbane", "pass"],
      ["test", "pass"],
    ]);
  });

  it("reads both key records, and rejects the RSA one for its 1024 bits", () => {
    const ed25519 = parseDkimRecord(rfc8463.ed25519Record);
    expect(ed25519.keyType).toBe("ed25519");
    expect(ed25519.publicKeyBytes).toHaveLength(32);
    expect(ed25519.problems).toEqual([]);
    expect(validateDkimRecord(rfc8463.ed25519Record)).toEqual([]);

    expect(dkimRsaKeyBits(rfc8463.rsaRecord)).toBe(1024);
    expect(validateDkimRecord(rfc8463.rsaRecord)).toEqual([
      `DKIM: the RSA key has 1024 bits; at least ${dkimRsaMinimumBits} are required`,
    ]);
    expect(validateDkimRecord(rfc8463.rsaRecord, { minimumRsaBits: 1024 })).toEqual([]);
  });
});

describe("parseDkimRecord and validateDkimRecord on records written by others", () => {
  it.each([
    ["h= and t=s", `v=DKIM1; h=sha256; k=rsa; t=s; p=${rsa2048Spki}`],
    ["no spaces", `v=DKIM1;k=rsa;p=${rsa2048Spki}`],
    ["spaces around = and a folded key", `v = DKIM1 ; k = rsa ; p = ${rsa2048Spki.slice(0, 100)} ${rsa2048Spki.slice(100)} ;`],
    ["no v= and no k=", `p=${rsa2048Spki}`],
    ["testing flags and notes", `v=DKIM1; t=y:s; n=rotated in Q1; s=email; p=${rsa2048Spki}`],
    ["h= listing sha256 among unknown hashes", `v=DKIM1; h=sha256:sha512; p=${rsa2048Spki}`],
    ["an unknown tag", `v=DKIM1; x_vendor=abc; p=${rsa2048Spki}`],
  ])("accepts %s", (_label, record) => {
    expect(validateDkimRecord(record)).toEqual([]);
    expect(dkimRsaKeyBits(record)).toBe(2048);
  });

  it("reads an RSAPublicKey (PKCS#1) key as well as SubjectPublicKeyInfo", () => {
    const pkcs1 = rsa2048.export({ type: "pkcs1", format: "der" }).toString("base64");
    expect(dkimRsaKeyBits(`v=DKIM1; p=${pkcs1}`)).toBe(2048);
  });

  it("measures 4096-bit keys", () => {
    const spki = rsaPublicKey(4096).export({ type: "spki", format: "der" }).toString("base64");
    expect(dkimRsaKeyBits(`v=DKIM1; k=rsa; p=${spki}`)).toBe(4096);
  });

  it("treats an empty p= as a revoked key, which is valid", () => {
    const parsed = parseDkimRecord("v=DKIM1; k=rsa; p=");
    expect(parsed.revoked).toBe(true);
    expect(parsed.publicKeyBytes).toBeUndefined();
    expect(validateDkimRecord("v=DKIM1; k=rsa; p=")).toEqual([]);
    expect(dkimRsaKeyBits("v=DKIM1; k=rsa; p=")).toBeUndefined();
  });

  it("keeps tag names as written, since DKIM's are case-sensitive", () => {
    const parsed = parseDkimRecord(`v=DKIM1; K=rsa; P=${rsa2048Spki}`);
    expect(Object.keys(parsed.tags)).toEqual(["v", "K", "P"]);
    expect(parsed.problems).toEqual([
      'DKIM: tag "K" is not "k": DKIM tag names are case-sensitive (RFC 6376 3.2)',
      'DKIM: tag "P" is not "p": DKIM tag names are case-sensitive (RFC 6376 3.2)',
      "DKIM: p= (the public key) is missing",
    ]);
  });
});

describe("validateDkimRecord failures", () => {
  const ed25519Spki = createPublicKey(rfc8463.ed25519PrivateKeyPem).export({ type: "spki", format: "der" }).toString("base64");

  it.each([
    ["no p=", "v=DKIM1; k=rsa", "DKIM: p= (the public key) is missing"],
    ["another version", `v=DKIM2; p=${rsa2048Spki}`, 'DKIM: v=DKIM2 is not "DKIM1"'],
    ["v= not first", `k=rsa; v=DKIM1; p=${rsa2048Spki}`, "DKIM: v= must be the first tag (RFC 6376 3.6.1)"],
    ["h=sha1 only", `v=DKIM1; h=sha1; p=${rsa2048Spki}`, "DKIM: h=sha1 does not allow sha256, so no valid signature can verify (RFC 8301)"],
    ["h= allowing sha1", `v=DKIM1; h=sha1:sha256; p=${rsa2048Spki}`, "DKIM: h=sha1:sha256 allows sha1, which RFC 8301 forbids"],
    ["a service other than email", `v=DKIM1; s=tlsrpt; p=${rsa2048Spki}`, 'DKIM: s=tlsrpt does not include "email" or "*", so the key cannot verify mail'],
    ["an unknown key type", `v=DKIM1; k=dsa; p=${rsa2048Spki}`, "DKIM: k=dsa is not a supported key type (rsa, ed25519)"],
    ["p= not base64", "v=DKIM1; p=not base64!", "DKIM: p= is not valid base64"],
    ["a repeated tag", `v=DKIM1; p=${rsa2048Spki}; p=${rsa2048Spki}`, 'DKIM: tag "p" appears more than once'],
    ["p= that is no RSA key", `v=DKIM1; k=rsa; p=${randomBytes(270).toString("base64")}`, "DKIM: p= is not an RSA public key (SubjectPublicKeyInfo or RSAPublicKey DER)"],
    ["an Ed25519 key published as SPKI", `v=DKIM1; k=ed25519; p=${ed25519Spki}`, "DKIM: p= must be the raw 32-byte Ed25519 key (RFC 8463 4.2); found 44 bytes"],
    ["an empty tag in the middle", `v=DKIM1;; p=${rsa2048Spki}`, "DKIM: empty tag between ';' separators (tag 2)"],
    ["a tag name with a hyphen", `v=DKIM1; x-vendor=abc; p=${rsa2048Spki}`, 'DKIM: "x-vendor" is not a valid tag name'],
  ])("rejects %s", (_label, record, problem) => {
    expect(validateDkimRecord(record)).toContain(problem);
  });

  it("rejects a 1024-bit key against the baseline and accepts 2048", () => {
    const spki1024 = rsaPublicKey(1024).export({ type: "spki", format: "der" }).toString("base64");
    expect(validateDkimRecord(`v=DKIM1; k=rsa; p=${spki1024}`)).toEqual([
      `DKIM: the RSA key has 1024 bits; at least ${dkimRsaMinimumBits} are required`,
    ]);
    expect(validateDkimRecord(`v=DKIM1; k=rsa; p=${rsa2048Spki}`, { minimumRsaBits: 3072 })).toEqual([
      "DKIM: the RSA key has 2048 bits; at least 3072 are required",
    ]);
  });
});

describe("DKIM names", () => {
  it.each([
    ["s2025q1._domainkey.tenant-one.example", true, "s2025q1"],
    ["s2025q1._domainkey.tenant-one.example.", true, "s2025q1"],
    ["s2025q1._domainkey", true, "s2025q1"],
    ["a.b._DomainKey.example.com", true, "a.b"],
    ["_domainkey.example.com", false, undefined],
    ["_dmarc.example.com", false, undefined],
    ["s1._domainkeys.example.com", false, undefined],
  ])("%s is a DKIM record name: %s", (name, expected, selector) => {
    expect(isDkimRecordName(name)).toBe(expected);
    expect(dkimSelectorFromRecordName(name)).toBe(selector);
  });

  it("joins a selector and a domain", () => {
    expect(dkimRecordName("s2025q1", "tenant-one.example")).toBe("s2025q1._domainkey.tenant-one.example");
  });

  it.each([
    ["brisbane", true],
    ["s2025-q1", true],
    ["2025.q1", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["-start", false],
    ["end-", false],
    ["under_score", false],
    ["two..dots", false],
    ["", false],
    ["sp ace", false],
  ])("selector %j is valid: %s", (selector, expected) => {
    expect(isValidDkimSelector(selector)).toBe(expected);
  });
});
