import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { pidsInNamespace } from "../net/labNetwork";
import { run, type RunOptions, type RunResult } from "../net/run";

export interface ContainerSpec {
  rootDir: string;
  machineName: string;
  hostname: string;
  /** Network namespace the container joins (created beforehand, addresses already set). */
  netns: string;
  /** Cgroups nspawn is started in; see cgroups.ts for why. */
  cgroups: readonly string[];
  consoleLogPath: string;
}

/**
 * Boots the tree with systemd as PID 1.
 * --register=no --keep-unit: this machine's PID 1 is not systemd, so there is no machined
 * to register with. CAP_NET_ADMIN is not in nspawn's default set, but the host needs it for
 * nftables and fail2ban, as a droplet's root has; it only reaches the lab's own namespace.
 * setpriv's parent-death signal makes nspawn power the container off if this process is
 * killed outright.
 */
export function spawnContainer(spec: ContainerSpec): ChildProcess {
  const consoleFd = fs.openSync(spec.consoleLogPath, "a");
  const nspawn = [
    "setpriv",
    "--pdeathsig",
    "SIGTERM",
    "--",
    "systemd-nspawn",
    "--quiet",
    "--register=no",
    "--keep-unit",
    "--boot",
    `--directory=${spec.rootDir}`,
    `--machine=${spec.machineName}`,
    `--hostname=${spec.hostname}`,
    `--network-namespace-path=/run/netns/${spec.netns}`,
    "--capability=CAP_NET_ADMIN",
    "--resolv-conf=off",
    "--timezone=off",
    "--link-journal=no",
    "--console=read-only",
  ];
  const child = spawn("sh", ["-c", 'for d in $LAB_CGROUPS; do echo $$ > "$d/cgroup.procs" || exit 1; done; exec "$@"', "nspawn", ...nspawn], {
    stdio: ["ignore", consoleFd, consoleFd],
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LAB_CGROUPS: spec.cgroups.join(" ") },
  });
  fs.closeSync(consoleFd);
  return child;
}

/** The host pid of the container's init: the process in its network namespace that is PID 1 of its own pid namespace. */
export function findContainerInit(netns: string): number | undefined {
  for (const pid of pidsInNamespace(netns)) {
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]?.split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === "1") return pid;
    } catch {
      // exited while we looked
    }
  }
  return undefined;
}

const CONTAINER_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "TERM=dumb"];

/** nsenter arguments that run argv as root in all of the container's namespaces, with a clean environment. */
export function nsenterArgs(initPid: number, argv: readonly string[]): string[] {
  return ["--target", String(initPid), "--all", "--root", "--wd", "--", "/usr/bin/env", "-i", ...CONTAINER_ENV, ...argv];
}

/** Runs a shell command as root inside the container, bypassing SSH. */
export function containerExec(initPid: number, command: string, opts: RunOptions = {}): Promise<RunResult> {
  return run("nsenter", nsenterArgs(initPid, ["/bin/sh", "-c", command]), opts);
}

/** `systemctl is-system-running`'s answers, plus "stopped" when there is no container. */
export type SystemState = "running" | "degraded" | "initializing" | "starting" | "maintenance" | "stopping" | "offline" | "unknown" | "stopped";

export interface BootResult {
  /** "running" or "degraded" once startDebianHost returns. */
  state: SystemState;
  /** Units systemd reports failed, sorted. */
  failedUnits: string[];
  /** From nspawn's start until systemd reported the end of the boot; 0 for an attached host. */
  seconds: number;
}

/**
 * Waits until systemd says the boot is over. `is-system-running` prints "running" or
 * "degraded" then; anything else ("maintenance", or nspawn exiting) is a failed boot.
 * The answer is then watched until it holds still, because a Type=simple service counts as
 * started at once and may fail a moment later (stock fail2ban does, about 0.6 s after start).
 */
export async function waitForBoot(netns: string, nspawn: ChildProcess, timeoutMs: number): Promise<BootResult & { initPid: number }> {
  const started = Date.now();
  let last = "no init process yet";
  while (Date.now() - started < timeoutMs) {
    if (nspawn.exitCode !== null || nspawn.signalCode !== null) {
      throw new Error(`systemd-nspawn exited during boot (${nspawn.exitCode ?? nspawn.signalCode})`);
    }
    const initPid = findContainerInit(netns);
    if (initPid !== undefined) {
      const answer = await containerExec(initPid, "systemctl is-system-running", { timeoutMs: 10_000 });
      last = answer.stdout.trim() || answer.stderr.trim();
      if (last === "running" || last === "degraded") {
        const seconds = (Date.now() - started) / 1000;
        return { ...(await settledState(initPid)), seconds, initPid };
      }
      if (last === "maintenance") break;
    }
    await sleep(200);
  }
  throw new Error(`the host did not finish booting within ${timeoutMs / 1000} s (systemd says: ${last})`);
}

const SETTLE_POLLS = 3;
const SETTLE_INTERVAL_MS = 500;
/** A unit in a restart loop never holds still; report what is seen after this long. */
const SETTLE_MAX_POLLS = 20;

async function settledState(initPid: number): Promise<Omit<BootResult, "seconds">> {
  let previous = "";
  let same = 0;
  for (let poll = 1; ; poll++) {
    const { state, failedUnits } = await currentBootState(initPid);
    const key = `${state} ${failedUnits.join(" ")}`;
    same = key === previous ? same + 1 : 1;
    previous = key;
    if (same >= SETTLE_POLLS || poll >= SETTLE_MAX_POLLS) return { state, failedUnits };
    await sleep(SETTLE_INTERVAL_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function currentBootState(initPid: number): Promise<BootResult> {
  const answer = await containerExec(initPid, "systemctl is-system-running", { timeoutMs: 10_000 });
  const state = (answer.stdout.trim() || "unknown") as SystemState;
  return { state, failedUnits: await failedUnits(initPid), seconds: 0 };
}

export async function failedUnits(initPid: number): Promise<string[]> {
  const result = await containerExec(initPid, "systemctl list-units --state=failed --plain --no-legend --no-pager", { timeoutMs: 10_000 });
  return result.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((unit): unit is string => Boolean(unit))
    .sort();
}
