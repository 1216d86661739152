/**
 * The MTA-STS policy as a sending MTA fetches it (HTTPS to mta-sts.<domain>, the certificate
 * chained to the lab's root, over IPv4 and IPv6), checked against the `_mta-sts` record's id, and
 * the security headers on what nginx serves there.
 */

import * as dns from "node:dns";
import { mtaStsPolicyId, parseMtaStsPolicy, validateMtaStsPolicy } from "../../../../baseline/dns/mtaSts";
import { httpSecurityHeaders } from "../../../../baseline/http";
import type { MailLab } from "../mailLab";
import { families, fail, verdict, type Family, type LabCheck } from "./check";

interface HttpAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** An HTTPS GET from the mail client's address with curl, trusting only the lab's root. */
async function httpsGet(lab: MailLab, family: Family, path: string): Promise<HttpAnswer> {
  const url = `https://${lab.mtaStsHostname}${path}`;
  const result = await lab.internet.run("curl", [
    "-sS", "-i", "--max-time", "15", family === "v4" ? "-4" : "-6",
    "--interface", lab.internet.addresses.sender[family],
    "--cacert", lab.caFile, "--capath", "/nonexistent",
    url,
  ], { timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`GET ${url} over ${family}: ${result.stderr.trim() || `curl exited ${result.code}`}`);
  const split = result.stdout.indexOf("\r\n\r\n");
  const head = result.stdout.slice(0, split).split("\r\n");
  const headers = new Map(head.slice(1).map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()] as [string, string]));
  return { status: Number(/^HTTP\/[0-9.]+ (\d{3})/.exec(head[0] ?? "")?.[1] ?? 0), headers, body: result.stdout.slice(split + 4) };
}

/** What the lab resolver answers for a TXT name, each record's strings joined. */
async function txtRecords(lab: MailLab, name: string): Promise<string[]> {
  const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([lab.resolver.address.v4]);
  return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
}

export const mtaStsPolicy: LabCheck = {
  name: "mta-sts.policy",
  proves: "the policy is served over HTTPS at mta-sts.<domain> with a chain to the lab's root (v4 and v6), is valid, names the MX, and its hash is the _mta-sts TXT id",
  async run(lab) {
    const problems: string[] = [];
    const bodies: string[] = [];
    for (const family of families) {
      const answer = await httpsGet(lab, family, "/.well-known/mta-sts.txt");
      if (answer.status !== 200) problems.push(`${family}: HTTP ${answer.status}`);
      if (!/^text\/plain\b/.test(answer.headers.get("content-type") ?? "")) problems.push(`${family}: Content-Type ${answer.headers.get("content-type") ?? "(none)"}`);
      bodies.push(answer.body);
    }
    if (bodies[0] !== bodies[1]) problems.push("IPv4 and IPv6 serve different policies");
    const policy = bodies[0] ?? "";
    problems.push(...validateMtaStsPolicy(policy));
    const parsed = parseMtaStsPolicy(policy);
    if (!parsed.mx.includes(lab.mailHostname)) problems.push(`the policy's mx (${parsed.mx.join(", ") || "none"}) does not name ${lab.mailHostname}`);
    if (parsed.mode !== lab.plan.config.mtaSts.mode) problems.push(`mode ${parsed.mode}, the stack configures ${lab.plan.config.mtaSts.mode}`);
    const records = (await txtRecords(lab, `_mta-sts.${lab.domain}`).catch((e: Error) => [`(lookup failed: ${e.message})`])).filter((t) => t.startsWith("v=STSv1"));
    const id = records.length === 1 ? /(?:^|;)\s*id=([A-Za-z0-9]+)/.exec(records[0]!)?.[1] : undefined;
    if (records.length !== 1) return fail(`_mta-sts.${lab.domain} has ${records.length} STSv1 records: ${records.join(" | ")}`);
    if (id !== mtaStsPolicyId(policy)) problems.push(`the _mta-sts id ${id} is not the served policy's (${mtaStsPolicyId(policy)}): senders keep a stale policy`);
    return verdict(problems, `mode ${parsed.mode}, mx ${parsed.mx.join(" ")}, max_age ${parsed.maxAge}; id ${id} matches; HTTPS on v4 and v6`);
  },
};

export const httpsHeaders: LabCheck = {
  name: "https.headers",
  proves: "every security header of the baseline, on the policy and on an error page, and no server version",
  async run(lab) {
    const problems: string[] = [];
    for (const path of ["/.well-known/mta-sts.txt", "/no-such-page"]) {
      const answer = await httpsGet(lab, "v4", path);
      for (const [name, value] of Object.entries(httpSecurityHeaders)) {
        const got = answer.headers.get(name.toLowerCase());
        if (got !== value) problems.push(`${path} (HTTP ${answer.status}): ${name} is ${got === undefined ? "missing" : JSON.stringify(got)}`);
      }
      const server = answer.headers.get("server");
      if (server && /\d/.test(server)) problems.push(`${path}: Server: ${server} tells the version`);
    }
    return verdict(problems, `${Object.keys(httpSecurityHeaders).length} headers on 200 and 404 responses of ${lab.mtaStsHostname}`);
  },
};
