/**
 * Every rendered file passes its daemon's own checker, run here with Debian 12's real packages,
 * and each checker run is shown to fail on a broken copy, so a pass means something.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tls12CipherSuites } from "../../../../../baseline/tls";
import { renderMailDaemonFiles } from "../../../../../hostBundle/render/mail/index";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";
import { complaintLines, runCommand, runOnTerminal } from "./processRunner";
import { makeScratchDir, removeScratchDir } from "./scratchDir";
import { stageMailConfig, type StagedMailConfig } from "./stagedMailConfig";

let root = "";
let staged: StagedMailConfig;
let hash = "";

beforeAll(async () => {
  // A real hash from Dovecot's own tool, as a tenant would configure it.
  const pw = await runCommand("doveadm", ["pw", "-s", "BLF-CRYPT", "-r", "12", "-p", "test"]);
  expect(pw.code, pw.output).toBe(0);
  hash = pw.output.trim();
  const ctx = mailTestContext({ alertEmail: "alice@tenant-one.example", mailboxes: [mailbox("alice@tenant-one.example", hash)] });
  root = makeScratchDir("pm-mail-checkers");
  staged = await stageMailConfig(renderMailDaemonFiles(ctx), ctx, root, { smtp: 10025, submission: 10587, submissions: 10465, imaps: 10993, policy: 10040 });
}, 60_000);

afterAll(() => {
  if (root) removeScratchDir(root);
});

/** Runs `check` on the staged file, then on a copy with `breakIt` applied: the second must complain. */
async function provesFailure(file: string, breakIt: (text: string) => string, check: () => Promise<string[]>): Promise<string[]> {
  const good = readFileSync(file, "utf8");
  writeFileSync(file, breakIt(good));
  try {
    return await check();
  } finally {
    writeFileSync(file, good);
  }
}

