/** SMTP's promises as an unauthenticated stranger and a logged-in user find them from outside. */

import { smtpLimits } from "../../../../baseline/abuse";
import { families, fail, internetClient, labMailbox, sleep, verdict, type LabCheck } from "./check";
import { countSubmitted } from "./mailFlow";
import { remoteHosts } from "../labZones";

interface AuthBeforeTlsAnswer {
  ehlo_plain?: string[];
  auth_plain_reply?: string;
  ehlo_tls?: string[];
  starttls_error?: string;
  error?: string;
}

const offersAuth = (keywords: readonly string[] | undefined) => (keywords ?? []).some((k) => /^AUTH\b/i.test(k));

export const authAfterStarttls: LabCheck = {
  name: "smtp.auth-after-starttls",
  proves: "587 offers and takes AUTH only after STARTTLS; 25 never offers AUTH (v4 and v6)",
  async run(lab) {
    const problems: string[] = [];
    const mailbox = labMailbox(lab);
    for (const family of families) {
      for (const port of [587, 25]) {
        const answer = await internetClient<AuthBeforeTlsAnswer>(lab, "auth-before-tls", { from: lab.internet.addresses.sender, family, options: { port, user: mailbox.address } });
        const where = `${port} over ${family}`;
        if (answer.error) {
          problems.push(`${where}: ${answer.error}`);
          continue;
        }
        if (offersAuth(answer.ehlo_plain)) problems.push(`${where}: AUTH offered before STARTTLS`);
        if (!/^5/.test(answer.auth_plain_reply ?? "")) problems.push(`${where}: AUTH before STARTTLS answered ${answer.auth_plain_reply}`);
        if (answer.starttls_error) problems.push(`${where}: STARTTLS failed: ${answer.starttls_error}`);
        if (port === 587 && !offersAuth(answer.ehlo_tls)) problems.push(`${where}: no AUTH offered after STARTTLS`);
        if (port === 25 && offersAuth(answer.ehlo_tls)) problems.push(`${where}: AUTH offered on the MX port`);
      }
    }
    return verdict(problems, "587: no AUTH in plaintext (AUTH refused with 5xx), AUTH after STARTTLS; 25: no AUTH at all; v4 and v6");
  },
};

interface RelayAnswer {
  attempts: { rcpt: string; mail?: string; rcpt_reply?: string; data_reply?: string; error?: string }[];
}

export const noRelay: LabCheck = {
  name: "smtp.no-relay",
  proves: "without logging in, port 25 relays nowhere: a foreign recipient, the %-hack, quoted and bang paths, source routes, address literals",
  async run(lab) {
    const victim = "victim";
    const foreign = lab.remoteDomain;
    const own = lab.domain;
    const recipients = [
      `<${victim}@${foreign}>`,
      `<${victim}%${foreign}@${own}>`,
      `<"${victim}@${foreign}"@${own}>`,
      `<${victim}@${foreign}@${own}>`,
      `<${foreign}!${victim}@${own}>`,
      `<@${own}:${victim}@${foreign}>`,
      `<${victim}@[${lab.remoteMta.address.v4}]>`,
      `<${victim}@${foreign}.>`,
    ];
    const before = new Set(lab.remoteMta.messages().keys());
    // The prober has forward-confirmed reverse DNS, so only the relay rules stand between it and the world.
    const helo = `${remoteHosts.relayProber}.${foreign}`;
    const plain = await internetClient<RelayAnswer>(lab, "relay", { from: lab.internet.addresses.relayProber, options: { helo, "mail-from": `spammer@${foreign}`, rcpt: recipients, subject: `lab relay attempt ${lab.runId}` } });
    const overTls = await internetClient<RelayAnswer>(lab, "relay", { from: lab.internet.addresses.relayProber, family: "v6", options: { helo, "mail-from": `spammer@${foreign}`, rcpt: [recipients[0]!], starttls: true, subject: `lab relay attempt ${lab.runId}` } });
    const attempts = [...(plain.attempts ?? []), ...(overTls.attempts ?? []).map((a) => ({ ...a, rcpt: `${a.rcpt} (v6, after STARTTLS)` }))];
    if (attempts.length !== recipients.length + 1) return fail(`the relay probe did not run: ${JSON.stringify(plain).slice(0, 200)}`);
    const problems: string[] = [];
    for (const a of attempts) {
      if (a.error) problems.push(`${a.rcpt}: ${a.error}`);
      else if (/^2/.test(a.rcpt_reply ?? "")) problems.push(`${a.rcpt} accepted (${a.rcpt_reply}${a.data_reply ? `; DATA ${a.data_reply}` : ""})`);
    }
    await sleep(problems.length > 0 ? 5000 : 0);
    const relayed = [...lab.remoteMta.messages()].filter(([name, text]) => !before.has(name) && text.includes("lab relay attempt"));
    if (relayed.length > 0) problems.push(`${relayed.length} message(s) relayed to ${foreign}'s MX`);
    const codes = [...new Set(attempts.map((a) => (a.rcpt_reply ?? "").slice(0, 3)))].join("/");
    return verdict(problems, `${attempts.length} relay attempts refused at RCPT (${codes}); nothing reached ${foreign}`);
  },
};

