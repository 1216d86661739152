/**
 * fail2ban as an attacker and the alert mailbox see it: five wrong passwords from one internet
 * address, then that address's connections refused within seconds and a ban notice in the alert
 * mailbox; the scanner, which only scanned, still gets in.
 */

import { fail2ban as fail2banLimits } from "../../../../baseline/abuse";
import { portNumbers, publicInboundPorts } from "../../../../baseline/network";
import { mailRouting } from "../../../../tenant/mailRouting";
import type { MailLab } from "../mailLab";
import { families, fail, internetClient, labMailbox, pass, verdict, waitFor, type LabCheck, type SharedProbes } from "./check";
import { mailboxSubjects } from "./mailFlow";

const BAN_WAIT_MS = 30_000;
const NOTICE_WAIT_MS = 30_000;

interface GuessAnswer {
  attempts: ({ reply?: string; ok?: boolean; at: number; error?: string } | null)[];
}

interface BanOutcome {
  readonly failures: number;
  readonly replies: string[];
  /** Seconds from the last failed login to the first refused connection; undefined without a ban. */
  readonly banSeconds?: number;
  readonly bannedAs?: string;
  readonly bannedAt?: number;
}

/** The guesses and the wait for the ban, once: the ban and the notice checks both read them. */
function guessUntilBanned(lab: MailLab, shared: SharedProbes): Promise<BanOutcome> {
  return shared.once("fail2ban-guess", async () => {
    const attacker = lab.internet.addresses.attacker;
    const answer = await internetClient<GuessAnswer>(lab, "guess", { from: attacker, options: { port: 587, count: fail2banLimits.maxRetry, user: labMailbox(lab).address, servername: lab.mailHostname } });
    const attempts = answer.attempts.filter((a): a is NonNullable<typeof a> => a !== null);
    const failed = attempts.filter((a) => a.ok === false && /^535\b/.test(a.reply ?? ""));
    const lastFailure = Math.max(...attempts.map((a) => a.at));
    const banned = await waitFor(BAN_WAIT_MS, async () => {
      const state = await internetClient<Record<string, string>>(lab, "connect", { from: attacker, options: { ports: ["587", "993"], timeout: 2 } });
      return state["587"] !== "open" ? { as: `587 ${state["587"]}, 993 ${state["993"]}`, at: Date.now() / 1000 } : undefined;
    }, 500);
    return {
      failures: failed.length,
      replies: attempts.map((a) => a.reply ?? a.error ?? "?"),
      ...(banned ? { banSeconds: Math.max(0, banned.at - lastFailure), bannedAs: banned.as, bannedAt: banned.at } : {}),
    };
  });
}

export const fail2banBan: LabCheck = {
  name: "fail2ban.ban",
  proves: `an address that fails ${fail2banLimits.maxRetry} logins is refused within seconds`,
  async run(lab, shared) {
    const outcome = await guessUntilBanned(lab, shared);
    if (outcome.failures < fail2banLimits.maxRetry) return fail(`only ${outcome.failures} of ${fail2banLimits.maxRetry} guesses got a failed login: ${outcome.replies.join(" | ")}`);
    if (outcome.banSeconds === undefined) return fail(`${outcome.failures} failed logins from ${lab.internet.addresses.attacker.v4} on 587, and it still connects after ${BAN_WAIT_MS / 1000} s`);
    return pass(`${outcome.failures} failed AUTH on 587 from ${lab.internet.addresses.attacker.v4}; banned ${outcome.banSeconds.toFixed(1)} s after the last (${outcome.bannedAs})`);
  },
};

export const fail2banNotice: LabCheck = {
  name: "fail2ban.notice",
  proves: "each ban is mailed to the tenant's alert address and lands in a mailbox",
  async run(lab, shared) {
    const outcome = await guessUntilBanned(lab, shared);
    if (outcome.bannedAt === undefined) return fail("no ban, so no notice");
    const routing = mailRouting({ domain: lab.domain, alertEmail: lab.plan.config.alertEmail, mailboxes: lab.plan.config.mailboxes, aliases: lab.plan.config.aliases });
    const destination = routing.resolve(lab.plan.config.alertEmail);
    if (destination.kind !== "mailbox") return fail(`the alert address ${lab.plan.config.alertEmail} ends in no mailbox the lab can read (${destination.kind})`);
    const attacker = lab.internet.addresses.attacker.v4;
    const found = await waitFor(NOTICE_WAIT_MS, async () => {
      const answer = await mailboxSubjects(lab, destination.mailbox);
      return answer.subjects?.find((s) => s.includes(attacker));
    }, 1000);
    if (!found) return fail(`no message about ${attacker} in ${destination.mailbox} within ${NOTICE_WAIT_MS / 1000} s of the ban`);
    return pass(`${destination.mailbox} got "${found}"`);
  },
};

export const scannerNotBanned: LabCheck = {
  name: "fail2ban.scanner-not-banned",
  proves: "the scanner, after every scan and TLS enumeration, still connects to every public port (v4 and v6)",
  async run(lab) {
    const ports = portNumbers(publicInboundPorts, "tcp");
    const problems: string[] = [];
    for (const family of families) {
      const state = await internetClient<Record<string, string>>(lab, "connect", { from: lab.internet.addresses.scanner, family, options: { ports: ports.map(String), timeout: 3 } });
      const shut = ports.filter((p) => state[String(p)] !== "open");
      if (shut.length > 0) problems.push(`${family}: ${shut.map((p) => `${p} ${state[String(p)]}`).join(", ")}`);
    }
    return verdict(problems, `${lab.internet.addresses.scanner.v4} and ${lab.internet.addresses.scanner.v6} still connect to ${ports.join(", ")}`);
  },
};
