/**
 * The remote MTA: a second Postfix (Debian's, this machine's binaries) in the lab's client
 * namespace with a configuration directory of its own. It is the MX of the remote domain, keeps
 * every message for that domain in one Maildir the checks read, relays what the lab's sender
 * hands it to the tenant's MX (found through the lab resolver), and retries quickly so a check
 * can wait for a deferred message.
 */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AddressPair } from "../../net/addressPlan";
import { runChecked, run } from "../../net/run";

export interface RemoteMta {
  readonly domain: string;
  readonly hostname: string;
  readonly address: AddressPair;
  /** The Maildir every message for the remote domain lands in. */
  readonly maildir: string;
  readonly logFile: string;
  /** The messages delivered so far: file name -> content. */
  messages(): Map<string, string>;
  /** The log since the given byte offset. */
  logSince(offset: number): string;
  logSize(): number;
  /** Asks for an immediate retry of everything deferred. */
  flush(): Promise<void>;
  /** How many messages wait in the queue. */
  queueSize(): Promise<number>;
  stop(): Promise<void>;
}

export interface RemoteMtaOptions {
  readonly namespace: string;
  readonly domain: string;
  readonly address: AddressPair;
  /** Clients that may relay through it: the lab's sender. */
  readonly relayClients: readonly AddressPair[];
  /** CA certificates it trusts for outbound TLS (the lab's issuing root): "Trusted" in its log. */
  readonly trustedCaPem: string;
  /** Where its directory goes (world-traversable: Postfix's and the Maildir's users must reach it). */
  readonly parentDir: string;
}

const MASTER_CF = `# The remote MTA of the mail lab: nothing chrooted (no populated jail under the test spool).
smtp       inet       n  -  n  -     -  smtpd
pickup     unix       n  -  n  60    1  pickup
cleanup    unix       n  -  n  -     0  cleanup
qmgr       unix       n  -  n  300   1  qmgr
tlsmgr     unix       -  -  n  1000? 1  tlsmgr
rewrite    unix       -  -  n  -     -  trivial-rewrite
bounce     unix       -  -  n  -     0  bounce
defer      unix       -  -  n  -     0  bounce
trace      unix       -  -  n  -     0  bounce
verify     unix       -  -  n  -     1  verify
flush      unix       n  -  n  1000? 0  flush
proxymap   unix       -  -  n  -     -  proxymap
proxywrite unix       -  -  n  -     1  proxymap
smtp       unix       -  -  n  -     -  smtp
relay      unix       -  -  n  -     -  smtp
showq      unix       n  -  n  -     -  showq
error      unix       -  -  n  -     -  error
retry      unix       -  -  n  -     -  error
discard    unix       -  -  n  -     -  discard
local      unix       -  n  n  -     -  local
virtual    unix       -  n  n  -     -  virtual
lmtp       unix       -  -  n  -     -  lmtp
anvil      unix       -  -  n  -     1  anvil
scache     unix       -  -  n  -     1  scache
postlog    unix-dgram n  -  n  -     1  postlogd
`;

