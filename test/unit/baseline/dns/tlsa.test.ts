import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildTlsaRecord, formatTlsaRecord, parseTlsaRecord, smtpTlsaRecordName, spkiSha256, validateTlsaRecord } from "../../../../baseline/dns/tlsa";
import { mockKeyMaterial } from "../../../../tools/mockRuntime/mockKeyMaterial";

const key = mockKeyMaterial["ecdsa-P256"]!;

describe("TLSA 3 1 1 for inbound SMTP", () => {
  it("hashes the SubjectPublicKeyInfo as openssl does (the usual recipe for a 3 1 1 record)", () => {
    const der = execFileSync("openssl", ["pkey", "-pubout", "-outform", "DER"], { input: key });
    const expected = execFileSync("openssl", ["dgst", "-sha256", "-r"], { input: der, encoding: "utf8" }).split(" ")[0];
    expect(spkiSha256(key)).toBe(expected);
    expect(formatTlsaRecord(buildTlsaRecord(spkiSha256(key)))).toBe(`3 1 1 ${expected}`);
  });

  it("names the MX host's port 25", () => {
    expect(smtpTlsaRecordName("mail.tenant-one.example")).toBe("_25._tcp.mail.tenant-one.example");
  });

  it("reads the presentation form, split hex included, and refuses anything but 3 1 1 with a SHA-256", () => {
    const hex = spkiSha256(key);
    expect(parseTlsaRecord(`3 1 1 ${hex.slice(0, 56).toUpperCase()} ${hex.slice(56)}`)).toEqual({ usage: 3, selector: 1, matchingType: 1, certificate: hex });
    expect(validateTlsaRecord({ usage: 2, selector: 0, matchingType: 2, certificate: "ab" })).toEqual([
      "TLSA 2 0 2: usage must be 3 (DANE-EE): SMTP clients ignore PKIX usages (RFC 7672 3.1.3)",
      "TLSA 2 0 2: selector must be 1 (SubjectPublicKeyInfo), so a renewal for the same key keeps the record valid",
      "TLSA 2 0 2: matching type must be 1 (SHA-256)",
      "TLSA 2 0 2: the data must be a SHA-256 digest: 64 hex digits",
    ]);
    expect(() => buildTlsaRecord("00")).toThrow("cannot build a TLSA record: TLSA 3 1 1: the data must be a SHA-256 digest: 64 hex digits");
    expect(() => parseTlsaRecord("3 1 1")).toThrow('TLSA record "3 1 1" is not "<usage> <selector> <matching type> <hex>"');
  });
});
