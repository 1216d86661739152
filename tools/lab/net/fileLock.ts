import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Runs fn while holding an exclusive flock(2) on lockPath, across processes.
 *
 * The lock is held by a `flock` child whose stdin is a pipe from this process: when this
 * process dies for any reason the pipe closes, the child exits and the kernel drops the lock,
 * so a crashed holder can never leave a stale lock behind.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; onWait?: () => void } = {},
): Promise<T> {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const timeoutSeconds = Math.ceil((opts.timeoutMs ?? 20 * 60_000) / 1000);
  const holder = spawn("flock", ["--exclusive", "--timeout", String(timeoutSeconds), lockPath, "sh", "-c", "echo locked; exec cat >/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  holder.stdin.on("error", () => undefined);
  const waitNotice = opts.onWait ? setTimeout(opts.onWait, 1000) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = "";
      holder.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      holder.stdout.once("data", () => resolve());
      holder.once("error", (err) => reject(new Error(`cannot run flock: ${err.message}`)));
      holder.once("exit", (code) =>
        reject(new Error(`could not lock ${lockPath} within ${timeoutSeconds} s (flock exited ${code}) ${stderr.trim()}`)),
      );
    });
  } catch (err) {
    holder.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(waitNotice);
  }
  try {
    return await fn();
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      holder.stdin.end();
      await exited;
    }
  }
}
