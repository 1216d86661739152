/**
 * The rendered configuration running for real on loopback: Postfix, Dovecot, OpenDKIM and postfwd
 * from Debian 12's packages, started from the rendered files (test copies differ only in paths,
 * ports, chroot = n and the run directories). Probed as a client would, then the logs are read.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer as createTlsServer, connect as tlsConnect, type ConnectionOptions, type Server } from "node:tls";
import type { DNSResolver } from "mailauth";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpLimits } from "../../../../../baseline/abuse";
import { buildDkimRecord, dkimRecordName } from "../../../../../baseline/dns/dkim";
import { tls12CipherSuites } from "../../../../../baseline/tls";
import { renderMailDaemonFiles } from "../../../../../hostBundle/render/mail/index";
import { createMemoryResolver } from "../../../../support/baseline/dns/memoryResolver";
import { startMailStack, stagePorts, stopMailStack, waitFor } from "./liveMailStack";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";
import { runCommand } from "./processRunner";
import { makeScratchDir, removeScratchDir } from "./scratchDir";
import { SmtpSession } from "./smtpClient";
import { stageMailConfig, type StagedMailConfig } from "./stagedMailConfig";

const domain = "tenant-one.example";
const alice = `alice@${domain}`;
const bob = `bob@${domain}`;
const password = "test";
/** Small, so the test reaches it; the rendering path is the same as for the default 500. */
const hourlyLimit = 2;

let root = "";
let staged: StagedMailConfig;
let caCert = "";
let startMs = 0;

/** Verifies the server's self-signed certificate by name, as a client that trusts it would. */
function trusting(extra: ConnectionOptions = {}): ConnectionOptions {
  return { ca: caCert, servername: `mail.${domain}`, ...extra };
}

/** Debian's and node's OpenSSL refuse TLS 1.0/1.1 on their own; SECLEVEL=0 lets the client really offer it. */
const tls11Only: ConnectionOptions = { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" };
/** A TLS 1.2 suite outside the baseline (CBC, not AEAD) that an ECDSA server could otherwise pick. */
const tls12Cbc: ConnectionOptions = { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA256" };
const ecdsaBaselineSuites = tls12CipherSuites.filter((suite) => suite.startsWith("ECDHE-ECDSA-"));

function authPlain(user: string, secret: string): string {
  return `AUTH PLAIN ${Buffer.from(`\0${user}\0${secret}`).toString("base64")}`;
}

function message(from: string, to: string, subject: string): string {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${subject.replace(/\W+/g, "-")}-${Date.now()}@${domain}>`,
    "",
    "Sent by the mail stack test.",
    "",
  ].join("\r\n");
}

/** 587: STARTTLS, AUTH as `user`; the session is ready for MAIL FROM. */
async function submissionSession(user: string, localAddress?: string): Promise<{ session: SmtpSession; auth: number }> {
  const { session } = await SmtpSession.open(staged.ports.submission, localAddress ? { localAddress } : {});
  await session.ehlo();
  const tls = await session.startTls(trusting());
  if (!tls.socket) throw new Error(`STARTTLS failed: ${tls.error}`);
  await session.ehlo();
  const auth = await session.command(authPlain(user, password));
  return { session, auth: auth.code };
}

async function submit(user: string, from: string, to: string, subject: string): Promise<{ rcpt: number; data: number; final?: number }> {
  const { session, auth } = await submissionSession(user);
  try {
    if (auth !== 235) throw new Error(`AUTH as ${user} failed: ${auth}`);
    expect((await session.command(`MAIL FROM:<${from}>`)).code).toBe(250);
    const rcpt = (await session.command(`RCPT TO:<${to}>`)).code;
    if (rcpt !== 250) return { rcpt, data: 0 };
    const sent = await session.data(message(from, to, subject));
    await session.command("QUIT");
    return { rcpt, data: sent.data.code, final: sent.final?.code };
  } finally {
    session.close();
  }
}

/** Port 25: STARTTLS with `options`; the handshake's outcome. */
async function starttlsOn25(options: ConnectionOptions): Promise<{ protocol?: string | null; cipher?: string; error?: string }> {
  const { session } = await SmtpSession.open(staged.ports.smtp);
  try {
    await session.ehlo();
    const result = await session.startTls(trusting(options));
    if (!result.socket) return { error: String(result.error ?? result.reply.lines.join(" ")) };
    return { protocol: result.socket.getProtocol(), cipher: result.socket.getCipher().name };
  } finally {
    session.close();
  }
}

/** A TLS handshake on an implicit-TLS port (465, 993, or the control server). */
function implicitTls(port: number, options: ConnectionOptions): Promise<{ protocol?: string | null; cipher?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ...options }, () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.once("error", (error) => resolve({ error: String(error) }));
  });
}

/** IMAPS: greeting, LOGIN, LOGOUT; the tagged LOGIN reply. */
function imapLogin(user: string, secret: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let sentLogin = false;
    const socket = tlsConnect({ host: "127.0.0.1", port: staged.ports.imaps, ...trusting() }, () => undefined);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (!sentLogin && /^\* OK/m.test(buffer)) {
        sentLogin = true;
        socket.write(`a1 LOGIN "${user}" "${secret}"\r\n`);
      }
      const tagged = /^a1 (OK|NO|BAD).*$/m.exec(buffer);
      if (tagged) {
        socket.end("a2 LOGOUT\r\n");
        resolve(tagged[0].trim());
      }
    });
    socket.once("error", reject);
  });
}

/** Waits until `user`'s Maildir holds the message with `subject`, and returns it. */
async function delivered(user: string, subject: string): Promise<string> {
  const newDir = `${staged.vmailDir}/${domain}/${user.split("@")[0]}/Maildir/new`;
  let found = "";
  await waitFor(`"${subject}" in ${user}'s Maildir`, () => {
    let names: string[] = [];
    try {
      names = readdirSync(newDir);
    } catch {
      return false;
    }
    found = names.map((name) => readFileSync(`${newDir}/${name}`, "utf8")).find((text) => text.includes(`\nSubject: ${subject}\n`)) ?? "";
    return found !== "";
  }, 20_000);
  return found;
}

