import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface CommandResult {
  readonly code: number;
  /** stdout and stderr together, in no guaranteed order between the two. */
  readonly output: string;
}

/** Runs a program without a shell; never throws for a non-zero exit, the caller judges the result. */
export function runCommand(file: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}${error && typeof error.code !== "number" ? String(error) : ""}` });
    });
  });
}

/** Quotes one argument for sh; test paths and arguments are plain, but nothing is assumed. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Postfix commands print their complaints to stderr only on a terminal, otherwise only to the
 * log (LAB-NOTES): `script` gives them one.
 */
export function runOnTerminal(args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  return runCommand("script", ["-qec", args.map(shellQuote).join(" "), "/dev/null"], timeoutMs);
}

/** Lines a daemon's checker prints that mean trouble even when it exits 0. */
export function complaintLines(output: string, pattern = /(warning|error|fatal|panic)/i): string[] {
  return output.split(/\r?\n/).filter((line) => pattern.test(line));
}

/**
 * Starts a daemon that forks into the background. Its output goes to `outputFile`, not to a pipe:
 * a daemon that keeps the pipe open would hold a pipe reader until it exits. Resolves when the
 * started process itself exits (after forking), with what it printed.
 */
export function startDaemon(file: string, args: readonly string[], outputFile: string, timeoutMs = 30_000, onSpawn?: (pid: number) => void): Promise<CommandResult> {
  const fd = openSync(outputFile, "a");
  return new Promise((resolve) => {
    const child = spawn(file, [...args], { stdio: ["ignore", fd, fd] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    const done = (code: number): void => {
      clearTimeout(timer);
      closeSync(fd);
      resolve({ code, output: readFileSync(outputFile, "utf8") });
    };
    child.once("error", (error) => done(typeof (error as NodeJS.ErrnoException).errno === "number" ? 127 : 1));
    child.once("exit", (code) => done(code ?? 1));
  });
}
