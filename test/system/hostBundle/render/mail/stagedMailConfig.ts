import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname } from "node:path";
import { serviceRuntimes } from "../../../../../hostBundle/apply/serviceTable";
import type { BundleFile } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { dovecotConfPath } from "../../../../../hostBundle/render/mail/dovecotConf";
import { dkimKeyFile } from "../../../../../hostBundle/render/mail/index";
import { postfixMainCfPath, submissionRestrictionParameters } from "../../../../../hostBundle/render/mail/postfixMainCf";
import { postfixMasterCfPath } from "../../../../../hostBundle/render/mail/postfixMasterCf";
import { postfwdDefaultsPath } from "../../../../../hostBundle/render/mail/postfwdDefaults";
import { postfwdRulesPath } from "../../../../../hostBundle/render/mail/postfwdRules";
import { unboundConfPath, unboundRootTrustAnchorFile } from "../../../../../hostBundle/render/mail/unboundConf";
import { postfixSpoolSockets, virtualMailUser } from "../../../../../hostBundle/render/mail/mailDaemonWiring";
import type { HostRenderContext } from "../../../../../hostBundle/renderContext";
import { runCommand, runOnTerminal } from "./processRunner";

/** Loopback ports the test copies listen on instead of the real ones. */
export interface StagePorts {
  readonly smtp: number;
  readonly submission: number;
  readonly submissions: number;
  readonly imaps: number;
  readonly policy: number;
}

/** Where the test copy of every rendered file, and what the daemons need around it, lives. */
export interface StagedMailConfig {
  readonly root: string;
  readonly ports: StagePorts;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly postfix: { readonly configDir: string; readonly queueDir: string; readonly dataDir: string; readonly log: string };
  readonly dovecot: { readonly conf: string; readonly log: string; readonly baseDir: string; readonly passwdFile: string };
  readonly vmailDir: string;
  readonly rspamd: StagedRspamd;
  readonly postfwd: { readonly rules: string; readonly pidFile: string; readonly cacheSocket: string; readonly args: readonly string[]; readonly user: string };
  readonly unboundConf: string;
}

/**
 * rspamd's test copy: a whole /etc/rspamd (Debian's packaged files plus every rendered rspamd file
 * and a key per published selector, at their host paths below etcDir) and the directories that
 * stand in for /var/lib/rspamd, /var/log/rspamd and the spool. rspamd runs in a mount namespace
 * where these sit at the real paths (rspamdNamespace.ts), so the rendered files run unchanged.
 */
export interface StagedRspamd {
  readonly etcDir: string;
  readonly dbDir: string;
  readonly logDir: string;
  readonly log: string;
  readonly runDir: string;
  readonly pidFile: string;
  /** The milter socket as rspamd creates it inside the test spool. */
  readonly milterSocket: string;
  /** The selector that signs, and every published selector's public key. */
  readonly selector: string;
  readonly publicKeyPems: Readonly<Record<string, string>>;
}

/** Where the test copies listen besides 127.0.0.1: the server's address on the outside network. */
export interface StageOptions {
  readonly outsideAddress?: string;
}

/** Replaces every occurrence of each `from`; a replacement that matches nothing is a broken test, so it throws. */
export function replaceEach(text: string, what: string, replacements: readonly (readonly [string, string])[]): string {
  return replacements.reduce((acc, [from, to]) => {
    if (!acc.includes(from)) throw new Error(`${what}: expected to find ${JSON.stringify(from)} to rewrite for the test copy`);
    return acc.split(from).join(to);
  }, text);
}

export function fileAt(files: readonly BundleFile[], path: string): BundleFile {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`the rendered files have no ${path}`);
  return file;
}

/**
 * master.cf for a test run: every daemon unchrooted (there is no populated chroot below a scratch
 * spool) and the three listeners moved to test ports, on 127.0.0.1 or, with `allInterfaces`, on
 * every address of inet_interfaces. Nothing else changes.
 */
