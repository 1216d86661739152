import * as fs from "node:fs";

/** A process id plus its start time, so a recycled pid is never mistaken for ours. */
export interface ProcessRef {
  pid: number;
  startTime: string;
}

export function processRef(pid: number): ProcessRef | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : { pid, startTime: stat.startTime };
}

/** True while the very process `ref` named is running (zombies count as gone). */
export function isAlive(ref: ProcessRef): boolean {
  const stat = readStat(ref.pid);
  return stat !== undefined && stat.state !== "Z" && stat.startTime === ref.startTime;
}

export function killIfAlive(ref: ProcessRef, signal: NodeJS.Signals): void {
  if (!isAlive(ref)) return;
  try {
    process.kill(ref.pid, signal);
  } catch {
    // exited in between
  }
}

export async function waitUntilDead(ref: ProcessRef, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(ref)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function readStat(p: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${p}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name in parentheses may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}
