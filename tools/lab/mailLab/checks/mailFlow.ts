/**
 * Mail in and out, end to end, judged where the internet would judge it: the remote MTA's log and
 * Maildir, the mailbox read over IMAPS, and mailauth's SPF, DKIM and DMARC verdicts computed at
 * the remote side against the lab's DNS.
 */

import * as dns from "node:dns";
import { authenticate } from "mailauth";
import type { MailLab } from "../mailLab";
import { plannedTlsaDigests } from "./dane";
import { fail, internetClient, labMailbox, verdict, waitFor, type LabCheck } from "./check";

interface SubmitAnswer {
  tls?: string;
  accepted?: string[];
  refused?: Record<string, string>;
  error?: string;
}

interface ImapAnswer {
  tls?: string;
  subjects?: string[];
  error?: string;
}

/** The subjects in a mailbox, read over IMAPS from the mail client's address, the certificate verified. */
export async function mailboxSubjects(lab: MailLab, address: string): Promise<ImapAnswer> {
  const mailbox = labMailbox(lab, address);
  return internetClient<ImapAnswer>(lab, "imap-search", {
    from: lab.internet.addresses.sender,
    password: mailbox.password,
    options: { servername: lab.mailHostname, cafile: lab.caFile, user: mailbox.address },
  });
}

/** Hands one message to the remote MTA, which relays it to the tenant's MX. */
export async function sendThroughRemoteMta(lab: MailLab, to: string, subject: string): Promise<{ accepted: number; errors: string[] }> {
  return internetClient(lab, "send", {
    from: lab.internet.addresses.sender,
    server: lab.remoteMta.address,
    options: { "mail-from": `alice@${lab.remoteDomain}`, to, subject },
  });
}

/** The mailbox's recipient counter: the per-account limit counts every recipient the lab submitted. */
export function countSubmitted(lab: MailLab, mailbox: string, recipients: number): void {
  lab.submittedRecipients.set(mailbox, (lab.submittedRecipients.get(mailbox) ?? 0) + recipients);
}

export const mailIn: LabCheck = {
  name: "mail.in",
  proves: "the remote MTA, validating DANE, finds the MX through the lab resolver and delivers over STARTTLS verified by TLSA; the mailbox reads it over IMAPS",
  async run(lab) {
    const mailbox = labMailbox(lab, lab.plan.config.alertEmail);
    const subject = `lab mail-in ${lab.runId}`;
    const mark = lab.remoteMta.logSize();
    const sent = await sendThroughRemoteMta(lab, mailbox.address, subject);
    if (sent.accepted !== 1) return fail(`the remote MTA did not take the message: ${sent.errors.join("; ")}`);
    const escaped = mailbox.address.replace(/[.+]/g, "\\$&");
    const delivery = await waitFor(30_000, async () => {
      const log = lab.remoteMta.logSince(mark);
      return new RegExp(`to=<${escaped}>, relay=([^,]+), .*status=(sent|bounced).*`).exec(log) ?? undefined;
    });
    const log = lab.remoteMta.logSince(mark);
    if (!delivery) return fail(`the remote MTA did not deliver within 30 s: ${lastLines(log, /to=<|warning|TLS/)}`);
    if (delivery[2] !== "sent") return fail(`the tenant's MX refused it: ${delivery[0]}`);
    const problems: string[] = [];
    const relay = delivery[1]!;
    if (!relay.startsWith(`${lab.mailHostname}[`)) problems.push(`delivered to ${relay}, not the planned MX ${lab.mailHostname}`);
    const tls = new RegExp(`(Trusted|Verified|Untrusted|Anonymous) TLS connection established to ${lab.mailHostname.replace(/\./g, "\\.")}\\[[^\\]]+\\]:25: (TLSv[0-9.]+)`).exec(log);
    // The remote MTA validates DANE: with TLSA published, only "Verified" (the key matched a
    // validated TLSA record) is right; "Trusted" would mean it fell back to the CA chain.
    const expected = plannedTlsaDigests(lab).length > 0 ? "Verified" : "Trusted";
    if (!tls) problems.push("delivered without TLS (no STARTTLS)");
    else if (tls[1] !== expected) problems.push(`${tls[1]} TLS to the MX, not ${expected}${expected === "Verified" ? " by DANE" : " by the lab root"}`);
    const read = await waitFor(20_000, async () => {
      const answer = await mailboxSubjects(lab, mailbox.address);
      return answer.error || answer.subjects?.includes(subject) ? answer : undefined;
    }, 1000);
    if (!read) problems.push(`${mailbox.address} does not see the message over IMAPS within 20 s`);
    else if (read.error) problems.push(`IMAPS login as ${mailbox.address} failed: ${read.error}`);
    return verdict(problems, `MX ${relay} over ${tls?.[2]} (${tls?.[1]}${tls?.[1] === "Verified" ? " by DANE" : " by the lab root"}); ${mailbox.address} read it over IMAPS (${read?.tls})`);
  },
};