export function testMasterCf(text: string, ports: StagePorts, allInterfaces = false): string {
  const listeners: Record<string, number> = { smtp: ports.smtp, submission: ports.submission, submissions: ports.submissions };
  let moved = 0;
  const lines = text.split("\n").map((line) => {
    const service = /^(\S+)(\s+)(inet|unix|unix-dgram)(\s+\S+\s+\S+\s+)([yn-])(\s.*)$/.exec(line);
    if (!service) return line;
    const [, name, gap, type, middle, , rest] = service as unknown as [string, string, string, string, string, string, string];
    const port = type === "inet" ? listeners[name] : undefined;
    if (type === "inet" && port === undefined) throw new Error(`master.cf has an unexpected listener ${name}`);
    if (port !== undefined) moved++;
    const listener = allInterfaces ? String(port) : `127.0.0.1:${port}`;
    return `${port !== undefined ? listener : name}${gap}${type}${middle}n${rest}`;
  });
  if (moved !== 3) throw new Error(`expected to move 3 listeners, moved ${moved}`);
  return lines.join("\n");
}

function own(path: string, user: string, group = user): void {
  chownSync(path, uidOf(user), gidOf(group));
}

const idCache = new Map<string, number>();
function lookupId(kind: "passwd" | "group", name: string): number {
  const key = `${kind}:${name}`;
  const cached = idCache.get(key);
  if (cached !== undefined) return cached;
  const line = execFileSync("getent", [kind, name], { encoding: "utf8" });
  const id = Number(line.split(":")[2]);
  idCache.set(key, id);
  return id;
}
function uidOf(user: string): number {
  return /^\d+$/.test(user) ? Number(user) : lookupId("passwd", user);
}
function gidOf(group: string): number {
  return /^\d+$/.test(group) ? Number(group) : lookupId("group", group);
}

/** KEY=value lines of a shell environment file, quotes removed. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1] as string] = (match[2] as string).replace(/^"(.*)"$/, "$1");
  }
  return env;
}

/**
 * Writes a runnable test copy of the rendered mail configuration below `root`: the rendered text
 * with only host paths, listening ports and run directories rewritten (each rewrite must match),
 * plus a self-signed ECDSA certificate and an RSA 2048 DKIM key made here.
 */
