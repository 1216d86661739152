/**
 * A lab daemon run as a child process with its own temp dir: output kept for error messages,
 * and both gone on stop() or, failing that, when this process exits.
 */

import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";

export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const outputKeptChars = 8_000;
const stopGraceMs = 3_000;
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** `dir` is the daemon's temp dir, removed with it. */
export function startDaemon(name: string, dir: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Daemon {
  installExitHook();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  running.set(child, dir);
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-outputKeptChars);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("exit", () => running.delete(child));
  child.on("error", (error) => {
    log += `\n${command}: ${error.message}`;
  });
  return {
    name,
    child,
    output: () => log,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` until it resolves true; fails early, with the daemon's output, if it exits. */
export async function waitUntilReady(daemon: Daemon, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`${daemon.name} exited before it was ready:\n${daemon.output()}`);
    }
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${daemon.name} was not ready within ${timeoutMs / 1000} s:\n${daemon.output()}`);
}

/** A test runner or bench that dies without its afterAll still leaves no daemon behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [child, dir] of running) {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
