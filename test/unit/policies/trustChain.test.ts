import { describe, expect, it } from "vitest";
import { buildCaaRecords } from "../../../baseline/dns/caa";
import { spkiSha256 } from "../../../baseline/dns/tlsa";
import { mockKeyMaterial } from "../../../tools/mockRuntime/mockKeyMaterial";
import { caaAccountBinding, dnssecForTlsa, remoteCommandHostKey, tlsaMatchesCertificateKeys } from "../../../policies/trustChain";
import { dnsRecord, ed25519SshKey, evaluateOne, resource, sshRsaPublicKey, violations, zoneId } from "./support";

const tlsaName = "_25._tcp.mail.example.org";
const [current, next, retired] = [mockKeyMaterial["ecdsa-P256"]!, mockKeyMaterial["ecdsa-P384"]!, mockKeyMaterial["rsa-2048"]!].map((pem) => spkiSha256(pem));
const stranger = spkiSha256(mockKeyMaterial["rsa-3072"]!);

function tlsa(sha256: string, name = `tlsa-${sha256.slice(0, 6)}`, fields: Record<string, unknown> = {}) {
  return dnsRecord(tlsaName, "TLSA", { data: { usage: 3, selector: 1, matchingType: 1, certificate: sha256 }, ...fields }, name);
}

function keySet(hashes: string[] = [current!, next!, retired!], generation = 0) {
  return resource("pulumi-nodejs:dynamic/certificate:CertificateKeySet", "keys", {
    keyType: "ecdsa-p256",
    publicKeySha256s: hashes,
    currentPublicKeySha256: hashes[generation % 3],
    nextPublicKeySha256: hashes[(generation + 1) % 3],
  });
}

const dnssec = resource("cloudflare:index/zoneDnssec:ZoneDnssec", "dnssec", { zoneId, status: "active" });
const accountUri = "https://acme-v02.api.letsencrypt.org/acme/acct/123456789";
const account = resource("pulumi-nodejs:dynamic/certificate:AcmeAccount", "account", { directory: "letsencrypt", accountUri });

describe("dnssec-for-tlsa", () => {
  it("passes a signed zone with TLSA records, and a zone without TLSA", async () => {
    expect(await violations(dnssecForTlsa, [dnssec, tlsa(current!)])).toEqual([]);
    expect(await violations(dnssecForTlsa, [dnsRecord("example.org", "MX", { content: "mail.example.org", priority: 10 })])).toEqual([]);
  });

  it("flags TLSA in a zone that is unsigned, or whose DNSSEC is disabled, once per zone", async () => {
    const message = `zone "${zoneId}" publishes TLSA (cloudflare:index/dnsRecord:DnsRecord "a") but has no active DNSSEC; validators ignore its TLSA records. ` +
      'Fix: add a cloudflare.ZoneDnssec with status "active" for the zone and publish its DS at the registrar.';
    expect(await violations(dnssecForTlsa, [tlsa(current!, "a"), tlsa(next!, "b")])).toEqual([message]);
    const disabled = resource("cloudflare:index/zoneDnssec:ZoneDnssec", "dnssec", { zoneId, status: "disabled" });
    expect(await violations(dnssecForTlsa, [disabled, tlsa(current!, "a")])).toEqual([message]);
    const otherZone = resource("cloudflare:index/zoneDnssec:ZoneDnssec", "dnssec", { zoneId: "f".repeat(32), status: "active" });
    expect(await violations(dnssecForTlsa, [otherZone, tlsa(current!, "a")])).toEqual([message]);
  });
});

describe("tlsa-matches-certificate-keys", () => {
  it("passes one 3 1 1 record per slot of the key set, as data or as content", async () => {
    expect(await violations(tlsaMatchesCertificateKeys, [keySet(), tlsa(current!), tlsa(next!), tlsa(retired!)])).toEqual([]);
    const asContent = dnsRecord(tlsaName, "TLSA", { content: `3 1 1 ${current!.toUpperCase()}` }, "content");
    expect(await violations(tlsaMatchesCertificateKeys, [keySet(), asContent, tlsa(next!)])).toEqual([]);
  });

  it("flags a record for a key the key set does not hold, and a record that is not 3 1 1", async () => {
    const found = await violations(tlsaMatchesCertificateKeys, [
      keySet(),
      tlsa(current!),
      tlsa(next!),
      tlsa(stranger, "stranger"),
      tlsa(current!, "pkix", { data: { usage: 1, selector: 1, matchingType: 1, certificate: current } }),
      dnsRecord(tlsaName, "TLSA", { content: "3 1 1 zz" }, "garbage"),
    ]);
    expect(found).toEqual([
      `cloudflare:index/dnsRecord:DnsRecord "stranger" at "${tlsaName}" names a key no certificate key set of the stack holds (${stranger.slice(0, 16)}...). ` +
        "Fix: publish the key set's publicKeySha256s, one record per slot, and remove records for other keys.",
      `cloudflare:index/dnsRecord:DnsRecord "pkix" at "${tlsaName}": TLSA 1 1 1: usage must be 3 (DANE-EE): SMTP clients ignore PKIX usages (RFC 7672 3.1.3). ` +
        "Fix: publish 3 1 1 with the SHA-256 of the key's SubjectPublicKeyInfo.",
      `cloudflare:index/dnsRecord:DnsRecord "garbage" at "${tlsaName}": TLSA record "3 1 1 zz" is not "<usage> <selector> <matching type> <hex>". ` +
        "Fix: publish 3 1 1 with the SHA-256 of the key's SubjectPublicKeyInfo.",
    ]);
  });

  it("flags a current or next key without a TLSA record: the served key, or the key a rollover would serve", async () => {
    const found = await violations(tlsaMatchesCertificateKeys, [keySet(undefined, 1), tlsa(current!), tlsa(retired!)]);
    expect(found).toEqual([
      'the current key of pulumi-nodejs:dynamic/certificate:CertificateKeySet "keys" has no TLSA record; DANE-validating senders cannot deliver to the host. Fix: publish a 3 1 1 TLSA record for every key set slot.',
    ]);
    expect(await violations(tlsaMatchesCertificateKeys, [keySet(), tlsa(current!)])).toEqual([
      'the next key of pulumi-nodejs:dynamic/certificate:CertificateKeySet "keys" has no TLSA record; a rollover would serve a key no TLSA record names. Fix: publish a 3 1 1 TLSA record for every key set slot.',
    ]);
  });

  it("judges only the record syntax when the stack has no key set", async () => {
    expect(await violations(tlsaMatchesCertificateKeys, [tlsa(stranger)])).toEqual([]);
  });
});