export async function stageMailConfig(files: readonly BundleFile[], ctx: HostRenderContext, root: string, ports: StagePorts, options: StageOptions = {}): Promise<StagedMailConfig> {
  if (userInfo().uid !== 0) throw new Error("the daemon tests run as root (they start Postfix, Dovecot and rspamd)");
  const dir = (name: string, mode = 0o755): string => {
    const path = `${root}/${name}`;
    mkdirSync(path, { recursive: true, mode });
    return path;
  };

  const tlsDir = dir("tls", 0o700);
  const tls = { cert: `${tlsDir}/fullchain.pem`, key: `${tlsDir}/privkey.pem` };
  const openssl = await runCommand("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-keyout", tls.key, "-out", tls.cert, "-subj", `/CN=${ctx.mailHostname}`, "-addext", `subjectAltName=DNS:${ctx.mailHostname}`,
  ]);
  if (openssl.code !== 0) throw new Error(`openssl could not make the test certificate: ${openssl.output}`);

  // Postfix: its own config directory, queue and data directories, log file.
  const postfixDir = dir("postfix");
  const queueDir = dir("spool");
  const dataDir = dir("data", 0o700);
  own(dataDir, "postfix");
  const postfixLog = `${root}/mail.log`;
  // The tables and the header checks main.cf names by host path, each copied beside main.cf.
  const tables = {
    mailboxes: { host: hostLayout.postfixMailboxMap, copy: `${postfixDir}/mailboxes` },
    aliases: { host: hostLayout.postfixAliasMap, copy: `${postfixDir}/aliases` },
    senders: { host: hostLayout.postfixSenderMap, copy: `${postfixDir}/senders` },
    headerChecks: { host: hostLayout.postfixSubmissionHeaderChecks, copy: `${postfixDir}/submission-header-checks` },
  };
  writeFileSync(`${postfixDir}/main.cf`, fileAt(files, postfixMainCfPath).content);
  writeFileSync(`${postfixDir}/master.cf`, testMasterCf(fileAt(files, postfixMasterCfPath).content, ports, options.outsideAddress !== undefined));
  for (const table of Object.values(tables)) writeFileSync(table.copy, fileAt(files, table.host).content);
  const overrides = [
    `queue_directory=${queueDir}`,
    `data_directory=${dataDir}`,
    `inet_interfaces=${["127.0.0.1", ...(options.outsideAddress ? [options.outsideAddress] : [])].join(", ")}`,
    "inet_protocols=ipv4",
    `maillog_file=${postfixLog}`,
    `maillog_file_prefixes=${root}`,
    `smtpd_tls_chain_files=${tls.key}, ${tls.cert}`,
    `virtual_mailbox_maps=texthash:${tables.mailboxes.copy}`,
    `virtual_alias_maps=texthash:${tables.aliases.copy}`,
    `smtpd_sender_login_maps=texthash:${tables.senders.copy}`,
    `${submissionRestrictionParameters.headerChecks}=regexp:${tables.headerChecks.copy}`,
    `penguinmails_submission_data_restrictions=check_policy_service inet:127.0.0.1:${ports.policy}`,
    // Loopback is exempt from anvil's limits (mynetworks); only 127.0.0.1 stays exempt here, so
    // a client on 127.0.0.2 meets the limits as an outside client would.
    "smtpd_client_event_limit_exceptions=127.0.0.1",
  ];
  const postconf = await runOnTerminal(["postconf", "-c", postfixDir, "-e", ...overrides]);
  if (postconf.code !== 0) throw new Error(`postconf -e failed: ${postconf.output}`);

  // Dovecot: same file, test paths and port, and run directories of its own.
  const dovecotDir = dir("dovecot");
  const passwdFile = `${dovecotDir}/users`;
  const vmailDir = dir("vmail", 0o700);
  own(vmailDir, String(virtualMailUser.uid), String(virtualMailUser.gid));
  const passwd = fileAt(files, hostLayout.dovecotPasswdFile);
  writeFileSync(passwdFile, passwd.content, { mode: passwd.mode });
  own(passwdFile, passwd.owner, passwd.group);
  const dovecot = { conf: `${dovecotDir}/dovecot.conf`, log: `${root}/dovecot.log`, baseDir: dir("dovecot-run"), passwdFile };
  const dovecotText = replaceEach(fileAt(files, dovecotConfPath).content, "dovecot.conf", [
    [`<${hostLayout.tls.fullchain}`, `<${tls.cert}`],
    [`<${hostLayout.tls.privateKey}`, `<${tls.key}`],
    [`log_path = ${hostLayout.dovecotLog}`, `log_path = ${dovecot.log}`],
    [`${hostLayout.postfixSpoolDir}/`, `${queueDir}/`],
    [` ${hostLayout.dovecotPasswdFile}`, ` ${passwdFile}`],
    [`home=${hostLayout.mailStorageDir}/`, `home=${vmailDir}/`],
    ["port = 993", `port = ${ports.imaps}`],
    ["listen = *, ::", "listen = 127.0.0.1"],
  ]);
  writeFileSync(dovecot.conf, `${dovecotText}\n# Test copy only: run directories of its own.\nbase_dir = ${dovecot.baseDir}\nstate_dir = ${dir("dovecot-state")}\ninstance_name = ${root.split("/").pop()}\n`);

  const rspamd = stageRspamd(files, ctx, root, queueDir);

  // postfwd: the rendered ruleset, started with the rendered environment file's options.
  const postfwdRules = `${root}/postfwd.cf`;
  writeFileSync(postfwdRules, fileAt(files, postfwdRulesPath).content);
  const env = parseEnvironmentFile(fileAt(files, postfwdDefaultsPath).content);
  const stateDir = dir("postfwd-state", 0o700);
  own(stateDir, env.RUNAS ?? "postfw");
  const postfwd = {
    rules: postfwdRules,
    pidFile: `${root}/postfwd.pid`,
    cacheSocket: `${stateDir}/cache.socket`,
    user: env.RUNAS ?? "",
    // What Debian's postfwd.service runs: $ARGS --daemon --file $CONF --interface $INET --port $PORT --user/--group $RUNAS.
    args: [
      ...replaceEach(env.ARGS ?? "", "postfwd ARGS", [[`${hostLayout.postfwdStateDir}/`, `${stateDir}/`]]).split(/\s+/),
      "--daemon", "--file", postfwdRules, "--interface", env.INET ?? "", "--port", String(ports.policy),
      "--user", env.RUNAS ?? "", "--group", env.RUNAS ?? "", "--pidfile", `${root}/postfwd.pid`,
    ],
  };

  // unbound: the rendered file with the trust anchor Debian would seed from dns-root-data.
  const anchor = `${root}/root.key`;
  copyFileSync("/usr/share/dns/root.key", anchor);
  const unboundConf = `${root}/unbound.conf`;
  writeFileSync(unboundConf, replaceEach(fileAt(files, unboundConfPath).content, "unbound.conf", [[unboundRootTrustAnchorFile, anchor]]));

  return {
    root,
    ports,
    tls,
    postfix: { configDir: postfixDir, queueDir, dataDir, log: postfixLog },
    dovecot,
    vmailDir,
    rspamd,
    postfwd,
    unboundConf,
  };
}

