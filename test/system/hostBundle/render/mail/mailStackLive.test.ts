/**
 * The rendered configuration running for real: Postfix, Dovecot, rspamd and postfwd from Debian
 * 12's packages, started from the rendered files (test copies differ only in paths, ports,
 * chroot = n and the run directories; rspamd runs unchanged in namespaces of its own, with a Knot
 * DNS server as its resolver). Clients connect on loopback and from an outside network namespace.
 * Probed as a client would, then the logs are read.
 */
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer as createTlsServer, connect as tlsConnect, type ConnectionOptions, type Server } from "node:tls";
import type { DNSResolver } from "mailauth";
import { dkimSign } from "mailauth/lib/dkim/sign";
import { dkimVerify } from "mailauth/lib/dkim/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smtpLimits } from "../../../../../baseline/abuse";
import { buildDkimRecord, dkimRecordName } from "../../../../../baseline/dns/dkim";
import { buildDmarcRecord, dmarcRecordName } from "../../../../../baseline/dns/dmarc";
import { buildSpfRecord } from "../../../../../baseline/dns/spf";
import { tls12CipherSuites } from "../../../../../baseline/tls";
import { renderMailDaemonFiles } from "../../../../../hostBundle/render/mail/index";
import { rspamdPolicyReplies } from "../../../../../hostBundle/render/mail/rspamd/rspamdPolicyLua";
import type { HostRenderContext } from "../../../../../hostBundle/renderContext";
import { createMemoryResolver, type Zone } from "../../../../support/baseline/dns/memoryResolver";
import { RspamdMemorySampler, startMailStack, startRspamd, stagePorts, stopMailStack, stopRspamd, waitFor } from "./liveMailStack";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";
import { createOutsideNetwork, type OutsideNetwork } from "./outsideNetwork";
import { runCommand } from "./processRunner";
import { mainPid, processTree, rspamdMemory } from "./rspamdNamespace";
import { makeScratchDir, removeScratchDir } from "./scratchDir";
import { SmtpSession, type SmtpReply } from "./smtpClient";
import { stageMailConfig, type StagedMailConfig } from "./stagedMailConfig";

const domain = "tenant-one.example";
const mailHost = `mail.${domain}`;
const alice = `alice@${domain}`;
const bob = `bob@${domain}`;
/**
 * Each submission counts against its login's hourly limit, so the rspamd tests below submit as
 * logins of their own and leave alice's and bob's budgets to the rate-limit test.
 */
const carol = `carol@${domain}`;
const dave = `dave@${domain}`;
const erin = `erin@${domain}`;
const frank = `frank@${domain}`;
const grace = `grace@${domain}`;
const henry = `henry@${domain}`;
/** A mailbox with a 1 MB quota, for the quota test. */
const ivan = `ivan@${domain}`;
/** An alias that ends in dave's mailbox: dave may send as it. */
const info = `info@${domain}`;
const password = "test";
/** Small, so the test reaches it; the rendering path is the same as for the default 500. */
const hourlyLimit = 2;

/**
 * The outside network (TEST-NET-2, RFC 5737): the server's address, a mail client, a sending
 * server that its domain's SPF names, and one that no SPF names.
 */
/** `unnamed` has no reverse DNS name; `dns` answers Postfix's lookups. */
const outside = { server: "198.51.100.10", client: "198.51.100.20", permitted: "198.51.100.21", stranger: "198.51.100.22", unnamed: "198.51.100.23", dns: "198.51.100.53" } as const;
const clientName = (address: string): string => `client${address.split(".")[3]}.ext.example`;
/** Sending domains on "the internet": one that signs and publishes p=reject, one with p=reject that signs nothing. */
const passDomain = "pass.example";
const rejectDomain = "reject.example";
const passSelector = "sel";
const passKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });

let root = "";
let staged: StagedMailConfig;
let network: OutsideNetwork | undefined;
let zone: Zone = {};
let caCert = "";
let startMs = 0;
let sampler: RspamdMemorySampler | undefined;
/** rspamd's memory, in KiB, as the test measured it: the cold start's peak, and after mail. */
const memory: Record<string, { rssKiB: number; pssKiB: number }> = {};
let coldStartMs = 0;

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

/** Verified against the same zone rspamd's DNS server answers from. */
async function verifyDkim(text: string): Promise<Awaited<ReturnType<typeof dkimVerify>>> {
  return dkimVerify(text, { resolver: createMemoryResolver(zone) as DNSResolver });
}

