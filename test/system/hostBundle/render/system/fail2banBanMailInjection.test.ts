/**
 * The ban mail action against shell injection, with a real fail2ban 1.0.2 running the rendered
 * files in a sandbox (fail2banHarness.ts). The tenant config loader only lets a conservative
 * address grammar through, so this renders from a hand-built context that carries command
 * substitutions in the alert address and in the sender's domain, as if that check were ever lost:
 * the action must still run no command. The action as it was before (its text is kept below)
 * shows the class of bug: it pastes both values raw into a shell line, and a ban runs them as root.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { fail2banBanMailActionPath } from "../../../../../hostBundle/render/system/fail2banBanMailAction";
import { renderFail2banFiles } from "../../../../../hostBundle/render/system";
import type { HostRenderContext } from "../../../../../hostBundle/renderContext";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { fail2banConfigTest, sentMails, startSandbox, waitFor, writeFail2banConfig, writeSendmailStub, type Sandbox } from "./fail2banHarness";
import { addNamespace, deleteNamespace, makeTempDir, removeStaleNamespaces, removeTempDir, uniqueNamespaceName } from "./hostCommands";
import { freeTestAddressRanges } from "./testAddressRanges";

/** The action as rendered before this fix: sendmail-common's <mailcmd>, <dest> and <sender> raw in the shell line. */
const legacyBanMailAction = [
  "[INCLUDES]",
  "before = sendmail-common.conf",
  "[Definition]",
  "actionstart =",
  "actionstop =",
  "norestored = 1",
  'actionban = ( printf %%b "Subject: [Fail2Ban] <name>: banned <ip> on <fq-hostname>',
  '            Date: `LC_ALL=C date +"%%a, %%d %%h %%Y %%T %%z"`',
  "            From: <sendername> <<sender>>",
  "            To: <dest>\\n",
  "            fail2ban banned <ip> for <bantime> seconds after <failures> failures in jail <name>.\\n",
  '            Matching log lines:\\n";',
  "            printf '%%s\\n' \"<matches>\" ) | <mailcmd>",
  "actionunban =",
  "[Init]",
  "dest = root",
  "",
].join("\n");

const dir = makeTempDir("pm-f2b-inject");
const markers = join(dir, "markers");
const mailDir = join(dir, "mail");
const fakeBin = join(dir, "bin");
mkdirSync(markers);
/** Each substitution, if a shell ever runs it, leaves a file named after where it came from. */
const touch = (name: string) => `touch$IFS${markers}/${name}`;
const hostileDest = `\`${touch("dest-backticks")}\`$(${touch("dest-dollar")})@tenant.example`;
const hostileDomain = `x$(${touch("sender-dollar")})\`${touch("sender-backticks")}\`.example`;
const hostileSender = `fail2ban@${hostileDomain}`;
const hostileUser = `$(${touch("matches-dollar")})\`${touch("matches-backticks")}\``;

const base = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
/** Built by hand: parseTenantConfig would refuse both values. */
const hostileCtx: HostRenderContext = { ...base, config: { ...base.config, alertEmail: hostileDest, domain: hostileDomain } };
// fail2ban's files alone: the disk alert script refuses these values outright (its own unit test).
const files = renderFail2banFiles(hostileCtx);
const ranges = freeTestAddressRanges();
const bannedByHand = `${ranges.ipv4Prefix}.66`;
const guesser = `${ranges.ipv4Prefix}.67`;
const ns = uniqueNamespaceName("f2b-inject");
let sandbox: Sandbox | undefined;

const markersLeft = () => readdirSync(markers).sort();

/** The enabled jails, as the running server lists them. */
function jails(box: Sandbox): string[] {
  return (/Jail list:\s+(.*)/.exec(box.runOk("fail2ban-client", ["status"]).stdout)?.[1] ?? "").split(/,\s*/).filter(Boolean);
}

/** One Postfix SASL failure line as postlogd writes it to maillog_file, naming the hostile user. */
function smtpAuthFailure(box: Sandbox, ip: string): void {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.toLocaleString("en-US", { month: "short" })} ${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  appendFileSync(box.path(hostLayout.postfixLog), `${stamp} mail postfix/submission/smtpd[4242]: warning: unknown[${ip}]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=${hostileUser}\n`);
}

