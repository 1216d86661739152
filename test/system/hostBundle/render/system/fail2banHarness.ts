/** Debian's /etc/fail2ban plus our rendered files in a temporary directory, and fail2ban's own checks. */
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BundleFile } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { run, runOk, type CommandResult } from "./hostCommands";

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