/**
 * The DNS the test's rspamd sees: the tenant's records as MailDns publishes them (SPF with the
 * server's outside address, the HELO SPF, a DKIM key per published selector, DMARC from the
 * config), two sending domains, and names for the outside clients.
 */
function testZone(ctx: HostRenderContext): Zone {
  const { config } = ctx;
  const spf = buildSpfRecord({ ip4: [outside.server], ip6: [], include: [...config.spf.include], all: config.spf.all });
  const tenant: Zone = {
    [domain]: { TXT: [spf], MX: [{ exchange: mailHost, priority: 10 }] },
    [mailHost]: { A: [outside.server], TXT: [buildSpfRecord({ ip4: [outside.server], ip6: [], include: [], all: "fail" })] },
    [dmarcRecordName(domain)]: {
      TXT: [buildDmarcRecord({
        phase: config.dmarc.phase,
        rua: [...config.dmarc.rua],
        ruf: config.dmarc.ruf.length > 0 ? [...config.dmarc.ruf] : undefined,
        quarantineRollout: config.dmarc.phase === "quarantine" ? config.dmarc.quarantineRollout : undefined,
        adkim: config.dmarc.adkim,
        aspf: config.dmarc.aspf,
      })],
    },
    ...Object.fromEntries(Object.entries(staged.rspamd.publicKeyPems).map(([selector, publicKeyPem]) => [dkimRecordName(selector, domain), { TXT: [buildDkimRecord({ publicKeyPem })] }])),
  };
  const senders: Zone = {
    [passDomain]: { TXT: [`v=spf1 ip4:${outside.permitted} -all`] },
    [dkimRecordName(passSelector, passDomain)]: { TXT: [buildDkimRecord({ publicKeyPem: passKeys.publicKey.export({ type: "spki", format: "pem" }).toString() })] },
    [dmarcRecordName(passDomain)]: { TXT: ["v=DMARC1; p=reject"] },
    [rejectDomain]: { TXT: [`v=spf1 ip4:${outside.permitted} -all`] },
    [dmarcRecordName(rejectDomain)]: { TXT: ["v=DMARC1; p=reject"] },
    ...Object.fromEntries([outside.client, outside.permitted, outside.stranger].map((a) => [clientName(a), { A: [a] }])),
    // Reverse DNS for every outside client but `unnamed`, as the internet's mail servers have it.
    ...Object.fromEntries([outside.client, outside.permitted, outside.stranger].map((a) => [`${a.split(".").reverse().join(".")}.in-addr.arpa`, { PTR: [clientName(a)] }])),
  };
  return { ...tenant, ...senders };
}

