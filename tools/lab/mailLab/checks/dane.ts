/**
 * Inbound DANE as a validating sender sees it: the TLSA records of the tenant's MX come back from
 * the internet's validating resolver with the AD bit, are exactly the planned ones (the current key
 * and the next), and name the key the host serves on port 25 over v4 and v6. mail.in then shows a
 * DANE-validating Postfix delivering over "Verified" TLS; the `tlsa-key` weakening shows it
 * refusing a certificate whose key is not in the set.
 */

import { X509Certificate } from "node:crypto";
import { parseTlsaRecord, smtpTlsaRecordName, spkiSha256 } from "../../../../baseline/dns/tlsa";
import type { MailLab } from "../mailLab";
import { families, fail, internetClient, verdict, type LabCheck } from "./check";

/** The `3 1 1` digests the plan publishes for the MX, in plan order. */
export function plannedTlsaDigests(lab: MailLab): string[] {
  const owner = smtpTlsaRecordName(lab.mailHostname);
  return lab.plan.dnsRecords
    .filter((r) => r.type === "TLSA" && [owner, `${owner}.`].includes(r.name.toLowerCase()))
    .map((r) => String(r.data?.certificate ?? "").toLowerCase());
}

interface ValidatedAnswer {
  readonly authenticated: boolean;
  readonly status: string;
  readonly digests: string[];
}

/** The TLSA set through the lab resolver, asked from the internet namespace as a sender's MTA asks. */
async function validatedTlsa(lab: MailLab): Promise<ValidatedAnswer> {
  const name = `${smtpTlsaRecordName(lab.mailHostname)}.`;
  const answer = await lab.internet.run("dig", ["+dnssec", "+time=3", "+tries=2", "+nocmd", "+nostats", `@${lab.resolver.address.v4}`, name, "TLSA"], { timeoutMs: 20_000 });
  const flags = /;; flags: ([a-z ]+);/.exec(answer.stdout)?.[1]?.split(" ") ?? [];
  const status = /status: ([A-Z]+)/.exec(answer.stdout)?.[1] ?? `dig exited ${answer.code}`;
  const digests = answer.stdout
    .split("\n")
    .filter((line) => !line.startsWith(";"))
    .map((line) => /\sIN\s+TLSA\s+(.*)$/.exec(line)?.[1])
    .filter((rdata): rdata is string => rdata !== undefined)
    .map((rdata) => parseTlsaRecord(rdata).certificate);
  return { authenticated: flags.includes("ad"), status, digests };
}

export const daneTlsa: LabCheck = {
  name: "dane.tlsa",
  proves: "the MX's TLSA records validate (AD) through the internet's resolver, are the planned current and next keys, and name the key served on 25 (v4 and v6)",
  async run(lab) {
    const planned = plannedTlsaDigests(lab);
    if (planned.length === 0) return fail(`the plan publishes no TLSA record at ${smtpTlsaRecordName(lab.mailHostname)}: sending MTAs cannot use DANE`);
    const validated = await validatedTlsa(lab);
    const problems: string[] = [];
    if (validated.status !== "NOERROR") problems.push(`the resolver answered ${validated.status}`);
    else if (!validated.authenticated) problems.push("the answer is not authenticated (no AD bit): validating senders ignore it");
    const same = (a: readonly string[], b: readonly string[]) => [...a].sort().join() === [...b].sort().join();
    if (!same(validated.digests, planned)) problems.push(`published ${validated.digests.length} digest(s), planned ${planned.length}: [${validated.digests.map(short).join(", ")}] vs [${planned.map(short).join(", ")}]`);
    const served = new Set<string>();
    for (const family of families) {
      const peer = await internetClient<{ der?: string; error?: string }>(lab, "peer-certificate", { from: lab.internet.addresses.tlsProber, family, options: { port: 25, servername: lab.mailHostname } });
      if (!peer.der) {
        problems.push(`${family}: no certificate after STARTTLS: ${peer.error}`);
        continue;
      }
      const digest = spkiSha256(new X509Certificate(Buffer.from(peer.der, "base64")).publicKey);
      served.add(digest);
      if (!validated.digests.includes(digest)) problems.push(`${family}: port 25 serves key ${short(digest)}, which no published TLSA record names: a DANE sender defers all mail`);
    }
    if (served.size > 1) problems.push(`v4 and v6 serve different keys: ${[...served].map(short).join(", ")}`);
    const [key] = served;
    return verdict(problems, `${validated.digests.length} TLSA 3 1 1 records validated (AD) by the internet's resolver, as planned; 25 serves ${short(key ?? "")} over v4 and v6, planned record ${planned.indexOf(key ?? "") + 1} of ${planned.length}`);
  },
};

function short(digest: string): string {
  return `${digest.slice(0, 12)}…`;
}