/** Starts fail2ban with `configDir` on a fresh database and bans `bannedByHand` in every jail. */
async function startAndBan(box: Sandbox, configDir: string): Promise<string[]> {
  box.run("fail2ban-client", ["stop"]);
  box.runOk("rm", ["-f", "/var/lib/fail2ban/fail2ban.sqlite3"]);
  box.runOk("fail2ban-client", ["-c", configDir, "start"]);
  const enabled = jails(box);
  for (const jail of enabled) box.runOk("fail2ban-client", ["set", jail, "banip", bannedByHand]);
  return enabled;
}

beforeAll(async () => {
  removeStaleNamespaces();
  writeSendmailStub(fakeBin, mailDir);
  addNamespace(ns);
  sandbox = await startSandbox({ namespace: ns, fakeBin });
}, 30_000);

afterAll(async () => {
  sandbox?.run("fail2ban-client", ["stop"]);
  await sandbox?.stop();
  deleteNamespace(ns);
  removeTempDir(dir);
}, 30_000);

describe("the ban mail action with a hostile alert address and sender", () => {
  const configDir = writeFail2banConfig(join(dir, "rendered"), files);

  it("passes fail2ban-client -t: fail2ban's own check does not stop these values", () => {
    const check = fail2banConfigTest(configDir);
    expect(check.output).not.toMatch(/WARNING|ERROR/);
    expect(check.ok).toBe(true);
  });

  it("runs no command on a ban in any jail, and hands sendmail the values as literal arguments", async () => {
    const box = sandbox as Sandbox;
    const enabled = await startAndBan(box, configDir);
    const { ms } = await waitFor("a ban mail from every jail", () => (sentMails(mailDir).length >= enabled.length ? true : undefined), 15_000);
    console.info(`${enabled.length} ban mails ${ms.toFixed(0)} ms after the bans`);
    expect(markersLeft()).toEqual([]);
    const mails = sentMails(mailDir);
    expect(mails).toHaveLength(enabled.length);
    for (const mail of mails) {
      expect(mail.split("\n")[0]).toBe(`ARGS: [-i] [-f] [${hostileSender}] [--] [${hostileDest}]`);
      expect(mail).toContain(`\nFrom: Fail2Ban <${hostileSender}>\nTo: <${hostileDest}>\n`);
      expect(mail).toMatch(new RegExp(`^Subject: \\[Fail2Ban\\] [\\w-]+: banned ${bannedByHand.replace(/\./g, "\\.")} on `, "m"));
    }
  });

  it("runs nothing from the log lines it mails (the matched lines carry command substitutions too)", async () => {
    const box = sandbox as Sandbox;
    const before = sentMails(mailDir).length;
    for (let i = 0; i < 5; i++) smtpAuthFailure(box, guesser);
    await waitFor("the ban mail for the guesser", () => (sentMails(mailDir).length > before ? true : undefined), 15_000);
    const mail = sentMails(mailDir).find((m) => m.includes(`banned ${guesser} `)) ?? "";
    expect(mail).toContain(`sasl_username=${hostileUser}`);
    expect(markersLeft()).toEqual([]);
  });

  it("the action as it was runs both values as commands, as root (the class of bug this closes)", async () => {
    const box = sandbox as Sandbox;
    const legacyDir = writeFail2banConfig(join(dir, "legacy"), files);
    writeFileSync(join(legacyDir, fail2banBanMailActionPath.slice("/etc/fail2ban/".length)), legacyBanMailAction);
    expect(fail2banConfigTest(legacyDir).ok).toBe(true);
    rmSync(markers, { recursive: true });
    mkdirSync(markers);
    await startAndBan(box, legacyDir);
    const expected = ["dest-backticks", "dest-dollar", "sender-backticks", "sender-dollar"];
    await waitFor("the legacy action's injected commands", () => (expected.every((m) => existsSync(join(markers, m))) ? true : undefined), 15_000);
    expect(markersLeft()).toEqual(expected);
  });
});
