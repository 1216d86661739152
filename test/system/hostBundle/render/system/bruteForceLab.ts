/**
 * A password guesser against the rendered mail server from a foreign address: two network
 * namespaces joined by a veth pair. The server's holds the host's nftables ruleset, Postfix (25,
 * 587, 465; SASL through Dovecot; no milters), Dovecot (993, its auth penalty at the defaults) and
 * fail2ban with the rendered jails, filters and actions, all in a private mount namespace whose
 * /var/log, /run, /var/spool/postfix and state directories are tmpfs: the rendered files keep
 * their paths (logs, sockets, spool) and only the TLS key, certificate and tables are test copies.
 * The attacker's namespace holds the guessers' addresses and runs mailAttacker.py.
 *
 * Stages only Postfix, Dovecot and fail2ban, apart from the mail stack tests' helpers.
 */
import { spawn } from "node:child_process";
import { chownSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Address6 } from "ip-address";
import type { BundleFile } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { fail2banSets, startSandbox, writeFail2banConfig, writeSendmailStub, type Sandbox } from "./fail2banHarness";
import { fileAt, replaceEach } from "../mail/stagedMailConfig";
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
} from "./hostCommands";

/** One AUTH attempt as mailAttacker.py reports it. */
export interface Attempt {
  readonly attempt: number;
  readonly reply: string;
  readonly ok: boolean;
  readonly ms: number;
}

/** What one guesser connection got: its attempts, or the error that stopped it (a ban: refused or timed out). */
export interface ConnectionResult {
  readonly attempts: readonly Attempt[];
  readonly error?: string;
}

export interface BruteForceLab {
  readonly dir: string;
  /** The network namespace the guessers' addresses live in. */
  readonly attackerNamespace: string;
  readonly server: { readonly ipv4: string; readonly ipv6: string };
  readonly sandbox: Sandbox;
  readonly mailDir: string;
  /** One guesser connection from `source` to `port` with one AUTH per password. */
  guess(port: 587 | 465 | 993, source: string, user: string, passwords: readonly string[]): Promise<ConnectionResult>;
  /** Whether a TCP connection from `source` to each port is accepted within 3 s. */
  reachable(source: string, ports: readonly number[]): Promise<Record<number, boolean>>;
  /** Every address in fail2ban's nftables sets, by set, addresses in canonical form. */
  bans(): Record<string, string[]>;
  /** fail2ban's "Found <address>" lines per address, for every jail but recidive. */
  foundCounts(): Map<string, number>;
  /** fail2ban-client status of one jail as key -> value ("Total failed" -> "12"). */
  jailStatus(jail: string): Record<string, string>;
  jails(): string[];
  stop(): Promise<void>;
}

/** An address as nftables and fail2ban print it (IPv6 compressed). */
export function canonicalAddress(address: string): string {
  return address.includes(":") ? new Address6(address).correctForm() : address;
}

interface AsyncResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking the event loop: the guessers run in parallel. */
function runAsync(command: string, args: readonly string[], timeoutMs = 120_000): Promise<AsyncResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** master.cf without chroot (no populated jail below the sandbox's spool); listeners and options unchanged. */
function unchrootedMasterCf(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/^(\S+\s+(?:inet|unix|unix-dgram|fifo|pass)\s+[-yn]\s+[-yn]\s+)[-yn](\s)/, "$1n$2"))
    .join("\n");
}

const serverHost = 1;

export interface BruteForceLabOptions {
  /** Every rendered file of the host (mail daemons and system). */
  readonly files: readonly BundleFile[];
  /** A free IPv4 /24 and IPv6 /64 (testAddressRanges.ts). */
  readonly ipv4Prefix: string;
  readonly ipv6Prefix: string;
  /** The guessers' addresses, inside those ranges. */
  readonly attackers: readonly string[];
}

