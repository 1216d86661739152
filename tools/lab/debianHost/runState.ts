import * as fs from "node:fs";
import * as path from "node:path";
import type { LabSubnet } from "../net/addressPlan";
import { destroyLabNetworkSync, type LabNetworkNames } from "../net/labNetwork";
import { runSync } from "../net/run";
import { cgroupPids, killCgroups, removeCgroups } from "./cgroups";
import { isAlive, killIfAlive, type ProcessRef } from "./processes";
import { runsDir } from "./paths";

/**
 * Everything a run created, written before it is created, so that any process (a later run,
 * `cli.ts down`, an exit handler) can remove a run whose owner died, whatever step it died in.
 */
export interface RunState {
  name: string;
  /** The process that started the run; when it is gone the run is stale. */
  owner: ProcessRef;
  createdAt: string;
  runDir: string;
  /** The host's root directory as the runner sees it (overlay mount point or copy). */
  rootDir: string;
  rootfs: { path: string; hash: string; mode: "overlay" | "copy" };
  network: LabNetworkNames;
  subnet?: LabSubnet;
  cgroups: string[];
  hostname: string;
  nspawn?: ProcessRef;
}

export const STATE_FILE = "state.json";

export function runDirFor(name: string): string {
  return path.join(runsDir(), name);
}

export function saveState(state: RunState): void {
  const file = path.join(state.runDir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

export function loadState(name: string): RunState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDirFor(name), STATE_FILE), "utf8")) as RunState;
  } catch {
    return undefined;
  }
}

export function listRunNames(): string[] {
  if (!fs.existsSync(runsDir())) return [];
  return fs
    .readdirSync(runsDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export function isStale(state: RunState): boolean {
  return !isAlive(state.owner);
}

/**
 * Removes every trace of a run: its processes, network namespaces and links, cgroups,
 * mount and directory. Synchronous so an exit handler can run it; safe to repeat.
 * Returns what could not be removed (empty when the run is fully gone).
 */
export function teardownRunSync(state: RunState): string[] {
  killCgroups(state.cgroups);
  if (state.nspawn) killIfAlive(state.nspawn, "SIGKILL");
  destroyLabNetworkSync(state.network);

  const deadline = Date.now() + 5000;
  while (cgroupPids(state.cgroups).length > 0 && Date.now() < deadline) runSync("sleep", ["0.1"]);
  removeCgroups(state.cgroups);

  if (isMounted(state.rootDir)) {
    if (runSync("umount", [state.rootDir]).code !== 0) runSync("umount", ["--lazy", state.rootDir]);
  }
  // nspawn cleans this up itself, but refuses to when /run is not a tmpfs (as on this machine).
  fs.rmSync(path.join("/run/systemd/nspawn/propagate", state.name), { recursive: true, force: true });
  const leftovers = remainingTraces(state);
  // Never delete through a mount: in copy mode a stray bind mount could point anywhere.
  if (!mountsUnder(state.runDir).length) fs.rmSync(state.runDir, { recursive: true, force: true });
  return leftovers;
}

/** What of a run still exists; teardown's postcondition, and what a test asserts is empty. */
export function remainingTraces(state: RunState): string[] {
  const traces: string[] = [];
  for (const ns of Object.values(state.network.namespaces)) {
    if (fs.existsSync(`/run/netns/${ns}`)) traces.push(`network namespace ${ns}`);
  }
  if (fs.existsSync(`/sys/class/net/${state.network.rootInterface}`)) traces.push(`link ${state.network.rootInterface}`);
  for (const dir of state.cgroups) if (fs.existsSync(dir)) traces.push(`cgroup ${dir}`);
  for (const pid of cgroupPids(state.cgroups)) traces.push(`process ${pid}`);
  if (state.nspawn && isAlive(state.nspawn)) traces.push(`systemd-nspawn ${state.nspawn.pid}`);
  for (const m of mountsUnder(state.runDir)) traces.push(`mount ${m}`);
  return traces;
}

function mountPoints(): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((m): m is string => Boolean(m))
    .map((m) => m.replace(/\\040/g, " "));
}

function isMounted(dir: string): boolean {
  return mountPoints().includes(dir);
}

function mountsUnder(dir: string): string[] {
  return mountPoints().filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Tears down runs whose owner process is gone (killed test runs, a crashed CLI). */
export function reapStaleRuns(log: (line: string) => void = () => undefined): void {
  for (const name of listRunNames()) {
    const state = loadState(name);
    if (!state) {
      removeIfAbandoned(runDirFor(name));
      continue;
    }
    if (!isStale(state)) continue;
    log(`removing stale lab host ${name} (its owner, pid ${state.owner.pid}, is gone)`);
    teardownRunSync(state);
  }
}

/** A run directory without state.json is a start that died within its first milliseconds. */
function removeIfAbandoned(dir: string): void {
  const ageMs = Date.now() - fs.statSync(dir).mtimeMs;
  if (ageMs > 60_000 && !mountsUnder(dir).length) fs.rmSync(dir, { recursive: true, force: true });
}