function mailOut(port: 587 | 465): LabCheck {
  return {
    name: port === 587 ? "mail.out-587" : "mail.out-465",
    proves: `a mailbox submits on ${port}; the remote MTA receives it over TLS and mailauth there says SPF, DKIM and DMARC pass`,
    async run(lab) {
      const mailbox = labMailbox(lab);
      const subject = `lab mail-out ${port} ${lab.runId}`;
      const to = `out-${port}@${lab.remoteDomain}`;
      const before = new Set(lab.remoteMta.messages().keys());
      const submitted = await internetClient<SubmitAnswer>(lab, "submit", {
        from: lab.internet.addresses.sender,
        password: mailbox.password,
        options: { port, servername: lab.mailHostname, cafile: lab.caFile, user: mailbox.address, "mail-from": mailbox.address, to, subject },
      });
      if (submitted.error || !submitted.accepted?.includes(to)) return fail(`submission on ${port} refused: ${submitted.error ?? JSON.stringify(submitted.refused)}`);
      countSubmitted(lab, mailbox.address, 1);
      const message = await waitFor(30_000, async () => {
        for (const [name, text] of lab.remoteMta.messages()) if (!before.has(name) && text.includes(`Subject: ${subject}`)) return text;
        return undefined;
      });
      if (!message) return fail(`submitted on ${port} over ${submitted.tls}, but the remote MTA did not receive it within 30 s: ${lastLines(lab.remoteMta.logSince(0), /from=<|to=<|warning/)}`);
      return judgeAtRemote(lab, message, `submitted on ${port} over ${submitted.tls}`);
    },
  };
}

/** The remote MTA's Received header (the top one), and mailauth's verdicts with the lab's DNS. */
async function judgeAtRemote(lab: MailLab, message: string, submitted: string) {
  const problems: string[] = [];
  const received = /^Received: from (\S+) \(([^)]*)\[(?:IPv6:)?([0-9a-f.:]+)\]\)\s+\(using (TLSv[0-9.]+)/im.exec(message);
  if (!received) problems.push("the remote MTA received it without TLS (no \"using TLS\" in its Received header)");
  const client = /^Received: from (\S+) \([^)]*\[(?:IPv6:)?([0-9a-f.:]+)\]\)/im.exec(message);
  const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([lab.resolver.address.v4]);
  const auth = await authenticate(message, {
    sender: /^Return-Path: <([^>]*)>/m.exec(message)?.[1],
    ip: client?.[2],
    helo: client?.[1],
    mta: lab.remoteMta.hostname,
    resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][] | string[]>,
  });
  const spf = auth.spf ? auth.spf.status.result : "none";
  const dkimPass = auth.dkim.results.find((r) => r.status.result === "pass" && r.signingDomain === lab.domain);
  const dkim = dkimPass ? "pass" : (auth.dkim.results.map((r) => `${r.status.result}${r.status.comment ? ` (${r.status.comment})` : ""}`).join(", ") || "none (unsigned)");
  const dmarc = auth.dmarc ? auth.dmarc.status.result : "none";
  if (spf !== "pass") problems.push(`SPF ${spf}`);
  if (dkim !== "pass") problems.push(`DKIM ${dkim}`);
  if (dmarc !== "pass") problems.push(`DMARC ${dmarc}`);
  return verdict(problems, `${submitted}; received from ${client?.[2]} over ${received?.[4]}; mailauth at ${lab.remoteMta.hostname}: SPF pass, DKIM pass (${dkimPass?.signingDomain} s=${dkimPass?.selector}), DMARC pass`);
}

function lastLines(log: string, pattern: RegExp): string {
  return log.split("\n").filter((l) => pattern.test(l)).slice(-3).join(" | ") || "(nothing in its log)";
}

export const mailOut587 = mailOut(587);
export const mailOut465 = mailOut(465);