export async function startBruteForceLab(options: BruteForceLabOptions): Promise<BruteForceLab> {
  removeStaleNamespaces();
  const dir = makeTempDir("pm-bruteforce");
  const serverNs = uniqueNamespaceName("bf-srv");
  const attackerNs = uniqueNamespaceName("bf-atk");
  const server = { ipv4: `${options.ipv4Prefix}.${serverHost}`, ipv6: canonicalAddress(`${options.ipv6Prefix}::${serverHost}`) };
  const mailDir = join(dir, "mail");
  const fakeBin = join(dir, "bin");
  const children: ChildProcess[] = [];
  let sandbox: Sandbox | undefined;
  let postfixDir = "";

  const stop = async (): Promise<void> => {
    // Best effort, in order, each step on its own: a failed start leaves any subset running.
    if (sandbox) {
      sandbox.run("fail2ban-client", ["-c", join(dir, "fail2ban"), "stop"]);
      if (postfixDir) sandbox.run("postfix", ["-c", postfixDir, "stop"]);
      sandbox.run("doveadm", ["-c", join(dir, "dovecot", "dovecot.conf"), "stop"]);
    }
    for (const child of children) await stopProcess(child);
    // Whatever is left in the two namespaces was started here (daemons' children, a hung guesser).
    for (const ns of [serverNs, attackerNs]) {
      for (const pid of run("ip", ["netns", "pids", ns]).stdout.split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    await sandbox?.stop();
    deleteNamespace(serverNs);
    deleteNamespace(attackerNs);
    removeTempDir(dir);
  };

  try {
    // --- Network: server <-> attacker over one veth pair, no route anywhere else.
    addNamespace(serverNs);
    addNamespace(attackerNs);
    runOk("ip", ["-n", serverNs, "link", "add", "srv0", "type", "veth", "peer", "name", "atk0", "netns", attackerNs]);
    runOk("ip", ["-n", serverNs, "addr", "add", `${server.ipv4}/24`, "dev", "srv0"]);
    runOk("ip", ["-n", serverNs, "addr", "add", `${server.ipv6}/64`, "dev", "srv0", "nodad"]);
    for (const address of options.attackers) {
      runOk("ip", ["-n", attackerNs, "addr", "add", address.includes(":") ? `${address}/64` : `${address}/24`, "dev", "atk0", ...(address.includes(":") ? ["nodad"] : [])]);
    }
    runOk("ip", ["-n", serverNs, "link", "set", "srv0", "up"]);
    runOk("ip", ["-n", attackerNs, "link", "set", "atk0", "up"]);

    // --- Files.
    const tlsDir = join(dir, "tls");
    mkdirSync(tlsDir, { mode: 0o700 });
    const tls = { cert: join(tlsDir, "fullchain.pem"), key: join(tlsDir, "privkey.pem") };
    runOk("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-keyout", tls.key, "-out", tls.cert, "-subj", "/CN=mail.test"]);

    // Postfix: the rendered main.cf and master.cf; TLS files and tables are test copies, no milters
    // (no signer or filter here: nothing in this test sends mail).
    postfixDir = join(dir, "postfix");
    mkdirSync(postfixDir);
    let mainCf = replaceEach(fileAt(options.files, "/etc/postfix/main.cf").content, "main.cf", [
      [hostLayout.tls.privateKey, tls.key],
      [hostLayout.tls.fullchain, tls.cert],
    ]);
    let masterCf = unchrootedMasterCf(fileAt(options.files, "/etc/postfix/master.cf").content);
    // Our tables (maps, header checks) as copies, wherever main.cf or master.cf names them.
    for (const table of options.files.filter((f) => f.service === "postfix" && f.path.startsWith("/etc/postfix/penguinmails-"))) {
      const copy = join(postfixDir, basename(table.path));
      writeFileSync(copy, table.content);
      if (!mainCf.includes(table.path) && !masterCf.includes(table.path)) throw new Error(`neither main.cf nor master.cf names ${table.path}`);
      mainCf = mainCf.split(table.path).join(copy);
      masterCf = masterCf.split(table.path).join(copy);
    }
    writeFileSync(join(postfixDir, "main.cf"), mainCf);
    writeFileSync(join(postfixDir, "master.cf"), masterCf);
    runOk("postconf", ["-c", postfixDir, "-e", "smtpd_milters=", "non_smtpd_milters="]);

    // Dovecot: the rendered dovecot.conf; TLS files and the passwd-file are test copies.
    const dovecotDir = join(dir, "dovecot");
    mkdirSync(dovecotDir);
    const passwd = fileAt(options.files, hostLayout.dovecotPasswdFile);
    const passwdCopy = join(dovecotDir, "users");
    writeFileSync(passwdCopy, passwd.content, { mode: 0o640 });
    chownSync(passwdCopy, 0, Number(runOk("getent", ["group", "dovecot"]).stdout.split(":")[2]));
    writeFileSync(join(dovecotDir, "dovecot.conf"), replaceEach(fileAt(options.files, "/etc/dovecot/dovecot.conf").content, "dovecot.conf", [
      [`<${hostLayout.tls.fullchain}`, `<${tls.cert}`],
      [`<${hostLayout.tls.privateKey}`, `<${tls.key}`],
      [` ${hostLayout.dovecotPasswdFile}`, ` ${passwdCopy}`],
    ]));

    // fail2ban and the host's firewall, as rendered.
    const configDir = writeFail2banConfig(dir, options.files.filter((f) => f.service === "fail2ban"));
    writeFileSync(join(dir, "nftables.conf"), fileAt(options.files, hostLayout.nftablesRuleset).content);
    writeSendmailStub(fakeBin, mailDir);
    copyFileSync(join(__dirname, "mailAttacker.py"), join(dir, "mailAttacker.py"));

    // --- Daemons, in the host's order: Postfix makes the spool Dovecot puts its auth socket in.
    sandbox = await startSandbox({
      namespace: serverNs,
      fakeBin,
      nftablesRuleset: join(dir, "nftables.conf"),
      privateDirs: [hostLayout.postfixSpoolDir, "/var/lib/postfix", "/var/lib/dovecot"],
    });
    const box = sandbox;
    box.runOk("chown", ["postfix:postfix", "/var/lib/postfix"]);
    // Postfix commands print their complaints only on a terminal (LAB-NOTES): `script` gives them one.
    box.runOk("script", ["-qec", `postfix -c ${postfixDir} start`, "/dev/null"]);
    // Dovecot's daemons inherit its stdout: a file, not the pipe a synchronous run waits on.
    box.runOk("sh", ["-c", `exec dovecot -c '${join(dovecotDir, "dovecot.conf")}' </dev/null >'${join(dir, "dovecot.out")}' 2>&1`]);
    const listening = () => box.run("ss", ["-Hltn"]).stdout;
    const waitListening = async (ports: number[]) => {
      for (let i = 0; i < 100; i++) {
        const out = listening();
        if (ports.every((p) => new RegExp(`:${p}\\s`).test(out))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`not listening on ${ports.join(", ")}:\n${listening()}\nmail.log:\n${readFileSync(box.path(hostLayout.postfixLog), "utf8")}\ndovecot.log:\n${readFileSync(box.path(hostLayout.dovecotLog), "utf8")}`);
    };
    await waitListening([25, 465, 587, 993]);
    box.runOk("fail2ban-client", ["-c", configDir, "start"]);
    // Something on the SSH port, which the host ruleset opens to adminCidrs and only recidive bans.
    children.push(await startUntilReady("nsenter", ["-t", String(box.pid), "-n", "--", "/usr/bin/python3", "-c",
      "import socket\ns = socket.create_server(('::', 22), family=socket.AF_INET6, dualstack_ipv6=True)\nprint('ready', flush=True)\nwhile True:\n  c, _ = s.accept()\n  c.close()"], "ready"));
    await waitListening([22]);
  } catch (error) {
    await stop();
    throw error;
  }

  const box = sandbox;
  return {
    dir,
    attackerNamespace: attackerNs,
    server,
    sandbox: box,
    mailDir,
    async guess(port, source, user, passwords) {
      const target = source.includes(":") ? server.ipv6 : server.ipv4;
      const result = await runAsync("ip", ["netns", "exec", attackerNs, "/usr/bin/python3", join(dir, "mailAttacker.py"), String(port), source, target, user, ...passwords]);
      const records = result.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Attempt & { error?: string });
      const error = records.find((r) => r.error)?.error ?? (result.status !== 0 ? `exit ${result.status}: ${result.stderr}` : undefined);
      return { attempts: records.filter((r) => r.error === undefined), ...(error ? { error } : {}) };
    },
    async reachable(source, ports) {
      const target = source.includes(":") ? server.ipv6 : server.ipv4;
      const script = [
        "import json, socket, sys",
        "out = {}",
        "for p in sys.argv[3:]:",
        "    s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)",
        "    s.settimeout(3)",
        "    s.bind((sys.argv[1], 0))",
        "    try:",
        "        s.connect((sys.argv[2], int(p))); out[p] = True",
        "    except OSError:",
        "        out[p] = False",
        "    s.close()",
        "print(json.dumps(out))",
      ].join("\n");
      const result = await runAsync("ip", ["netns", "exec", attackerNs, "/usr/bin/python3", "-c", script, source, target, ...ports.map(String)]);
      if (result.status !== 0) throw new Error(`probe from ${source} failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<number, boolean>;
    },
    bans: () => Object.fromEntries(Object.entries(fail2banSets(box)).map(([set, elems]) => [set, elems.map(canonicalAddress)])),
    foundCounts() {
      const counts = new Map<string, number>();
      for (const m of readFileSync(box.path(hostLayout.fail2banLog), "utf8").matchAll(/\[([\w-]+)\] Found (\S+) - /g)) {
        if (m[1] === "recidive") continue;
        const address = canonicalAddress(m[2] ?? "");
        counts.set(address, (counts.get(address) ?? 0) + 1);
      }
      return counts;
    },
    jailStatus(jail) {
      const text = box.runOk("fail2ban-client", ["status", jail]).stdout;
      return Object.fromEntries([...text.matchAll(/^[\s|`-]*([A-Z][\w ]+):\s*(.*)$/gm)].map((m) => [m[1]?.trim() ?? "", m[2]?.trim() ?? ""]));
    },
    jails: () => (/Jail list:\s+(.*)/.exec(box.runOk("fail2ban-client", ["status"]).stdout)?.[1] ?? "").split(/,\s*/).filter(Boolean),
    stop,
  };
}