/** A message with the given header lines (From:, To:, ... as the test needs them). */
function rawMessage(headers: readonly string[], subject: string): string {
  return [
    ...headers,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${subject.replace(/\W+/g, "-")}-${Date.now()}@test.example>`,
    "",
    "Sent by the mail stack test.",
    "",
  ].join("\r\n");
}

/** Signed as pass.example's own outgoing server would sign it. */
async function signedByPassDomain(text: string): Promise<string> {
  const signature = { signingDomain: passDomain, selector: passSelector, privateKey: passKeys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), algorithm: "rsa-sha256" as const };
  const result = await dkimSign(text, { ...signature, canonicalization: "relaxed/relaxed", signatureData: [signature] });
  if (result.errors.length > 0) throw new Error(`DKIM signing failed: ${result.errors.map(String).join("; ")}`);
  return result.signatures + text;
}

interface Transaction {
  readonly mail: SmtpReply;
  readonly rcpt?: SmtpReply;
  readonly data?: SmtpReply;
  readonly final?: SmtpReply;
}

/** One transaction on an open session; stops at the first refusal. */
async function transaction(session: SmtpSession, from: string, to: string, text: string): Promise<Transaction> {
  const mail = await session.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) return { mail };
  const rcpt = await session.command(`RCPT TO:<${to}>`);
  if (rcpt.code !== 250) return { mail, rcpt };
  const sent = await session.data(text);
  return { mail, rcpt, data: sent.data, final: sent.final };
}

/** Port 25 from another server on the outside network, as `helo`. */
async function inbound(clientAddress: string, from: string, to: string, text: string, helo = clientName(clientAddress)): Promise<Transaction> {
  const { session } = await SmtpSession.open(staged.ports.smtp, { connect: () => network!.connect(staged.ports.smtp, clientAddress) });
  try {
    await session.ehlo(helo);
    return await transaction(session, from, to, text);
  } finally {
    session.close();
  }
}

/**
 * A submission as `user` on 587 (STARTTLS) or 465 (implicit TLS), from loopback or, with
 * `clientAddress`, from the outside network (HELO clientNN.ext.example).
 */
async function submitAs(port: "submission" | "submissions", user: string, from: string, to: string, text: string, clientAddress?: string): Promise<Transaction & { auth: number }> {
  const number = staged.ports[port];
  const connect = clientAddress ? () => network!.connect(number, clientAddress) : undefined;
  const { session } = await SmtpSession.open(number, { ...(connect ? { connect } : {}), ...(port === "submissions" ? { tls: trusting() } : {}) });
  try {
    const helo = clientAddress ? clientName(clientAddress) : "probe.example.net";
    await session.ehlo(helo);
    if (port === "submission") {
      if (!(await session.startTls(trusting())).socket) throw new Error("STARTTLS failed");
      await session.ehlo(helo);
    }
    const auth = (await session.command(authPlain(user, password))).code;
    if (auth !== 235) return { auth, mail: { code: 0, lines: [] } };
    return { auth, ...(await transaction(session, from, to, text)) };
  } finally {
    session.close();
  }
}

/** Every instance of header `name` in the message's header section, unfolded. */
function headers(text: string, name: string): string[] {
  const head = text.split(/\r?\n\r?\n/)[0] ?? "";
  return head.split(/\r?\n(?=\S)/).filter((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((h) => h.replace(/\r?\n\s+/g, " "));
}

/** rspamd's processes now, with their RSS and PSS. */
function rspamdProcesses(): ReturnType<typeof rspamdMemory> {
  const pid = mainPid(staged);
  return pid ? rspamdMemory(processTree(pid)) : [];
}

function total(processes: ReturnType<typeof rspamdMemory>): { rssKiB: number; pssKiB: number } {
  return { rssKiB: processes.reduce((s, p) => s + p.rssKiB, 0), pssKiB: processes.reduce((s, p) => s + p.pssKiB, 0) };
}

const mib = (kib: number): string => `${Math.round(kib / 1024)} MiB`;
const describeProcesses = (processes: ReturnType<typeof rspamdMemory>): string =>
  processes.map((p) => `${p.name} ${mib(p.rssKiB)} RSS/${mib(p.pssKiB)} PSS`).join(", ");

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
    mailboxes: [...[alice, bob, carol, dave, erin, frank, grace, henry].map((address) => mailbox(address, hash)), mailbox(ivan, hash, 1)],
    aliases: { [info]: dave },
    limits: { recipientsPerHourPerAccount: hourlyLimit },
  });
  root = makeScratchDir("pm-mail-live");
  network = await createOutsideNetwork(root, outside.server, [outside.client, outside.permitted, outside.stranger, outside.unnamed, outside.dns]);
  staged = await stageMailConfig(renderMailDaemonFiles(ctx), ctx, root, await stagePorts(), { outsideAddress: outside.server });
  caCert = readFileSync(staged.tls.cert, "utf8");
  zone = testZone(ctx);
  sampler = new RspamdMemorySampler(staged);
  coldStartMs = await startMailStack(staged, zone, (pid) => sampler!.launched(pid), { netns: network.namespace, address: outside.dns });
  console.log(`mail stack staged and started in ${Date.now() - startMs} ms; rspamd's socket after ${coldStartMs} ms (cold: empty /var/lib/rspamd)`);
}, 180_000);