/** Debian's packaged files below /etc/rspamd, as the package installed them (the host's may carry local leftovers). */
function packagedRspamdFiles(): string[] {
  const listed = execFileSync("dpkg", ["-L", "rspamd"], { encoding: "utf8" }).split("\n");
  return listed.filter((path) => path.startsWith(`${hostLayout.rspamdConfigDir}/`) && statSync(path).isFile());
}

/**
 * rspamd's test copy of /etc/rspamd: Debian's files, then every rendered rspamd file, then a new
 * RSA 2048 key for each published selector, all with the bundle's modes and owners. The DKIM key
 * directory and the socket directory get the service table's modes and owners.
 */
function stageRspamd(files: readonly BundleFile[], ctx: HostRenderContext, root: string, queueDir: string): StagedRspamd {
  const etcDir = `${root}/rspamd-etc`;
  const below = (path: string): string => {
    if (!path.startsWith(`${hostLayout.rspamdConfigDir}/`)) throw new Error(`${path} is not below ${hostLayout.rspamdConfigDir}`);
    return `${etcDir}${path.slice(hostLayout.rspamdConfigDir.length)}`;
  };
  const place = (file: BundleFile, at: string): void => {
    mkdirSync(dirname(at), { recursive: true, mode: 0o755 });
    writeFileSync(at, file.content, { mode: file.mode });
    chmodSync(at, file.mode);
    own(at, file.owner, file.group);
  };
  for (const path of packagedRspamdFiles()) {
    mkdirSync(dirname(below(path)), { recursive: true, mode: 0o755 });
    copyFileSync(path, below(path));
  }
  for (const directory of serviceRuntimes.rspamd.directories ?? []) {
    const at = directory.path.startsWith(`${hostLayout.postfixSpoolDir}/`)
      ? `${queueDir}${directory.path.slice(hostLayout.postfixSpoolDir.length)}`
      : below(directory.path);
    mkdirSync(at, { recursive: true });
    chmodSync(at, Number.parseInt(directory.mode, 8));
    own(at, directory.owner, directory.group);
  }
  for (const file of files.filter((f) => f.service === "rspamd")) place(file, below(file.path));

  const publicKeyPems: Record<string, string> = {};
  for (const selector of ctx.config.dkim.selectors) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyFile = dkimKeyFile(selector, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    place(keyFile, below(keyFile.path));
    publicKeyPems[selector] = publicKey.export({ type: "spki", format: "pem" }).toString();
  }

  const owned = (name: string): string => {
    const path = `${root}/${name}`;
    mkdirSync(path, { recursive: true, mode: 0o750 });
    own(path, "_rspamd");
    return path;
  };
  const logDir = owned("rspamd-log");
  const runDir = owned("rspamd-run");
  return {
    etcDir,
    dbDir: owned("rspamd-db"),
    logDir,
    log: `${logDir}/rspamd.log`,
    runDir,
    pidFile: `${runDir}/rspamd.pid`,
    milterSocket: `${queueDir}/${postfixSpoolSockets.rspamdMilter}`,
    selector: ctx.config.dkim.active,
    publicKeyPems,
  };
}