describe("caa-account-binding", () => {
  const caa = (value: string, name = "issue") => dnsRecord("example.org", "CAA", { data: { flags: 0, tag: "issue", value } }, name);

  it("passes the records the stack builds: issue bound to its account, issuewild ';', iodef", async () => {
    const records = buildCaaRecords({ issuer: "letsencrypt.org", validationMethods: ["dns-01"], accountUri, iodef: "mailto:security@example.org" })
      .map((r, i) => dnsRecord("example.org", "CAA", { data: r }, `caa-${i}`));
    expect(await violations(caaAccountBinding, [account, ...records])).toEqual([]);
    expect(await violations(caaAccountBinding, [caa(";", "nobody")])).toEqual([]);
  });

  it("flags an issue record without accounturi, and one naming another account than the stack's", async () => {
    expect(await violations(caaAccountBinding, [account, caa("letsencrypt.org; validationmethods=dns-01")])).toEqual([
      'cloudflare:index/dnsRecord:DnsRecord "issue" (CAA issue "letsencrypt.org") has no accounturi: any account at letsencrypt.org may issue. Fix: add accounturi=<the stack\'s ACME account URL>.',
    ]);
    const other = "https://acme-v02.api.letsencrypt.org/acme/acct/1";
    expect(await violations(caaAccountBinding, [account, caa(`letsencrypt.org; accounturi=${other}`)])).toEqual([
      `cloudflare:index/dnsRecord:DnsRecord "issue" (CAA issue "letsencrypt.org") binds "${other}", not the stack's ACME account (${accountUri}). Fix: use the AcmeAccount's accountUri.`,
    ]);
    // Without an AcmeAccount in the stack, any account binding will do.
    expect(await violations(caaAccountBinding, [caa(`letsencrypt.org; accounturi=${other}`)])).toEqual([]);
  });
});

describe("remote-command-host-key", () => {
  const command = (type: string, connection: Record<string, unknown>) =>
    resource(type, `${type.split(":").pop()}`, { connection: { host: "192.0.2.10", user: "mailadmin", privateKey: "k", ...connection } });
  const pinned = ed25519SshKey.split(" ").slice(0, 2).join(" ");

  it("passes Command and CopyToRemote with a pinned ed25519 host key", async () => {
    for (const type of ["command:remote:Command", "command:remote:CopyToRemote"]) {
      expect(await violations(remoteCommandHostKey, [command(type, { hostKey: pinned })])).toEqual([]);
    }
  });

  it("flags a connection without hostKey, a key that is not one, an RSA key, and a proxy without its own", async () => {
    expect(await violations(remoteCommandHostKey, [command("command:remote:Command", {})])).toEqual([
      "the connection has no hostKey, so the provider accepts whatever key the host presents. Fix: set connection.hostKey to the host's pinned key (HostKeyPin's hostKey).",
    ]);
    expect(await violations(remoteCommandHostKey, [command("command:remote:CopyToRemote", { hostKey: "ssh-ed25519 AAAA" })])).toEqual([
      "the connection hostKey key data does not encode a ssh-ed25519 key (truncated or mismatched type). Fix: set connection.hostKey to the host's pinned key (HostKeyPin's hostKey).",
    ]);
    expect((await violations(remoteCommandHostKey, [command("command:remote:Command", { hostKey: sshRsaPublicKey(3072) })]))[0]).toMatch(
      /^the connection hostKey is an RSA key: the provider would ask for ssh-rsa \(SHA-1\) signatures/,
    );
    expect(await violations(remoteCommandHostKey, [command("command:remote:Command", { hostKey: pinned, proxy: { host: "192.0.2.1" } })])).toEqual([
      "the proxy connection has no hostKey, so the provider accepts whatever key the host presents. Fix: set connection.proxy.hostKey to the proxy's pinned key.",
    ]);
  });

  it("does not apply to local commands", async () => {
    const report = await evaluateOne(remoteCommandHostKey, [resource("command:local:Command", "local", { create: "true" })]);
    expect(report.diagnostics).toEqual([]);
  });
});