async function postconfProblems(): Promise<string[]> {
  const result = await runOnTerminal(["postconf", "-c", staged.postfix.configDir, "-n"]);
  return [...complaintLines(result.output), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

async function postfixCheckProblems(): Promise<string[]> {
  const result = await runOnTerminal(["postfix", "-c", staged.postfix.configDir, "check"]);
  return [...complaintLines(result.output), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

async function doveconfProblems(): Promise<string[]> {
  const result = await runCommand("doveconf", ["-c", staged.dovecot.conf, "-n"]);
  return [...complaintLines(result.output), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

async function opendkimProblems(): Promise<string[]> {
  const result = await runCommand("opendkim", ["-n", "-x", staged.opendkim.conf]);
  return [...complaintLines(result.output, /\S/), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

async function unboundProblems(): Promise<string[]> {
  const result = await runCommand("unbound-checkconf", [staged.unboundConf]);
  // Its success line is "no errors in FILE".
  return [...complaintLines(result.output, /(warning|fatal|(?<!no )error)/i), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

/** postfwd's -C prints the parsed ruleset and exits 1 either way: judge its output. */
async function postfwdProblems(): Promise<string[]> {
  const result = await runCommand("postfwd2", ["-f", staged.postfwd.rules, "-C"]);
  const rules = result.output.split("\n").filter((l) => /^Rule\s+\d+:/.test(l));
  const problems = complaintLines(result.output, /(warning|invalid|error)/i);
  if (rules.length !== 1 || !/id->"PM_ACCOUNT_HOURLY"/.test(rules[0] ?? "")) problems.push(`expected exactly the PM_ACCOUNT_HOURLY rule, got: ${rules.join(" | ")}`);
  if (!/action->"rate\(sasl_username\/500\/3600\/450 4\.7\.1 [^"]+\)"/.test(rules[0] ?? "")) problems.push(`rule without the full rate() action: ${rules[0]}`);
  return problems;
}

describe("Postfix's own checkers", () => {
  it("postconf -n knows every parameter main.cf and master.cf set", async () => {
    expect(await postconfProblems()).toEqual([]);
    // A misspelled name is only a warning; the harness must catch it.
    expect(await provesFailure(`${staged.postfix.configDir}/main.cf`, (t) => `${t}smtpd_tls_protocol = >=TLSv1.2\n`, postconfProblems)).not.toEqual([]);
  });

  it("postfix check passes", async () => {
    expect(await postfixCheckProblems()).toEqual([]);
    expect(await provesFailure(`${staged.postfix.configDir}/main.cf`, (t) => `${t}message_size_limit = 10MB\n`, postfixCheckProblems)).not.toEqual([]);
  });

  it("Postfix itself reads the TLS floor, the ciphers and smtpd_forbid_bare_newline as rendered", async () => {
    const names = ["smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtp_tls_protocols", "tls_high_cipherlist", "smtpd_forbid_bare_newline", "smtp_tls_security_level"];
    const result = await runOnTerminal(["postconf", "-c", staged.postfix.configDir, ...names]);
    expect(result.code, result.output).toBe(0);
    expect(result.output.trim().split(/\r?\n/)).toEqual([
      "smtpd_tls_protocols = >=TLSv1.2",
      "smtpd_tls_mandatory_protocols = >=TLSv1.2",
      "smtp_tls_protocols = >=TLSv1.2",
      `tls_high_cipherlist = ${tls12CipherSuites.join(":")}`,
      "smtpd_forbid_bare_newline = normalize",
      "smtp_tls_security_level = dane",
    ]);
  });

  it("Postfix 3.7.11 knows smtpd_forbid_bare_newline (the 3.7.10 backport)", async () => {
    const result = await runCommand("postconf", ["-d", "mail_version", "smtpd_forbid_bare_newline"]);
    expect(result.output).toMatch(/^mail_version = 3\.7\.(1[0-9]|[2-9][0-9])$/m);
    expect(result.output).toMatch(/^smtpd_forbid_bare_newline = no$/m);
  });
});

describe("Dovecot's own checker", () => {
  it("doveconf -n accepts dovecot.conf and reads the TLS and auth settings as rendered", async () => {
    expect(await doveconfProblems()).toEqual([]);
    const result = await runCommand("doveconf", ["-c", staged.dovecot.conf, "-h", "ssl", "ssl_min_protocol", "ssl_cipher_list", "ssl_prefer_server_ciphers", "disable_plaintext_auth", "protocols"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output.trim().split("\n")).toEqual(["required", "TLSv1.2", tls12CipherSuites.join(":"), "yes", "yes", "imap lmtp"]);
    expect(await provesFailure(staged.dovecot.conf, (t) => `${t}ssl_min_protocol = TLSv1.9\nsl = yes\n`, doveconfProblems)).not.toEqual([]);
  });

  it("the passwd-file holds the real BLF-CRYPT hash, and Dovecot verifies the password against it", async () => {
    const line = readFileSync(staged.dovecot.passwdFile, "utf8").split("\n").find((l) => l.startsWith("alice@"));
    expect(line).toBe(`alice@tenant-one.example:${hash}`);
    const stored = (line ?? "").split(":").slice(1).join(":");
    expect((await runCommand("doveadm", ["pw", "-t", stored, "-p", "test"])).code).toBe(0);
    expect((await runCommand("doveadm", ["pw", "-t", stored, "-p", "wrong"])).code).not.toBe(0);
  });
});

describe("OpenDKIM's own checker", () => {
  it("opendkim -n accepts opendkim.conf with the key in place", async () => {
    expect(await opendkimProblems()).toEqual([]);
    expect(await provesFailure(staged.opendkim.conf, (t) => t.replace(/^KeyFile .*$/m, `KeyFile ${root}/missing.private`), opendkimProblems)).not.toEqual([]);
  });
});

describe("unbound's own checker", () => {
  it("unbound-checkconf accepts unbound.conf and sees only 127.0.0.1", async () => {
    expect(await unboundProblems()).toEqual([]);
    const iface = await runCommand("unbound-checkconf", ["-o", "interface", staged.unboundConf]);
    expect(iface.output.trim()).toBe("127.0.0.1");
    expect(await provesFailure(staged.unboundConf, (t) => t.replace("harden-glue: yes", "harden-glue: perhaps"), unboundProblems)).not.toEqual([]);
  });
});

describe("postfwd's own parser", () => {
  it("postfwd -C reads the rate-limit rule whole", async () => {
    expect(await postfwdProblems()).toEqual([]);
    expect(await provesFailure(staged.postfwd.rules, (t) => `${t}id=BROKEN ; protocol_state=DATA ; bogus\n`, postfwdProblems)).not.toEqual([]);
  });
});
