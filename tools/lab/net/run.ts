import { spawn, spawnSync } from "node:child_process";

export interface RunResult {
  /** Exit code, or null when the process died from a signal (including our timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program without a shell and collects its output; never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, opts.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        timedOut,
      });
    });
    // A program that exits without reading its stdin must not turn into an EPIPE crash.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like run(), but a non-zero exit becomes an error that says what failed and why. */
export async function runChecked(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, opts);
  if (result.code !== 0) throw new Error(describeFailure(command, args, result));
  return result;
}

/** Synchronous variant for exit handlers, where no promise will ever be awaited. */
export function runSync(command: string, args: readonly string[], timeoutMs = 30_000): RunResult {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  return {
    code: result.status,
    stdout: result.stdout ?? "",
    stderr: result.stderr ?? (result.error ? result.error.message : ""),
    timedOut: result.error !== undefined && (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT",
  };
}

export function describeFailure(command: string, args: readonly string[], result: RunResult): string {
  const how = result.timedOut ? "timed out" : result.code === null ? "was killed" : `exited ${result.code}`;
  const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-15).join("\n");
  return `${[command, ...args].join(" ")} ${how}${detail ? `:\n${detail}` : ""}`;
}