afterAll(async () => {
  sampler?.stop();
  // Each step even when one before it fails: nothing this test started may outlive it.
  const steps = await Promise.allSettled([staged ? stopMailStack(staged) : undefined]);
  const more = await Promise.allSettled([network?.close()]);
  if (root) removeScratchDir(root);
  for (const step of [...steps, ...more]) if (step.status === "rejected") throw step.reason;
}, 90_000);

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
    expect(verdict.results[0]).toMatchObject({ signingDomain: domain, selector: staged.rspamd.selector, status: { result: "pass" } });
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

  it("an unauthenticated client on loopback port 25 never gets a signature: the tenant's From is refused, another is delivered unsigned", async () => {
    const { session } = await SmtpSession.open(staged.ports.smtp, { localAddress: "127.0.0.4" });
    try {
      await session.ehlo("mx.example.net");
      const spoof = await transaction(session, alice, bob, message(alice, bob, "loopback spoof"));
      expect(spoof.final?.code).toBe(554);
      expect(spoof.final?.lines.join(" ")).toContain(rspamdPolicyReplies.spoofed.replace("%s", domain));
      expect((await session.command("RSET")).code).toBe(250);
      const other = await transaction(session, "app@example.net", bob, message("app@example.net", bob, "loopback other domain"));
      expect(other.final?.code).toBe(250);
    } finally {
      session.close();
    }
    expect(dkimSignatureHeader(await delivered(bob, "loopback other domain"))).toBe("");
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

  it("delivers the message that crosses a mailbox's quota, then refuses the next at RCPT (552 5.2.2, Dovecot's quota-status)", async () => {
    // 700 kB each against a 1 MB quota; MAIL FROM carries SIZE= as every MTA sends it to a server that offers SIZE.
    const body = `${"quota filler ".repeat(5).trim()}\r\n`.repeat(11_000);
    const send = async (session: SmtpSession, subject: string): Promise<Transaction> => {
      const text = message("app@example.net", ivan, subject) + body;
      const mail = await session.command(`MAIL FROM:<app@example.net> SIZE=${Buffer.byteLength(text)}`);
      const rcpt = await session.command(`RCPT TO:<${ivan}>`);
      if (rcpt.code !== 250) return { mail, rcpt };
      const sent = await session.data(text);
      return { mail, rcpt, data: sent.data, final: sent.final };
    };
    const { session } = await SmtpSession.open(staged.ports.smtp, { localAddress: "127.0.0.4" });
    try {
      await session.ehlo("mx.example.net");
      expect((await send(session, "quota first")).final?.code).toBe(250);
      await delivered(ivan, "quota first");
      const second = await send(session, "quota second");
      expect(second.rcpt?.code).toBe(552);
      expect(second.rcpt?.lines.join(" ")).toMatch(/^552 5\.2\.2 .*Mailbox is full/);
      expect((await session.command("RSET")).code).toBe(250);
      const other = await transaction(session, "app@example.net", henry, message("app@example.net", henry, "quota other mailbox"));
      expect(other.final?.code, "another mailbox still receives").toBe(250);
    } finally {
      session.close();
    }
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

  it("mail from another server gets Authentication-Results with its SPF, DKIM and DMARC verdicts, and a forged one is removed", async () => {
    const text = await signedByPassDomain(rawMessage([
      `From: Pat <pat@${passDomain}>`,
      `To: <${alice}>`,
      // Forged with this host's authserv-id: must not reach the mailbox.
      `Authentication-Results: ${mailHost}; dkim=pass header.d=${domain}; spf=pass; dmarc=pass header.from=${domain}`,
    ], "inbound authenticated"));
    const sent = await inbound(outside.permitted, `pat@${passDomain}`, alice, text);
    expect(sent.final?.code, sent.final?.lines.join(" ")).toBe(250);
    const results = headers(await delivered(alice, "inbound authenticated"), "Authentication-Results");
    expect(results).toHaveLength(1);
    const [verdict] = results as [string];
    expect(verdict.startsWith(`Authentication-Results: ${mailHost};`)).toBe(true);
    expect(verdict).toMatch(new RegExp(`dkim=pass header\\.d=${passDomain.replace(".", "\\.")} header\\.s=${passSelector}`));
    expect(verdict).toMatch(new RegExp(`spf=pass .*smtp\\.mailfrom=pat@${passDomain.replace(".", "\\.")}`));
    expect(verdict).toMatch(new RegExp(`dmarc=pass \\(policy=reject\\) header\\.from=${passDomain.replace(".", "\\.")}`));
  });

  it("refuses a client without a reverse DNS name (550), and one that greets as this host or the tenant domain", async () => {
    const unnamed = await inbound(outside.unnamed, "app@example.net", alice, message("app@example.net", alice, "no rdns"));
    expect(unnamed.rcpt?.code).toBe(550);
    expect(unnamed.rcpt?.lines.join(" ")).toMatch(/^550 5\.7\.1 Client host rejected: cannot find your reverse hostname, \[198\.51\.100\.23\]/);
    for (const forged of [mailHost, domain.toUpperCase()]) {
      const sent = await inbound(outside.client, "app@example.net", alice, message("app@example.net", alice, "forged helo"), forged);
      expect(sent.rcpt?.code, forged).toBe(550);
      expect(sent.rcpt?.lines.join(" ")).toMatch(/Helo command rejected: You are not/);
    }
    const named = await inbound(outside.client, "app@example.net", alice, message("app@example.net", alice, "named client"));
    expect(named.final?.code, "a client with a name that greets as itself is let in").toBe(250);
  });

  it("refuses a message from another server that claims the tenant domain without authenticating, with a 5.7.1 that says so", async () => {
    const sent = await inbound(outside.stranger, alice, bob, rawMessage([`From: Alice <${alice}>`, `To: <${bob}>`], "outside spoof"));
    expect(sent.rcpt?.code).toBe(250);
    expect(sent.final?.code).toBe(554);
    expect(sent.final?.lines.join(" ")).toBe(`554 5.7.1 ${rspamdPolicyReplies.spoofed.replace("%s", domain)}`);
  });

  it("refuses a message that fails its sender domain's DMARC p=reject, naming the domain and the reason", async () => {
    const sent = await inbound(outside.stranger, `rex@${rejectDomain}`, alice, rawMessage([`From: <rex@${rejectDomain}>`, `To: <${alice}>`], "dmarc reject"));
    expect(sent.final?.code).toBe(554);
    expect(sent.final?.lines.join(" ")).toMatch(new RegExp(`^554 5\\.7\\.1 Rejected by the DMARC policy of ${rejectDomain.replace(".", "\\.")} \\(p=reject\\): `));
  });

  for (const port of ["submission", "submissions"] as const) {
    it(`${port}: refuses a header From the login does not own (another mailbox, a foreign address)`, async () => {
      const user = port === "submission" ? erin : frank;
      for (const from of [bob, "someone@example.net"]) {
        const sent = await submitAs(port, user, user, bob, rawMessage([`From: <${from}>`, `To: <${bob}>`], `${port} not owned ${from}`));
        expect(sent.final?.code, from).toBe(554);
        expect(sent.final?.lines.join(" "), from).toBe(`554 5.7.1 ${rspamdPolicyReplies.notOwned.replace("%s", from).replace("%s", user)}`);
      }
    });

    it(`${port}: refuses the null sender`, async () => {
      const sent = await submitAs(port, grace, "", bob, rawMessage([`From: <${grace}>`], `${port} null sender`));
      expect(sent.auth).toBe(235);
      expect(sent.rcpt?.code).toBe(554);
      expect(sent.rcpt?.lines.join(" ")).toMatch(/null sender is for bounces/);
    });

    it(`${port}: the login's own address, from outside, is accepted, DKIM-signed, and arrives without the client's address or HELO name`, async () => {
      const subject = `${port} own address from outside`;
      const sent = await submitAs(port, carol, carol, bob, rawMessage([`From: Carol <${carol}>`, `To: <${bob}>`], subject), outside.client);
      expect(sent.final?.code, sent.final?.lines.join(" ")).toBe(250);
      const text = await delivered(bob, subject);
      expect((await verifyDkim(text)).results[0]).toMatchObject({ signingDomain: domain, selector: staged.rspamd.selector, status: { result: "pass" } });
      const received = headers(text, "Received");
      expect(received.some((r) => /^Received: by mail\.tenant-one\.example \(Postfix\) with ESMTPSA id \w+ for <bob@tenant-one\.example>; /.test(r)), received.join("\n")).toBe(true);
      for (const trace of [outside.client, clientName(outside.client)]) expect(text).not.toContain(trace);
      // Submitted mail carries no Authentication-Results (rspamd skips authenticated mail).
      expect(headers(text, "Authentication-Results")).toEqual([]);
    });
  }

  it("a login may use an alias that ends in its mailbox: accepted and DKIM-signed", async () => {
    const sent = await submitAs("submission", dave, dave, bob, rawMessage([`From: Info <${info}>`, `To: <${bob}>`], "alias from"));
    expect(sent.final?.code, sent.final?.lines.join(" ")).toBe(250);
    expect((await verifyDkim(await delivered(bob, "alias from"))).results[0]).toMatchObject({ signingDomain: domain, status: { result: "pass" } });
  });

  it("refuses a submission with no From header, and one with two", async () => {
    // From outside: for a client on one of the host's own addresses, cleanup would add the
    // missing From: (the envelope sender, which the login owns) before rspamd sees the message.
    const none = await submitAs("submission", henry, henry, bob, rawMessage([`To: <${bob}>`], "no from"), outside.client);
    expect(none.final?.lines.join(" ")).toBe(`554 5.7.1 ${rspamdPolicyReplies.noFrom}`);
    const two = await submitAs("submission", henry, henry, bob, rawMessage([`From: <${henry}>`, `From: <${bob}>`, `To: <${bob}>`], "two froms"), outside.client);
    expect(two.final?.lines.join(" ")).toBe(`554 5.7.1 ${rspamdPolicyReplies.severalFrom}`);
  });

  it("a bounce Postfix makes itself is DKIM-signed: internal_mail_filter_classes", async () => {
    const nobody = `nobody-here@${domain}`;
    const sendmail = await runCommand("sh", ["-c", `printf '%s' "$0" | /usr/sbin/sendmail -C "$1" -f "$2" -- "$3"`, message(alice, nobody, "will bounce"), staged.postfix.configDir, alice, nobody]);
    expect(sendmail.code, sendmail.output).toBe(0);
    const bounce = await delivered(alice, "Undelivered Mail Returned to Sender");
    expect(headers(bounce, "From")).toEqual([`From: Mail Delivery System <MAILER-DAEMON@${domain}>`]);
    expect((await verifyDkim(bounce)).results[0]).toMatchObject({ signingDomain: domain, selector: staged.rspamd.selector, status: { result: "pass" } });
  });

  it("rspamd runs three processes: main, one proxy that scans, hs_helper", () => {
    const processes = rspamdProcesses();
    expect(processes.map((p) => p.name).sort()).toEqual(["hs_helper process", "main process", "rspamd_proxy process"]);
    memory["cold start, peak"] = sampler!.reset();
    memory["after the cold start and the mail above"] = total(processes);
    console.log(`rspamd after its cold start and the mail above: ${describeProcesses(processes)}`);
  });

  it("a restart (the apply's activation) is back within seconds on the warm cache, and signs again", async () => {
    await stopRspamd(staged);
    sampler!.reset();
    const warmStartMs = await startRspamd(staged, zone, (pid) => sampler!.launched(pid));
    console.log(`rspamd restarted: socket after ${warmStartMs} ms (cold start: ${coldStartMs} ms)`);
    expect(warmStartMs).toBeLessThan(10_000);
    const sent = await submitAs("submissions", grace, grace, bob, rawMessage([`From: <${grace}>`, `To: <${bob}>`], "after restart"));
    expect(sent.final?.code, sent.final?.lines.join(" ")).toBe(250);
    expect((await verifyDkim(await delivered(bob, "after restart"))).results[0]).toMatchObject({ signingDomain: domain, status: { result: "pass" } });
    // hs_helper loads the cached hyperscan database in the background: let it settle.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const processes = rspamdProcesses();
    expect(processes.map((p) => p.name).sort()).toEqual(["hs_helper process", "main process", "rspamd_proxy process"]);
    memory["warm restart, peak"] = sampler!.reset();
    memory["after the warm restart and one message"] = total(processes);
    console.log(`rspamd after a warm restart and one message: ${describeProcesses(processes)}`);
    console.log(`rspamd memory (RSS/PSS of all its processes): ${Object.entries(memory).map(([when, m]) => `${when}: ${mib(m.rssKiB)}/${mib(m.pssKiB)}`).join("; ")}`);
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
    // rspamd logs at notice with every line's severity (logging.inc): none at warn or above.
    const rspamd = logLines(staged.rspamd.log);
    expect(rspamd.filter((l) => /\[(warn|error|crit)\]/.test(l))).toEqual([]);
    console.log(`mail stack test ran ${Date.now() - startMs} ms; mail.log ${mail.length} lines, dovecot.log ${dovecot.length} lines`);
  });
});

describe.sequential("with rspamd down", () => {
  beforeAll(() => stopRspamd(staged), 30_000);

  it("Postfix refuses mail for now (4xx) rather than accept it unchecked or send it unsigned: milter_default_action = tempfail", async () => {
    const { session } = await SmtpSession.open(staged.ports.smtp, { localAddress: "127.0.0.5" });
    try {
      await session.ehlo("mx.example.net");
      const inboundTry = await transaction(session, "app@example.net", bob, message("app@example.net", bob, "while rspamd is down"));
      expect(inboundTry.mail.code === 250 ? inboundTry.rcpt?.code ?? inboundTry.final?.code : inboundTry.mail.code).toBe(451);
    } finally {
      session.close();
    }
    // Submission: smtpd meets the unreachable milter at the connection and refuses the session
    // before STARTTLS, so no login ever gets to send.
    const { session: submission } = await SmtpSession.open(staged.ports.submission);
    try {
      const ehlo = await submission.command("EHLO probe.example.net");
      const starttls = ehlo.code === 250 ? await submission.command("STARTTLS") : ehlo;
      expect(String(starttls.code), starttls.lines.join(" ")).toMatch(/^4\d\d$/);
    } finally {
      submission.close();
    }
  });
});