/** The message's DKIM-Signature header, unfolded; empty when there is none. */
function dkimSignatureHeader(text: string): string {
  return /^DKIM-Signature: [^]*?\r?\n(?=\S)/m.exec(text)?.[0].replace(/\r?\n\s+/g, " ") ?? "";
}

async function verifyDkim(text: string): Promise<Awaited<ReturnType<typeof dkimVerify>>> {
  const resolver = createMemoryResolver({
    [dkimRecordName(staged.opendkim.selector, domain)]: { TXT: [buildDkimRecord({ publicKeyPem: staged.opendkim.publicKeyPem })] },
  });
  return dkimVerify(text, { resolver: resolver as DNSResolver });
}

function logLines(file: string): string[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
}

beforeAll(async () => {
  startMs = Date.now();
  const pw = await runCommand("doveadm", ["pw", "-s", "BLF-CRYPT", "-r", "12", "-p", password]);
  if (pw.code !== 0) throw new Error(pw.output);
  const hash = pw.output.trim();
  const ctx = mailTestContext({
    alertEmail: alice,
    mailboxes: [mailbox(alice, hash), mailbox(bob, hash)],
    limits: { recipientsPerHourPerAccount: hourlyLimit },
  });
  root = makeScratchDir("pm-mail-live");
  staged = await stageMailConfig(renderMailDaemonFiles(ctx), ctx, root, await stagePorts());
  caCert = readFileSync(staged.tls.cert, "utf8");
  await startMailStack(staged);
  console.log(`mail stack staged and started in ${Date.now() - startMs} ms`);
}, 120_000);

afterAll(async () => {
  if (staged) await stopMailStack(staged);
  if (root) removeScratchDir(root);
}, 60_000);

