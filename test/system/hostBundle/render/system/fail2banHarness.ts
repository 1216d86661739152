/** Debian's /etc/fail2ban plus our rendered files in a temporary directory, fail2ban's own checks, and the sandbox its live tests run it in. */
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BundleFile } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { run, runOk, startUntilReady, stopProcess, type CommandResult } from "./hostCommands";

const debianFail2banDir = "/etc/fail2ban";

/** Copies Debian's configuration (defaults-debian.conf included) and adds our files; returns the directory. */
export function writeFail2banConfig(parent: string, files: readonly BundleFile[]): string {
  const dir = join(parent, "fail2ban");
  cpSync(debianFail2banDir, dir, { recursive: true });
  for (const file of files) {
    if (!file.path.startsWith(`${debianFail2banDir}/`)) throw new Error(`${file.path} is not a fail2ban file`);
    const target = join(dir, file.path.slice(debianFail2banDir.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  return dir;
}

/** The log files our jails read; fail2ban refuses to start a jail whose log file is missing. */
export const jailLogFiles = [hostLayout.postfixLog, hostLayout.dovecotLog, hostLayout.fail2banLog];

/**
 * Runs a fail2ban command in a private mount namespace whose /var/log is an empty tmpfs holding the
 * jails' log files, as on a host where the daemons have started: the machine's own /var/log is untouched.
 */
export function withJailLogs(command: readonly string[]): CommandResult {
  const quoted = command.map((c) => `'${c.replace(/'/g, "'\\''")}'`).join(" ");
  const script = ["set -e", "mount -t tmpfs tmpfs /var/log", ...jailLogFiles.map((f) => `mkdir -p '${dirname(f)}' && touch '${f}'`), `exec ${quoted}`].join("\n");
  return run("unshare", ["-m", "--propagation", "private", "sh", "-c", script]);
}

/** `fail2ban-client -t`; fail2ban only warns on some bad values, so warnings count as failures. */
export function fail2banConfigTest(configDir: string): { ok: boolean; output: string; ms: number } {
  const result = withJailLogs(["fail2ban-client", "-c", configDir, "-t"]);
  const output = result.stdout + result.stderr;
  return { ok: result.status === 0 && !/\b(WARNING|ERROR)\b/.test(output), output, ms: result.ms };
}

/** `fail2ban-client -d`: the commands the server would receive, one JSON array per command. */
export function fail2banDump(configDir: string): unknown[][] {
  const result = withJailLogs(["fail2ban-client", "-c", configDir, "-d"]);
  if (result.status !== 0) throw new Error(result.stdout + result.stderr);
  // The dump is Python literals; Python turns them into JSON.
  const converted = runOk("python3", ["-c", "import ast,json,sys\nfor l in sys.stdin:\n  l=l.strip()\n  l and print(json.dumps(ast.literal_eval(l)))"], {
    input: result.stdout,
  });
  return converted.stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown[]);
}

/**
 * Stands in for Postfix's sendmail in a sandbox: keeps each call's arguments, one per line in
 * brackets, and the message it was given, one file per call in `mailDir`.
 */
export function writeSendmailStub(binDir: string, mailDir: string): void {
  mkdirSync(binDir, { recursive: true });
  mkdirSync(mailDir, { recursive: true });
  writeFileSync(
    join(binDir, "sendmail"),
    // Written aside and renamed: a test that reads the directory never sees half a message.
    `#!/bin/sh\nmail="${mailDir}/$(date +%s%N)-$$"\n{ printf 'ARGS:'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'; cat; } > "$mail.part" && mv "$mail.part" "$mail.eml"\n`,
  );
  chmodSync(join(binDir, "sendmail"), 0o755);
}

/** The messages the sendmail stub received, oldest first. */
export function sentMails(mailDir: string): string[] {
  return readdirSync(mailDir).filter((f) => f.endsWith(".eml")).sort().map((f) => readFileSync(join(mailDir, f), "utf8"));
}

/** A network namespace plus a private mount namespace in which fail2ban (and the daemons it watches) run. */
export interface Sandbox {
  readonly pid: number;
  /** Runs a command in the sandbox's network and mount namespaces. */
  run(command: string, args: readonly string[]): CommandResult;
  runOk(command: string, args: readonly string[]): CommandResult;
  /** A file as the sandbox sees it (its /var/log, /run and the rest are tmpfs of its own). */
  path(file: string): string;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** An empty network namespace the sandbox lives in; the caller creates and deletes it. */
  readonly namespace: string;
  /** A directory whose files shadow /usr/sbin's (the sendmail stub). */
  readonly fakeBin: string;
  /** nftables ruleset loaded before anything starts (the host's, as rendered). */
  readonly nftablesRuleset?: string;
  /** More directories that get an empty tmpfs of their own. */
  readonly privateDirs?: readonly string[];
}

/**
 * Starts the sandbox: /var/log, /run, /var/lib/fail2ban (and `privateDirs`) are empty tmpfs, so
 * the machine's logs, sockets, fail2ban database and firewall are never touched; the jails' log
 * files exist before fail2ban starts, as the apply script makes sure on a host.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const tmpfs = ["/var/log", "/run", "/var/lib/fail2ban", ...(options.privateDirs ?? [])];
  const setup = [
    "set -e",
    ...tmpfs.map((d) => `mount -t tmpfs -o mode=0755 tmpfs '${d}'`),
    "mkdir -p /run/fail2ban",
    `mount -t overlay overlay -o lowerdir='${options.fakeBin}':/usr/sbin /usr/sbin`,
    `touch ${jailLogFiles.join(" ")}`,
    ...(options.nftablesRuleset ? [`nft -f '${options.nftablesRuleset}'`] : []),
    "echo ready",
    "exec sleep infinity",
  ].join("\n");
  const child = await startUntilReady("ip", ["netns", "exec", options.namespace, "unshare", "-m", "--propagation", "private", "sh", "-c", setup], "ready");
  const pid = child.pid;
  if (pid === undefined) throw new Error("the sandbox has no pid");
  const inside = (command: string, args: readonly string[]) => run("nsenter", ["-t", String(pid), "-m", "-n", "--", command, ...args]);
  return {
    pid,
    run: inside,
    runOk(command, args) {
      const result = inside(command, args);
      if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stdout}${result.stderr}`);
      return result;
    },
    path: (file) => `/proc/${pid}/root${file}`,
    stop: () => stopProcess(child),
  };
}

/** The addresses in fail2ban's nftables sets in the sandbox, by set name (no table yet: none). */
export function fail2banSets(sandbox: Sandbox): Record<string, string[]> {
  const listed = sandbox.run("nft", ["-j", "list", "table", "inet", "f2b-table"]);
  if (listed.status !== 0) return {};
  const parsed = JSON.parse(listed.stdout) as { nftables: { set?: { name: string; elem?: string[] } }[] };
  return Object.fromEntries(parsed.nftables.flatMap((i) => (i.set ? [[i.set.name, i.set.elem ?? []]] : [])));
}

/** Polls until `probe` returns a value; the value and how long it took. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000, intervalMs = 200): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return { value, ms: performance.now() - start };
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
