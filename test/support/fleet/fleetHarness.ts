/**
 * A Pulumi program directory with stacks, the stand-in `pulumi` (standInPulumi.cjs) first on PATH,
 * and `npm run fleet`'s entry started the way npm starts it, for tests of the fleet tool.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const projectDir = resolve(__dirname, "../../..");
const standIn = join(__dirname, "standInPulumi.cjs");
const tsx = require.resolve("tsx/cjs", { paths: [projectDir] });

/** The CLI release the workflows install (.github/pulumi-version), which the stand-in reports. */
export const workflowPulumiVersion = readFileSync(join(projectDir, ".github/pulumi-version"), "utf8").trim();

export interface StandInStack {
  readonly mode: "succeed" | "fail" | "hang" | "stubborn" | "deaf";
  readonly delayMs?: number;
  readonly changes?: Record<string, number>;
}

export interface CallRecord {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly exitCode?: number;
  readonly signals: readonly { signal: string; at: number }[];
  readonly handlesInterrupts: boolean;
}

export interface FleetRun {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export class FleetHarness {
  readonly root = mkdtempSync(join(tmpdir(), "fleet-"));
  readonly programDir = join(this.root, "program");
  readonly pulumiDir = join(this.root, "pulumi");
  readonly binDir = join(this.root, "bin");
  private readonly runs: ChildProcess[] = [];

  /** `stacks`: each stack's behaviour; a stack set to undefined has its file but no backend stack. */
  constructor(stacks: Record<string, StandInStack | undefined>, version = workflowPulumiVersion) {
    mkdirSync(join(this.programDir, "policies"), { recursive: true });
    mkdirSync(this.pulumiDir);
    mkdirSync(this.binDir);
    writeFileSync(join(this.programDir, "Pulumi.yaml"), "name: demo\nruntime: nodejs\n");
    writeFileSync(join(this.programDir, "policies/PulumiPolicy.yaml"), "runtime: nodejs\n");
    for (const stack of Object.keys(stacks)) writeFileSync(join(this.programDir, `Pulumi.${stack}.yaml`), `config:\n  demo:domain: ${stack}.example\n`);
    const backend = Object.fromEntries(Object.entries(stacks).filter(([, behaviour]) => behaviour !== undefined));
    writeFileSync(join(this.pulumiDir, "behaviour.json"), JSON.stringify({ version, stacks: backend }));
    writeFileSync(join(this.binDir, "pulumi"), `#!/bin/sh\nexec "${process.execPath}" "${standIn}" "$@"\n`);
    chmodSync(join(this.binDir, "pulumi"), 0o755);
  }

  /** Starts the fleet as `npm run fleet -- ...` does, with the stand-in first on PATH. */
  start(args: readonly string[], options: { pathWithoutPulumi?: boolean; env?: Record<string, string> } = {}): FleetRun {
    const path = options.pathWithoutPulumi ? "/usr/sbin:/usr/bin:/sbin:/bin" : `${this.binDir}:${process.env.PATH}`;
    const child = spawn(process.execPath, ["--require", tsx, join(projectDir, "tools/fleet/main.ts"), ...args], {
      cwd: this.root,
      env: { ...process.env, PATH: path, STAND_IN_PULUMI_DIR: this.pulumiDir, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.runs.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveExit) => child.on("close", (code) => resolveExit({ code, stdout, stderr })));
    return { child, exited };
  }

  run(args: readonly string[], options: { pathWithoutPulumi?: boolean; env?: Record<string, string> } = {}) {
    return this.start(args, options).exited;
  }

  /** Every call of the stand-in so far. */
  calls(): CallRecord[] {
    const dir = join(this.pulumiDir, "calls");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as CallRecord)
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  /** The preview, up and refresh calls, by stack. */
  operations(): Map<string, CallRecord> {
    const calls = this.calls().filter((call) => ["preview", "up", "refresh"].includes(call.args[0]!));
    return new Map(calls.map((call) => [call.args[call.args.indexOf("--stack") + 1]!, call]));
  }

  /** Waits until `count` operations have started and set their interrupt handler. */
  async operationsStarted(count: number, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const ready = () => [...this.operations().values()].filter((call) => call.handlesInterrupts).length;
    while (ready() < count) {
      if (Date.now() > until) throw new Error(`only ${ready()} of ${count} operations started`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  /** Ends whatever a failed test left running, then removes the directory. */
  cleanup(): void {
    for (const call of this.calls()) if (isAlive(call.pid)) process.kill(call.pid, "SIGKILL");
    for (const child of this.runs) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Every live process in a process group. */
export function groupMembers(pgrp: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgrp && isAlive(Number(name));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** How many of the calls ran at the same time, at most. */
export function mostAtOnce(calls: readonly CallRecord[]): number {
  const edges = calls.flatMap((call) => [
    { at: call.startedAt, step: 1 },
    { at: call.endedAt ?? Number.POSITIVE_INFINITY, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.step;
    most = Math.max(most, running);
  }
  return most;
}
