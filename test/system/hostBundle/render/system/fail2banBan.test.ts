/**
 * A real fail2ban 1.0.2 server with Debian's configuration and our files, in its own network and
 * mount namespaces (fail2banHarness.ts): Postfix's own log writer (postlog) and Dovecot-format
 * lines land in the files the mail-auth jail reads, fail2ban bans through nftables, mails through
 * `sendmail`, and recidive counts the bans. The machine's /var/log, /run, fail2ban database and
 * firewall are never touched. The same jails against the real daemons and a real guesser are in
 * mailBruteForce.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail2ban } from "../../../../../baseline/abuse";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { fail2banJailNames, fail2banSender } from "../../../../../hostBundle/render/system/fail2banJails";
import { fail2banSets, sentMails, startSandbox, waitFor, writeFail2banConfig, writeSendmailStub, type Sandbox } from "./fail2banHarness";
import { addNamespace, deleteNamespace, makeTempDir, removeStaleNamespaces, removeTempDir, runOk, uniqueNamespaceName } from "./hostCommands";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { freeTestAddressRanges } from "./testAddressRanges";

const ranges = freeTestAddressRanges();
const attacker4 = `${ranges.ipv4Prefix}.7`;
const belowThreshold4 = `${ranges.ipv4Prefix}.8`;
const attacker6 = `${ranges.ipv6Prefix}::7`;
const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const files = renderSystemFiles(ctx);
const jail = "mail-auth";

const dir = makeTempDir("pm-f2b-live");
const mailDir = join(dir, "mail");
const fakeBin = join(dir, "bin");
const postfixDir = join(dir, "postfix");
const ns = uniqueNamespaceName("f2b");
let sandbox: Sandbox | undefined;
let configDir = "";

const box = (): Sandbox => {
  if (!sandbox) throw new Error("sandbox not running");
  return sandbox;
};

/** One failed SMTP AUTH, logged by Postfix's own postlog into maillog_file, as postlogd would. */
function postfixAuthFailure(ip: string): void {
  box().runOk("postlog", ["-c", postfixDir, "-t", "postfix/submission/smtpd", "-p", "warning", `unknown[${ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=someone@tenant-one.example`]);
}