describe.sequential("the rendered mail configuration, running on loopback", () => {
  let control: Server;
  let controlPort = 0;

  beforeAll(async () => {
    // A server that does accept TLS 1.1 and CBC suites: shows the refusals below come from our servers, not the client.
    control = createTlsServer({ key: readFileSync(staged.tls.key), cert: caCert, minVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }, (s) => s.end());
    await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
    controlPort = (control.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => control.close(() => resolve())));

  it("the probing client really speaks TLS 1.1 and a CBC suite (control server)", async () => {
    expect(await implicitTls(controlPort, trusting(tls11Only))).toMatchObject({ protocol: "TLSv1.1" });
    expect(await implicitTls(controlPort, trusting(tls12Cbc))).toMatchObject({ protocol: "TLSv1.2", cipher: "ECDHE-ECDSA-AES128-SHA256" });
  });

  it("port 25 offers STARTTLS but no AUTH, before TLS and after it", async () => {
    const { session, greeting } = await SmtpSession.open(staged.ports.smtp);
    try {
      expect(greeting.lines[0]).toBe(`220 mail.${domain} ESMTP`);
      const before = await session.ehlo();
      expect(before.has("STARTTLS")).toBe(true);
      expect(before.has("AUTH")).toBe(false);
      expect((await session.startTls(trusting())).socket).toBeDefined();
      const after = await session.ehlo();
      expect(after.has("AUTH")).toBe(false);
      expect(after.has("STARTTLS")).toBe(false);
    } finally {
      session.close();
    }
  });

  it("port 25 refuses TLS 1.1 and non-baseline TLS 1.2 suites, and negotiates every baseline ECDSA suite", async () => {
    expect((await starttlsOn25(tls11Only)).error).toBeDefined();
    expect((await starttlsOn25(tls12Cbc)).error).toBeDefined();
    for (const suite of ecdsaBaselineSuites) {
      expect(await starttlsOn25({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: suite })).toEqual({ protocol: "TLSv1.2", cipher: suite });
    }
    const preferred = await starttlsOn25({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    expect(tls12CipherSuites).toContain(preferred.cipher);
    expect((await starttlsOn25({})).protocol).toBe("TLSv1.3");
  });

  it("465 (implicit TLS) and 993 (IMAPS) have the same floor and suites", async () => {
    for (const port of [staged.ports.submissions, staged.ports.imaps]) {
      expect((await implicitTls(port, trusting(tls11Only))).error, `port ${port}`).toBeDefined();
      expect((await implicitTls(port, trusting(tls12Cbc))).error, `port ${port}`).toBeDefined();
      const tls12 = await implicitTls(port, trusting({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }));
      expect(tls12.protocol, `port ${port}`).toBe("TLSv1.2");
      expect(tls12CipherSuites, `port ${port}`).toContain(tls12.cipher);
    }
  });

  it("587 refuses TLS 1.1 after STARTTLS, and offers AUTH only once TLS is up", async () => {
    const { session } = await SmtpSession.open(staged.ports.submission);
    try {
      expect((await session.ehlo()).has("AUTH")).toBe(false);
      // TLS is required: no mail transaction in the clear.
      expect((await session.command(`MAIL FROM:<${alice}>`)).code).toBe(530);
      expect((await session.startTls(trusting())).socket).toBeDefined();
      expect((await session.ehlo()).get("AUTH")?.split(" ").sort()).toEqual(["LOGIN", "PLAIN"]);
    } finally {
      session.close();
    }
    const { session: old } = await SmtpSession.open(staged.ports.submission);
    try {
      await old.ehlo();
      expect((await old.startTls(trusting(tls11Only))).error).toBeDefined();
    } finally {
      old.close();
    }
  });

  it("port 25 is no open relay and refuses unknown recipients", async () => {
    const { session } = await SmtpSession.open(staged.ports.smtp);
    try {
      await session.ehlo();
      expect((await session.command("MAIL FROM:<someone@example.net>")).code).toBe(250);
      const relay = await session.command("RCPT TO:<victim@example.org>");
      expect(relay.code).toBe(554);
      expect(relay.lines.join(" ")).toMatch(/Relay access denied/);
      expect((await session.command(`RCPT TO:<nobody@${domain}>`)).code).toBe(550);
      expect((await session.command(`RCPT TO:<${alice}>`)).code).toBe(250);
    } finally {
      session.close();
    }
  });

  it("submission refuses relaying before login and a wrong password", async () => {
    const { session } = await SmtpSession.open(staged.ports.submission);
    try {
      await session.ehlo();
      await session.startTls(trusting());
      await session.ehlo();
      expect((await session.command(`MAIL FROM:<${alice}>`)).code).toBe(250);
      expect((await session.command("RCPT TO:<victim@example.org>")).code).toBe(554);
      // AUTH is not allowed inside a mail transaction: end it first.
      expect((await session.command("RSET")).code).toBe(250);
      expect((await session.command(authPlain(alice, "wrong"))).code).toBe(535);
    } finally {
      session.close();
    }
  });

  it("a logged-in mailbox's message reaches Dovecot over LMTP, DKIM-signed with the active selector", async () => {
    expect(await submit(alice, alice, bob, "signed delivery")).toEqual({ rcpt: 250, data: 354, final: 250 });
    const text = await delivered(bob, "signed delivery");
    const verdict = await verifyDkim(text);
    expect(verdict.results).toHaveLength(1);
    expect(verdict.results[0]).toMatchObject({ signingDomain: domain, selector: staged.opendkim.selector, status: { result: "pass" } });
    const signature = dkimSignatureHeader(text);
    expect(signature).toMatch(/\bc=relaxed\/relaxed;/);
    expect(signature).toMatch(/\ba=rsa-sha256;/);
  });

  it("root's local mail (cron, ban notices) is signed too: non_smtpd_milters", async () => {
    const sendmail = await runCommand("sh", ["-c", `printf '%s' "$0" | /usr/sbin/sendmail -C "$1" -f "$2" -- "$3"`, message(`root@${domain}`, bob, "local report"), staged.postfix.configDir, `root@${domain}`, bob]);
    expect(sendmail.code, sendmail.output).toBe(0);
    const verdict = await verifyDkim(await delivered(bob, "local report"));
    expect(verdict.results[0]).toMatchObject({ signingDomain: domain, status: { result: "pass" } });
  });

  it("mail from another server is delivered unsigned, even with the tenant's From: no signing for outsiders", async () => {
    const { session } = await SmtpSession.open(staged.ports.smtp, { localAddress: "127.0.0.4" });
    try {
      await session.ehlo("mx.example.net");
      expect((await session.command(`MAIL FROM:<${alice}>`)).code).toBe(250);
      expect((await session.command(`RCPT TO:<${bob}>`)).code).toBe(250);
      expect((await session.data(message(alice, bob, "inbound spoof"))).final?.code).toBe(250);
    } finally {
      session.close();
    }
    expect(dkimSignatureHeader(await delivered(bob, "inbound spoof"))).toBe("");
  });

  it("a logged-in mailbox cannot send as another mailbox", async () => {
    const { session, auth } = await submissionSession(alice);
    try {
      expect(auth).toBe(235);
      await session.command(`MAIL FROM:<${bob}>`);
      const rcpt = await session.command(`RCPT TO:<${alice}>`);
      expect(rcpt.code).toBe(553);
      expect(rcpt.lines.join(" ")).toMatch(/not owned by user/);
    } finally {
      session.close();
    }
  });

  it("defers an account's message over its hourly limit, and only that account's", async () => {
    for (let i = 1; i <= hourlyLimit; i++) {
      expect(await submit(bob, bob, alice, `within limit ${i}`), `message ${i}`).toEqual({ rcpt: 250, data: 354, final: 250 });
    }
    const over = await submit(bob, bob, alice, "over the limit");
    expect(over).toEqual({ rcpt: 250, data: 450 });
    // alice has sent one message so far: still within her own budget.
    expect(await submit(alice, alice, bob, "other account")).toEqual({ rcpt: 250, data: 354, final: 250 });
  });

  it("IMAPS accepts the mailbox's password and refuses a wrong one", async () => {
    expect(await imapLogin(alice, password)).toMatch(/^a1 OK/);
    expect(await imapLogin(alice, "wrong")).toMatch(/^a1 NO/);
  });

  it(`refuses the connection after ${smtpLimits.connectionsPerMinutePerClient} per minute from one client (anvil)`, async () => {
    let accepted = 0;
    let refused = "";
    for (let i = 0; i < smtpLimits.connectionsPerMinutePerClient + 5 && !refused; i++) {
      const { session, greeting } = await SmtpSession.open(staged.ports.smtp, { localAddress: "127.0.0.2" });
      if (greeting.code === 220) {
        accepted++;
        await session.command("QUIT");
      } else refused = greeting.lines.join(" ");
      session.close();
    }
    console.log(`anvil: ${accepted} connections accepted from 127.0.0.2, then: ${refused}`);
    expect(accepted).toBe(smtpLimits.connectionsPerMinutePerClient);
    expect(refused).toMatch(/^421 4\.7\.0 .*too many connections/);
  }, 60_000);

  it(`refuses AUTH after ${smtpLimits.authAttemptsPerMinutePerClient} per minute from one client (anvil)`, async () => {
    const codes: number[] = [];
    for (let i = 0; i <= smtpLimits.authAttemptsPerMinutePerClient; i++) {
      const { session, auth } = await submissionSession(alice, "127.0.0.3");
      codes.push(auth);
      session.close();
    }
    console.log(`anvil: AUTH replies from 127.0.0.3: ${codes.join(" ")}`);
    expect(codes.slice(0, smtpLimits.authAttemptsPerMinutePerClient).every((c) => c === 235)).toBe(true);
    expect(codes[smtpLimits.authAttemptsPerMinutePerClient]).toBe(450);
  }, 60_000);

  it("logs to the files fail2ban reads, with no warning or error beyond the failures provoked above", async () => {
    // postlogd and Dovecot's log process write asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const mail = logLines(staged.postfix.log);
    const dovecot = logLines(staged.dovecot.log);
    // The lines fail2ban's postfix and dovecot filters match: a failed SMTP AUTH, a failed IMAP login.
    expect(mail.some((l) => /postfix\/submission\/smtpd\[\d+\]: warning: localhost\[127\.0\.0\.1\]: SASL PLAIN authentication failed/.test(l))).toBe(true);
    expect(dovecot.some((l) => /imap-login: Info: Disconnected: .*auth failed.*rip=127\.0\.0\.1/.test(l))).toBe(true);
    const expected = [
      /postfix\/submission\/smtpd\[\d+\]: warning: localhost\[127\.0\.0\.1\]: SASL PLAIN authentication failed: /,
      // The server's own reasons for refusing the TLS 1.1 and CBC probes.
      /postfix\/(submissions\/|submission\/)?smtpd\[\d+\]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:/,
      /postfix\/(submissions\/|submission\/)?smtpd\[\d+\]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:/,
      /postfix\/smtpd\[\d+\]: warning: Connection rate limit exceeded: \d+ from unknown\[127\.0\.0\.2\] for service /,
      /postfix\/submission\/smtpd\[\d+\]: warning: AUTH command rate limit exceeded: \d+ from unknown\[127\.0\.0\.3\] for service /,
    ];
    const unexpected = mail.filter((l) => /(warning|error|fatal|panic):/i.test(l) && !expected.some((e) => e.test(l)));
    expect(unexpected).toEqual([]);
    for (const pattern of expected.slice(1)) expect(mail.some((l) => pattern.test(l)), String(pattern)).toBe(true);
    expect(dovecot.filter((l) => /(Warning|Error|Fatal|Panic):/.test(l))).toEqual([]);
    console.log(`mail stack test ran ${Date.now() - startMs} ms; mail.log ${mail.length} lines, dovecot.log ${dovecot.length} lines`);
  });
});