interface BurstAnswer {
  greetings: string[];
}

export const connectionLimit: LabCheck = {
  name: "smtp.connection-limit",
  proves: `anvil refuses a client's connections past ${smtpLimits.connectionsPerMinutePerClient} a minute (421)`,
  async run(lab) {
    const limit = smtpLimits.connectionsPerMinutePerClient;
    const count = limit + 15;
    const answer = await internetClient<BurstAnswer>(lab, "connection-burst", { from: lab.internet.addresses.connectionProber, options: { port: 25, count } });
    const greeted = answer.greetings.filter((g) => g === "220").length;
    const refused = answer.greetings.filter((g) => g === "421").length;
    const other = answer.greetings.filter((g) => g !== "220" && g !== "421");
    const problems: string[] = [];
    if (greeted > limit) problems.push(`${greeted} of ${count} connections in a burst were greeted, more than the limit of ${limit}`);
    if (refused === 0) problems.push(`no connection was refused with 421`);
    if (greeted === 0) problems.push("no connection was greeted at all");
    if (other.length > 0) problems.push(`other answers: ${[...new Set(other)].join(", ")}`);
    return verdict(problems, `${count} connections in a burst: ${greeted} greeted, ${refused} refused with 421 (limit ${limit} a minute)`);
  },
};

interface SubmitAnswer {
  accepted?: string[];
  refused?: Record<string, string>;
  error?: string;
}

export const accountLimit: LabCheck = {
  name: "smtp.account-limit",
  proves: "a mailbox's recipients per hour stop at the configured limit (the lab lowers it): exactly the limit passes, one more is refused",
  async run(lab) {
    const mailbox = labMailbox(lab);
    const limit = lab.plan.config.limits.recipientsPerHourPerAccount;
    const earlier = lab.submittedRecipients.get(mailbox.address) ?? 0;
    const remaining = limit - earlier;
    if (remaining < 1) return fail(`the lab already submitted ${earlier} recipients for ${mailbox.address}, the limit is ${limit}`);
    const submit = (to: string[], subject: string) =>
      internetClient<SubmitAnswer>(lab, "submit", {
        from: lab.internet.addresses.sender,
        password: mailbox.password,
        options: { port: 587, servername: lab.mailHostname, cafile: lab.caFile, user: mailbox.address, "mail-from": mailbox.address, to: to.join(","), subject },
      });
    const upTo = Array.from({ length: remaining }, (_, i) => `limit-${i + 1}@${lab.remoteDomain}`);
    const first = await submit(upTo, `lab account limit ${lab.runId} (up to the limit)`);
    const accepted = first.error ? 0 : (first.accepted?.length ?? 0);
    countSubmitted(lab, mailbox.address, accepted);
    const problems: string[] = [];
    if (accepted !== remaining) problems.push(`refused before the limit: ${earlier} earlier + ${remaining} now should pass, got ${first.error ?? JSON.stringify(first.refused)}`);
    const over = await submit([`over-limit@${lab.remoteDomain}`], `lab account limit ${lab.runId} (one over)`);
    const overAccepted = !over.error && (over.accepted?.length ?? 0) > 0;
    if (overAccepted) {
      countSubmitted(lab, mailbox.address, 1);
      problems.push(`recipient ${limit + 1} of the hour was accepted`);
    }
    return verdict(problems, `limit ${limit}/hour (lowered by the lab): ${earlier} earlier + ${remaining} accepted, recipient ${limit + 1} refused: ${over.error ?? JSON.stringify(over.refused)}`);
  },
};