/** A line as Dovecot 2.3 writes it to its log_path (default log_timestamp "%b %d %H:%M:%S "). */
function dovecotLine(text: string): void {
  const now = new Date();
  const month = now.toLocaleString("en-US", { month: "short" });
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${month} ${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  appendFileSync(box().path(hostLayout.dovecotLog), `${stamp} ${text}\n`);
}

const session = () => `<x${Math.random().toString(36).slice(2, 14)}>`;

/** One failed IMAP login (auth_verbose): imap-login's request carries its session id. */
function imapAuthFailure(ip: string): void {
  dovecotLine(`auth: Info: passwd-file(someone@tenant-one.example,${ip},${session()}): Password mismatch`);
}

/** Dovecot's own line for a failed SMTP AUTH: Postfix's request has no session id. */
function dovecotLineForSmtpAuth(ip: string): void {
  dovecotLine(`auth: Info: passwd-file(someone@tenant-one.example,${ip}): Password mismatch`);
}

const banned = (set: string) => fail2banSets(box())[set] ?? [];

beforeAll(async () => {
  removeStaleNamespaces();
  configDir = writeFail2banConfig(dir, files.filter((f) => f.service === "fail2ban"));
  writeSendmailStub(fakeBin, mailDir);
  // Postfix writes maillog_file itself when postlogd is not running; an empty queue directory
  // keeps postlog away from any Postfix running on this machine.
  mkdirSync(join(postfixDir, "queue"), { recursive: true });
  writeFileSync(join(postfixDir, "main.cf"), [
    "compatibility_level = 3.6",
    `queue_directory = ${postfixDir}/queue`,
    `maillog_file = ${hostLayout.postfixLog}`,
    `myhostname = ${ctx.mailHostname}`,
    "",
  ].join("\n"));
  const ruleset = files.find((f) => f.path === hostLayout.nftablesRuleset);
  writeFileSync(join(dir, "nftables.conf"), ruleset?.content ?? "");

  addNamespace(ns);
  sandbox = await startSandbox({ namespace: ns, fakeBin, nftablesRuleset: join(dir, "nftables.conf") });
  const start = box().runOk("fail2ban-client", ["-c", configDir, "start"]);
  console.info(`fail2ban-client start: ${start.ms.toFixed(0)} ms`);
}, 60_000);

afterAll(async () => {
  sandbox?.run("fail2ban-client", ["-c", configDir, "stop"]);
  await sandbox?.stop();
  deleteNamespace(ns);
  removeTempDir(dir);
}, 30_000);

describe("fail2ban with the rendered jails, live", () => {
  it("runs our three jails with the baseline's numbers", () => {
    const status = box().runOk("fail2ban-client", ["status"]).stdout;
    const jails = /Jail list:\s+(.*)/.exec(status)?.[1]?.split(", ").sort();
    expect(jails).toEqual([...fail2banJailNames].sort());
    expect(box().runOk("fail2ban-client", ["get", jail, "maxretry"]).stdout.trim()).toBe(String(fail2ban.maxRetry));
    expect(box().runOk("fail2ban-client", ["get", "recidive", "bantime"]).stdout.trim()).toBe(String(fail2ban.recidiveBanTimeSeconds));
  });

  it("bans an address after 5 SMTP AUTH failures in Postfix's own log, not after 4 (with Dovecot's lines for them), and mails the ban", async () => {
    // Four failed SMTP AUTH, each logged by Postfix and by Dovecot: four failures, not eight.
    for (let i = 0; i < fail2ban.maxRetry - 1; i++) {
      postfixAuthFailure(belowThreshold4);
      dovecotLineForSmtpAuth(belowThreshold4);
    }
    for (let i = 0; i < fail2ban.maxRetry; i++) postfixAuthFailure(attacker4);
    const ban = await waitFor("the mail-auth ban", () => (banned(`addr-set-${jail}`).includes(attacker4) ? true : undefined));
    console.info(`mail-auth jail: ban ${ban.ms.toFixed(0)} ms after the 5th failure line`);
    // fail2ban has read both logs past the lines above by the time it bans.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(banned(`addr-set-${jail}`)).toEqual([attacker4]);

    const { value: mail } = await waitFor("the ban mail", () => sentMails(mailDir).find((m) => m.includes(`banned ${attacker4}`)));
    expect(mail.split("\n")[0]).toBe(`ARGS: [-i] [-f] [${fail2banSender("tenant-one.example")}] [--] [alerts@ops.tenant-one.example]`);
    expect(mail).toMatch(new RegExp(`^Subject: \\[Fail2Ban\\] ${jail}: banned ${attacker4.replace(/\./g, "\\.")} on `, "m"));
    expect(mail).toMatch(/^From: Fail2Ban <fail2ban@tenant-one\.example>$/m);
    expect(mail).toMatch(/^To: <alerts@ops\.tenant-one\.example>$/m);
    expect(mail).toMatch(/^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/m);
    expect(mail).toContain(`for ${fail2ban.banTimeSeconds} seconds after ${fail2ban.maxRetry} failures in jail ${jail}`);
    expect(mail).toContain(`unknown[${attacker4}]: SASL PLAIN authentication failed`);
  });

  it("bans an IPv6 address after 5 IMAP login failures in Dovecot's log", async () => {
    for (let i = 0; i < fail2ban.maxRetry; i++) imapAuthFailure(attacker6);
    const ban = await waitFor("the IMAP ban", () => (banned(`addr6-set-${jail}`).length > 0 ? true : undefined));
    console.info(`mail-auth jail: IPv6 ban ${ban.ms.toFixed(0)} ms after the 5th failure line`);
    expect(banned(`addr6-set-${jail}`)).toEqual([attacker6.replace(/:0:0::/, "::")]);
  });

  it("keeps its bans when the host ruleset is reloaded", () => {
    runOk("nsenter", ["-t", String(box().pid), "-n", "--", "nft", "-f", join(dir, "nftables.conf")]);
    expect(banned(`addr-set-${jail}`)).toEqual([attacker4]);
    expect(banned(`addr6-set-${jail}`)).toHaveLength(1);
  });

  it("bans a repeat offender from every port through recidive after its third ban", async () => {
    // The first ban ends (unbanip stands in for its hour); the address fails again over IMAP.
    box().runOk("fail2ban-client", ["set", jail, "unbanip", attacker4]);
    for (let i = 0; i < fail2ban.maxRetry; i++) imapAuthFailure(attacker4);
    await waitFor("the second ban", () => (banned(`addr-set-${jail}`).includes(attacker4) ? true : undefined));
    box().runOk("fail2ban-client", ["set", jail, "unbanip", attacker4]);
    for (let i = 0; i < fail2ban.maxRetry; i++) postfixAuthFailure(attacker4);
    await waitFor("the third ban", () => (banned(`addr-set-${jail}`).includes(attacker4) ? true : undefined));
    const recidive = await waitFor("the recidive ban", () => (banned("addr-set-recidive").includes(attacker4) ? true : undefined));
    console.info(`recidive jail: ban ${recidive.ms.toFixed(0)} ms after the third ban`);
    const chain = box().runOk("nft", ["list", "chain", "inet", "f2b-table", "f2b-chain"]).stdout;
    const recidiveRule = chain.split("\n").find((l) => l.includes("@addr-set-recidive"));
    expect(recidiveRule).toBeDefined();
    expect(recidiveRule).not.toMatch(/dport/);
    await waitFor("the recidive ban mail", () => (sentMails(mailDir).some((m) => m.includes(`recidive: banned ${attacker4}`)) ? true : undefined));
  });
});