export async function startRemoteMta(options: RemoteMtaOptions): Promise<RemoteMta> {
  const dir = fs.mkdtempSync(path.join(options.parentDir, "remote-mta-"));
  const configDir = path.join(dir, "etc");
  const maildirBase = path.join(dir, "mail");
  const logDir = path.join(dir, "log");
  const logFile = path.join(logDir, "mail.log");
  const tlsDir = path.join(dir, "tls");
  const dataDir = path.join(dir, "data");
  for (const d of [configDir, logDir, tlsDir, path.join(dir, "spool"), dataDir]) fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const hostname = `mx.${options.domain}`;
  const postfix = ["-c", configDir];
  const stop = async () => {
    await run("ip", ["netns", "exec", options.namespace, "postfix", ...postfix, "stop"], { timeoutMs: 20_000 });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Delivery runs as nobody: the Maildir belongs to it.
    const nobody = { uid: Number(execFileSync("id", ["-u", "nobody"]).toString()), gid: Number(execFileSync("id", ["-g", "nobody"]).toString()) };
    const postfixUser = { uid: Number(execFileSync("id", ["-u", "postfix"]).toString()), gid: Number(execFileSync("id", ["-g", "postfix"]).toString()) };
    fs.chownSync(dataDir, postfixUser.uid, postfixUser.gid);
    fs.mkdirSync(maildirBase, { mode: 0o700 });
    fs.chownSync(maildirBase, nobody.uid, nobody.gid);
    await runChecked("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
      "-keyout", path.join(tlsDir, "key.pem"), "-out", path.join(tlsDir, "cert.pem"), "-subj", `/CN=${hostname}`, "-addext", `subjectAltName=DNS:${hostname}`]);
    fs.writeFileSync(path.join(tlsDir, "trusted.pem"), options.trustedCaPem);
    fs.writeFileSync(path.join(configDir, "master.cf"), MASTER_CF);
    fs.writeFileSync(path.join(configDir, "main.cf"), mainCf({ ...options, dir, configDir, maildirBase, logDir, logFile, tlsDir, hostname, nobody }));
    // Postfix commands print their complaints only on a terminal: `script` gives them one.
    const started = await run("ip", ["netns", "exec", options.namespace, "script", "-qec", `postfix -c ${configDir} start`, "/dev/null"], { timeoutMs: 30_000 });
    if (started.code !== 0) throw new Error(`postfix -c ${configDir} start failed: ${started.stdout}${started.stderr}`);
    await waitForListener(options.namespace, options.address.v4, logFile);
  } catch (error) {
    await stop();
    throw new Error(`starting the remote MTA failed: ${(error as Error).message}`);
  }
  const maildir = path.join(maildirBase, "inbox");
  return {
    domain: options.domain,
    hostname,
    address: options.address,
    maildir,
    logFile,
    messages: () => readMaildir(maildir),
    logSince: (offset) => readFrom(logFile, offset),
    logSize: () => (fs.existsSync(logFile) ? fs.statSync(logFile).size : 0),
    flush: async () => {
      await run("ip", ["netns", "exec", options.namespace, "postqueue", ...postfix, "-f"], { timeoutMs: 10_000 });
    },
    queueSize: async () => {
      const listed = await run("ip", ["netns", "exec", options.namespace, "postqueue", ...postfix, "-j"], { timeoutMs: 10_000 });
      return listed.stdout.split("\n").filter((line) => line.trim().startsWith("{")).length;
    },
    stop,
  };
}

interface MainCfArgs extends RemoteMtaOptions {
  dir: string;
  configDir: string;
  maildirBase: string;
  logDir: string;
  logFile: string;
  tlsDir: string;
  hostname: string;
  nobody: { uid: number; gid: number };
}

function mainCf(a: MainCfArgs): string {
  const relayClients = a.relayClients.flatMap((c) => [`${c.v4}/32`, `[${c.v6}]/128`]).join(" ");
  return `# The mail lab's remote MTA (${a.hostname}).
compatibility_level = 3.6
queue_directory = ${a.dir}/spool
data_directory = ${a.dir}/data
myhostname = ${a.hostname}
mydomain = ${a.domain}
myorigin = $mydomain
mydestination =
inet_interfaces = ${a.address.v4}, ${a.address.v6}
inet_protocols = all
smtp_bind_address = ${a.address.v4}
smtp_bind_address6 = ${a.address.v6}
mynetworks = 127.0.0.0/8 ${relayClients}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP
maillog_file = ${a.logFile}
maillog_file_prefixes = ${a.logDir}
# Every recipient of the remote domain lands in one Maildir.
virtual_mailbox_domains = ${a.domain}
virtual_mailbox_base = ${a.maildirBase}
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:${a.nobody.uid}
virtual_gid_maps = static:${a.nobody.gid}
virtual_minimum_uid = ${Math.min(a.nobody.uid, 100)}
smtpd_tls_chain_files = ${a.tlsDir}/key.pem, ${a.tlsDir}/cert.pem
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# A DANE-validating sender, as Postfix, Exim and the large providers are: where the resolver
# authenticates TLSA records, only a key they name is accepted ("Verified" in the log), else the
# message waits; without TLSA, opportunistic TLS ("Trusted" when the chain reaches the lab's root).
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_CAfile = ${a.tlsDir}/trusted.pem
smtp_tls_loglevel = 1
# Deferred mail is retried within seconds: a check waits for it instead of five minutes.
minimal_backoff_time = 2s
maximal_backoff_time = 4s
queue_run_delay = 2s
smtp_connect_timeout = 10s
`;
}

async function waitForListener(namespace: string, address: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const listening = await run("ip", ["netns", "exec", namespace, "ss", "-Hltn", `src ${address}:25`]);
    if (listening.stdout.trim() !== "") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${address}:25; its log:\n${readFrom(logFile, 0).split("\n").slice(-15).join("\n")}`);
}

function readMaildir(maildir: string): Map<string, string> {
  const messages = new Map<string, string>();
  for (const sub of ["new", "cur"]) {
    const dir = path.join(maildir, sub);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) messages.set(name, fs.readFileSync(path.join(dir, name), "utf8"));
  }
  return messages;
}

function readFrom(file: string, offset: number): string {
  if (!fs.existsSync(file)) return "";
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}
