/**
 * Every rendered file passes its daemon's own checker, run here with Debian 12's real packages,
 * and each checker run is shown to fail on a broken copy, so a pass means something.
 */
import { chownSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tls12CipherSuites } from "../../../../../baseline/tls";
import { serviceRuntimes } from "../../../../../hostBundle/apply/serviceTable";
import { dkimPrivateKeyPath, hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderMailDaemonFiles } from "../../../../../hostBundle/render/mail/index";
import { rspamdPolicyLuaPath } from "../../../../../hostBundle/render/mail/rspamd/rspamdPolicyLua";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";
import { complaintLines, runCommand, runOnTerminal, shellQuote } from "./processRunner";
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

/** The staged copy of a file below /etc/rspamd. */
function rspamdStaged(path: string): string {
  return `${staged.rspamd.etcDir}${path.slice(hostLayout.rspamdConfigDir.length)}`;
}

/**
 * The service table's rspamd check, run as the apply script runs it: in a private mount namespace
 * where the staged tree is /etc/rspamd (and a scratch directory /var/lib/rspamd, where
 * configtest writes its hyperscan cache). A pass is "syntax OK" and nothing else.
 */
async function rspamdProblems(): Promise<string[]> {
  const [check] = serviceRuntimes.rspamd.checks;
  if (!check) throw new Error("the service table has no rspamd check");
  const script = [
    `mount --bind ${shellQuote(staged.rspamd.etcDir)} ${hostLayout.rspamdConfigDir}`,
    `mount --bind ${shellQuote(staged.rspamd.dbDir)} /var/lib/rspamd`,
    check.command,
  ].join(" && ");
  const result = await runCommand("unshare", ["--mount", "--propagation", "private", "--", "bash", "-c", script]);
  const failing = check.failOutput ? complaintLines(result.output, new RegExp(check.failOutput, "i")) : [];
  const unexpected = result.output.trim() === "syntax OK" ? [] : [`output: ${result.output.trim()}`];
  return [...new Set([...failing, ...unexpected]), ...(result.code === 0 ? [] : [`exit ${result.code}`])];
}

/** Like provesFailure, for a file that goes missing. */
async function provesFailureWithout(file: string, check: () => Promise<string[]>): Promise<string[]> {
  renameSync(file, `${file}.away`);
  try {
    return await check();
  } finally {
    renameSync(`${file}.away`, file);
  }
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
  if (!/action->"rcpt\(sasl_username\/500\/3600\/450 4\.7\.1 [^"]+\)"/.test(rules[0] ?? "")) problems.push(`rule without the full rcpt() action: ${rules[0]}`);
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

  it("the submission header checks (postmap -q) drop the client from smtpd's Received: of a login's message, and only there", async () => {
    const table = `regexp:${staged.postfix.configDir}/submission-header-checks`;
    const submitted = [
      "Received: from laptop.home.example (unknown [198.51.100.20])",
      "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
      "\t key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256)",
      "\t(No client certificate requested)",
      "\tby mail.tenant-one.example (Postfix) with ESMTPSA id E90E0FDE9AF",
      "\tfor <bob@tenant-one.example>; Sun, 29 Nov 2026 22:05:19 +0000 (UTC)",
    ].join("\n");
    const rewritten = await runCommand("postmap", ["-c", staged.postfix.configDir, "-q", submitted, table]);
    expect(rewritten.code, rewritten.output).toBe(0);
    expect(rewritten.output).toBe("REPLACE Received: by mail.tenant-one.example (Postfix) with ESMTPSA id E90E0FDE9AF\n\tfor <bob@tenant-one.example>; Sun, 29 Nov 2026 22:05:19 +0000 (UTC)\n");
    // Unauthenticated (ESMTP), or another host's header: untouched.
    for (const other of [submitted.replace("ESMTPSA", "ESMTPS"), submitted.replace("by mail.tenant-one.example", "by mx.example.net")]) {
      expect((await runCommand("postmap", ["-c", staged.postfix.configDir, "-q", other, table])).code).toBe(1);
    }
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
    // user:password:uid:gid:gecos:home:shell:extra fields (passwd-file(5)); the hash has no colon.
    expect(line).toMatch(new RegExp(`^alice@tenant-one\\.example:${hash.replace(/[$.{}/]/g, "\\$&")}:`));
    const stored = (line ?? "").split(":")[1] ?? "";
    expect((await runCommand("doveadm", ["pw", "-t", stored, "-p", "test"])).code).toBe(0);
    expect((await runCommand("doveadm", ["pw", "-t", stored, "-p", "wrong"])).code).not.toBe(0);
  });
});

describe("rspamd's own checker (rspamadm configtest -s, as _rspamd)", () => {
  it("accepts the rendered files over Debian's packaged tree, with the keys in place", async () => {
    expect(await rspamdProblems()).toEqual([]);
  });

  it("fails on a Lua syntax error in rspamd.local.lua", async () => {
    const problems = await provesFailure(rspamdStaged(rspamdPolicyLuaPath), (t) => `${t}local broken = = 1\n`, rspamdProblems);
    expect(problems.join("\n")).toMatch(/rspamd\.local\.lua:\d+: unexpected symbol/);
  });

  it("fails when the sender map or the active selector's key is missing", async () => {
    expect((await provesFailureWithout(rspamdStaged(hostLayout.rspamdSenderMap), rspamdProblems)).join("\n")).toMatch(/required map .*sender_login\.map does not exist/);
    expect((await provesFailureWithout(rspamdStaged(dkimPrivateKeyPath(staged.rspamd.selector)), rspamdProblems)).join("\n")).toMatch(/no DKIM key/);
  });

  it("fails on a UCL syntax error and on a broken signing condition", async () => {
    expect(await provesFailure(rspamdStaged(`${hostLayout.rspamdConfigDir}/local.d/options.inc`), (t) => `${t}dns {\n`, rspamdProblems)).not.toEqual([]);
    const signing = rspamdStaged(`${hostLayout.rspamdConfigDir}/local.d/dkim_signing.conf`);
    expect(await provesFailure(signing, (t) => t.replace(/return function\(task\)/, "return function(task"), rspamdProblems)).not.toEqual([]);
  });

  it("fails when _rspamd cannot read a key (owned by root, 0600)", async () => {
    const key = rspamdStaged(dkimPrivateKeyPath(staged.rspamd.selector));
    const { uid, gid } = statSync(key);
    chownSync(key, 0, 0);
    try {
      expect((await rspamdProblems()).join("\n")).toMatch(/no DKIM key/);
    } finally {
      chownSync(key, uid, gid);
    }
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
