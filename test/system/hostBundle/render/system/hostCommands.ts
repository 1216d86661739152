/** Running the real Debian daemons' checkers, and network namespaces the tests create and remove. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the command, for the measured numbers the tests report. */
  readonly ms: number;
}

export function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): CommandResult {
  const start = performance.now();
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - start };
}

/** Runs a command that must succeed; the error shows what it printed. */
export function runOk(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): CommandResult {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** A temporary directory readable by daemons that drop privileges (nginx workers run as www-data). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Namespace names carry our pid, so parallel test files and leftovers of crashed runs never collide. */
let namespaceCounter = 0;
export function uniqueNamespaceName(role: string): string {
  namespaceCounter += 1;
  return `pmsys-${process.pid}-${namespaceCounter}-${role}`.slice(0, 40);
}

/** Creates an empty network namespace with loopback up. */
export function addNamespace(name: string): void {
  runOk("ip", ["netns", "add", name]);
  runOk("ip", ["-n", name, "link", "set", "lo", "up"]);
}

export function deleteNamespace(name: string): void {
  run("ip", ["netns", "del", name]);
}

/** Runs a command inside a namespace. */
export function inNamespace(name: string, command: string, args: readonly string[], options: { input?: string } = {}): CommandResult {
  return run("ip", ["netns", "exec", name, command, ...args], options);
}

/** Removes namespaces left behind by test processes that no longer exist. */
export function removeStaleNamespaces(): void {
  const listed = run("ip", ["netns", "list"]).stdout;
  for (const line of listed.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const match = /^pmsys-(\d+)-/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) deleteNamespace(name);
  }
}

/** Starts a long-running process and resolves once it printed `readyLine` on stdout. */
export function startUntilReady(command: string, args: readonly string[], readyLine: string, timeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} not ready after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.split("\n").includes(readyLine)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited ${code} before it was ready:\n${output}`));
    });
  });
}

/** Stops a process the test started, by its own pid only. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}
