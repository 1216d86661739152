/**
 * A real fail2ban 1.0.2 server with Debian's configuration and our files, in its own network and
 * mount namespaces: Postfix's own log writer (postlog) and Dovecot-format lines land in the files
 * the jails read, fail2ban bans through nftables, mails through `sendmail`, and recidive counts
 * the bans. The machine's /var/log, /run, fail2ban database and firewall are never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail2ban } from "../../../../../baseline/abuse";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { fail2banJailNames, fail2banSender } from "../../../../../hostBundle/render/system/fail2banJails";
import { jailLogFiles, writeFail2banConfig } from "./fail2banHarness";
import {
  addNamespace,
  deleteNamespace,
  makeTempDir,
  removeStaleNamespaces,
  removeTempDir,
  run,
  runOk,
  startUntilReady,
  stopProcess,
  uniqueNamespaceName,
  type CommandResult,
} from "./hostCommands";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { freeTestAddressRanges } from "./testAddressRanges";

const ranges = freeTestAddressRanges();
const attacker4 = `${ranges.ipv4Prefix}.7`;
const belowThreshold4 = `${ranges.ipv4Prefix}.8`;
const attacker6 = `${ranges.ipv6Prefix}::7`;
const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const files = renderSystemFiles(ctx);

const dir = makeTempDir("pm-f2b-live");
const mailDir = join(dir, "mail");
const fakeBin = join(dir, "bin");
const postfixDir = join(dir, "postfix");
const ns = uniqueNamespaceName("f2b");
let sandbox: ChildProcess | undefined;
let configDir = "";

/** Runs a command in the sandbox's network and mount namespaces. */
function inSandbox(command: string, args: readonly string[]): CommandResult {
  if (!sandbox?.pid) throw new Error("sandbox not running");
  return run("nsenter", ["-t", String(sandbox.pid), "-m", "-n", "--", command, ...args]);
}

