/**
 * Cancelling a fleet run the way Ctrl-C cancels one `pulumi up`: no stack starts any more, every
 * running pulumi operation gets one interrupt (it finishes the resource operations in flight, saves
 * its state and exits), a second interrupt from the user is passed on once more (pulumi then stops
 * at once), and after a grace period whatever still runs is killed.
 *
 * The Automation API does not hand out its child processes, so they are found in /proc: the
 * fleet's children whose command line is an operation (the SDK gives every preview, up and refresh
 * `--exec-kind`; `stack select`, `stack history` and `stack output` are left to finish, so that an
 * up that completed reads its summary instead of being reported cancelled).
 */

import { readdirSync, readFileSync } from "node:fs";

interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
}

function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in parentheses may hold spaces and parentheses: fields follow the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function processes(): ProcessEntry[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((entry): entry is ProcessEntry => entry !== undefined);
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** The pulumi operations this process started and that still run. */
export function runningOperations(): number[] {
  return processes()
    .filter((entry) => entry.ppid === process.pid && commandLine(entry.pid).includes("--exec-kind"))
    .map((entry) => entry.pid);
}

/** Every process below this one, and every other member of its process group when it leads one. */
function descendantsAndGroup(): number[] {
  const all = processes();
  const below = new Set<number>([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of all) {
      if (!below.has(entry.pid) && below.has(entry.ppid)) {
        below.add(entry.pid);
        grew = true;
      }
    }
  }
  const ledGroup = all.filter((entry) => entry.pgrp === process.pid).map((entry) => entry.pid);
  return [...new Set([...below, ...ledGroup])].filter((pid) => pid !== process.pid);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // It ended between the scan and the signal.
  }
}

export interface CancellationOptions {
  /** How long the operations may take to stop after the first interrupt before they are killed. */
  readonly graceMs: number;
  readonly report: (message: string) => void;
}

/** How often to look for an operation that started after the interrupt (a preview sets up its event server in between). */
const scanIntervalMs = 200;

export class FleetCancellation {
  private startedAt: number | undefined;
  private readonly interrupted = new Set<number>();
  private scanTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CancellationOptions) {}

  get cancelled(): boolean {
    return this.startedAt !== undefined;
  }

  /** The user's interrupt: the first cancels, the next ones stop pulumi at once. */
  interrupt(): void {
    if (this.startedAt === undefined) {
      this.startedAt = Date.now();
      const running = this.interruptNewOperations();
      this.options.report(`interrupted: no further stack starts; ${running} running pulumi operation(s) asked to stop (interrupt again to stop them at once)`);
      this.scanTimer = setInterval(() => this.interruptNewOperations(), scanIntervalMs);
      this.killTimer = setTimeout(() => this.killEverything(), this.options.graceMs);
      return;
    }
    const running = runningOperations();
    for (const pid of running) signal(pid, "SIGINT");
    this.options.report(`interrupted again: ${running.length} pulumi operation(s) told to stop at once`);
  }

  /** Ends the timers once every stack has settled. */
  finish(): void {
    clearInterval(this.scanTimer);
    clearTimeout(this.killTimer);
  }

  private interruptNewOperations(): number {
    const fresh = runningOperations().filter((pid) => !this.interrupted.has(pid));
    for (const pid of fresh) {
      this.interrupted.add(pid);
      signal(pid, "SIGINT");
    }
    return fresh.length;
  }

  private killEverything(): void {
    const remaining = descendantsAndGroup();
    if (remaining.length === 0) return;
    this.options.report(`still running ${Math.round(this.options.graceMs / 1000)} s after the interrupt: killing ${remaining.length} process(es)`);
    for (const pid of remaining) signal(pid, "SIGKILL");
  }
}