function inSandboxOk(command: string, args: readonly string[]): CommandResult {
  const result = inSandbox(command, args);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

/** A file as the sandbox sees it (its /var/log is a tmpfs of its own). */
const sandboxPath = (path: string) => `/proc/${sandbox?.pid}/root${path}`;

/** One failed SMTP AUTH, logged by Postfix's own postlog into maillog_file, as postlogd would. */
function postfixAuthFailure(ip: string): void {
  inSandboxOk("postlog", ["-c", postfixDir, "-t", "postfix/submission/smtpd", "-p", "warning", `unknown[${ip}]: SASL PLAIN authentication failed: `]);
}

/** One failed IMAP login as Dovecot 2.3 writes it to its log_path (default log_timestamp "%b %d %H:%M:%S "). */
function dovecotAuthFailure(ip: string): void {
  const now = new Date();
  const month = now.toLocaleString("en-US", { month: "short" });
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${month} ${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  appendFileSync(
    sandboxPath(hostLayout.dovecotLog),
    `${stamp} imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<someone@tenant-one.example>, method=PLAIN, rip=${ip}, lip=${ranges.ipv4Prefix}.1, TLS, session=<x${Math.random().toString(36).slice(2, 10)}>\n`,
  );
}

/** The addresses in one of fail2ban's nftables sets (empty while the set does not exist). */
function bannedIn(set: string): string[] {
  const listed = inSandbox("nft", ["-j", "list", "set", "inet", "f2b-table", set]);
  if (listed.status !== 0) return [];
  const parsed = JSON.parse(listed.stdout) as { nftables: { set?: { elem?: string[] } }[] };
  return parsed.nftables.flatMap((i) => i.set?.elem ?? []);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return { value, ms: performance.now() - start };
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sentMails(): string[] {
  return readdirSync(mailDir).sort().map((f) => readFileSync(join(mailDir, f), "utf8"));
}

beforeAll(async () => {
  removeStaleNamespaces();
  configDir = writeFail2banConfig(dir, files.filter((f) => f.service === "fail2ban"));
  mkdirSync(mailDir);
  mkdirSync(fakeBin);
  // Stands in for Postfix's sendmail: keeps the arguments and the message it was given.
  writeFileSync(join(fakeBin, "sendmail"), `#!/bin/sh\n{ printf 'ARGS: %s\\n' "$*"; cat; } > "${mailDir}/$(date +%s%N).eml"\n`);
  chmodSync(join(fakeBin, "sendmail"), 0o755);
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
  const setup = [
    "set -e",
    "mount -t tmpfs tmpfs /var/log",
    "mount -t tmpfs tmpfs /run",
    "mkdir -p /run/fail2ban",
    "mount -t tmpfs tmpfs /var/lib/fail2ban",
    // Our sendmail shadows any real one; everything else in /usr/sbin stays as it is.
    `mount -t overlay overlay -o lowerdir=${fakeBin}:/usr/sbin /usr/sbin`,
    // As on the host, the log files exist before fail2ban starts (the apply script creates them).
    `touch ${jailLogFiles.join(" ")}`,
    `nft -f ${join(dir, "nftables.conf")}`,
    "echo ready",
    "exec sleep infinity",
  ].join("\n");
  sandbox = await startUntilReady("ip", ["netns", "exec", ns, "unshare", "-m", "--propagation", "private", "sh", "-c", setup], "ready");
  const start = inSandboxOk("fail2ban-client", ["-c", configDir, "start"]);
  console.info(`fail2ban-client start: ${start.ms.toFixed(0)} ms`);
}, 60_000);

afterAll(async () => {
  if (sandbox?.pid) inSandbox("fail2ban-client", ["-c", configDir, "stop"]);
  await stopProcess(sandbox);
  deleteNamespace(ns);
  removeTempDir(dir);
}, 30_000);

describe("fail2ban with the rendered jails, live", () => {
  it("runs our four jails with the baseline's numbers", () => {
    const status = inSandboxOk("fail2ban-client", ["status"]).stdout;
    const jails = /Jail list:\s+(.*)/.exec(status)?.[1]?.split(", ").sort();
    expect(jails).toEqual([...fail2banJailNames].sort());
    expect(inSandboxOk("fail2ban-client", ["get", "postfix", "maxretry"]).stdout.trim()).toBe(String(fail2ban.maxRetry));
    expect(inSandboxOk("fail2ban-client", ["get", "recidive", "bantime"]).stdout.trim()).toBe(String(fail2ban.recidiveBanTimeSeconds));
  });

  it("bans an address after 5 SMTP AUTH failures in Postfix's own log, not after 4, and mails the ban", async () => {
    for (let i = 0; i < fail2ban.maxRetry - 1; i++) postfixAuthFailure(belowThreshold4);
    for (let i = 0; i < fail2ban.maxRetry; i++) postfixAuthFailure(attacker4);
    const banned = await waitFor("the postfix ban", () => (bannedIn("addr-set-postfix").includes(attacker4) ? true : undefined));
    console.info(`postfix jail: ban ${banned.ms.toFixed(0)} ms after the 5th failure line`);
    expect(bannedIn("addr-set-postfix")).toEqual([attacker4]);
    expect(readFileSync(sandboxPath(hostLayout.postfixLog), "utf8")).toMatch(/postfix\/submission\/smtpd\[\d+\]: warning: unknown\[/);

    const { value: mail } = await waitFor("the ban mail", () => sentMails().find((m) => m.includes(`banned ${attacker4}`)));
    expect(mail).toContain(`ARGS: -f ${fail2banSender("tenant-one.example")} alerts@ops.tenant-one.example`);
    expect(mail).toMatch(new RegExp(`^Subject: \\[Fail2Ban\\] postfix: banned ${attacker4.replace(/\./g, "\\.")} on `, "m"));
    expect(mail).toMatch(/^To: alerts@ops\.tenant-one\.example$/m);
    expect(mail).toContain(`for ${fail2ban.banTimeSeconds} seconds after ${fail2ban.maxRetry} failures in jail postfix`);
    expect(mail).toContain(`unknown[${attacker4}]: SASL PLAIN authentication failed`);
  });

  it("bans an IPv6 address after 5 IMAP login failures in Dovecot's log", async () => {
    for (let i = 0; i < fail2ban.maxRetry; i++) dovecotAuthFailure(attacker6);
    const banned = await waitFor("the dovecot ban", () => (bannedIn("addr6-set-dovecot").length > 0 ? true : undefined));
    console.info(`dovecot jail: ban ${banned.ms.toFixed(0)} ms after the 5th failure line`);
    expect(bannedIn("addr6-set-dovecot")).toEqual([attacker6.replace(/:0:0::/, "::")]);
  });

  it("keeps its bans when the host ruleset is reloaded", () => {
    runOk("nsenter", ["-t", String(sandbox?.pid), "-n", "--", "nft", "-f", join(dir, "nftables.conf")]);
    expect(bannedIn("addr-set-postfix")).toEqual([attacker4]);
    expect(bannedIn("addr6-set-dovecot")).toHaveLength(1);
  });

  it("bans a repeat offender from every port through recidive after its third ban", async () => {
    for (let i = 0; i < fail2ban.maxRetry; i++) dovecotAuthFailure(attacker4);
    await waitFor("the second ban", () => (bannedIn("addr-set-dovecot").includes(attacker4) ? true : undefined));
    inSandboxOk("fail2ban-client", ["set", "postfix", "unbanip", attacker4]);
    for (let i = 0; i < fail2ban.maxRetry; i++) postfixAuthFailure(attacker4);
    await waitFor("the third ban", () => (bannedIn("addr-set-postfix").includes(attacker4) ? true : undefined));
    const recidive = await waitFor("the recidive ban", () => (bannedIn("addr-set-recidive").includes(attacker4) ? true : undefined));
    console.info(`recidive jail: ban ${recidive.ms.toFixed(0)} ms after the third ban`);
    const chain = inSandboxOk("nft", ["list", "chain", "inet", "f2b-table", "f2b-chain"]).stdout;
    const recidiveRule = chain.split("\n").find((l) => l.includes("@addr-set-recidive"));
    expect(recidiveRule).toBeDefined();
    expect(recidiveRule).not.toMatch(/dport/);
    await waitFor("the recidive ban mail", () => (sentMails().some((m) => m.includes(`recidive: banned ${attacker4}`)) ? true : undefined));
  });
});
