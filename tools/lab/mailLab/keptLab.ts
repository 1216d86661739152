/**
 * A lab left up with --keep: a state file naming the process that holds it, so `npm run lab --
 * down` can ask that process to tear it down (it owns the daemons), or, if it is gone, remove what
 * it left: the lab host's run (namespaces, processes, mounts), the internet namespace's files and
 * the scratch directories.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { isAlive, processRef, waitUntilDead, type ProcessRef } from "../debianHost/processes";
import { runsDir } from "../debianHost/paths";
import { loadState, teardownRunSync } from "../debianHost/runState";
import { netnsEtcDir } from "./internet/internetNamespace";

export interface KeptLab {
  readonly name: string;
  readonly owner: ProcessRef;
  readonly stack: string;
  readonly internetNamespace: string;
  readonly directories: readonly string[];
}

export function keptLabsDir(): string {
  return path.join(path.dirname(runsDir()), "mail-labs");
}

function stateFile(name: string): string {
  return path.join(keptLabsDir(), `${name}.json`);
}

export function saveKeptLab(lab: Omit<KeptLab, "owner">): () => void {
  const owner = processRef(process.pid);
  if (!owner) throw new Error("cannot read this process's start time from /proc");
  fs.mkdirSync(keptLabsDir(), { recursive: true });
  fs.writeFileSync(stateFile(lab.name), JSON.stringify({ ...lab, owner }, null, 2));
  return () => fs.rmSync(stateFile(lab.name), { force: true });
}

export function listKeptLabs(): KeptLab[] {
  if (!fs.existsSync(keptLabsDir())) return [];
  return fs
    .readdirSync(keptLabsDir())
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => {
      try {
        return [JSON.parse(fs.readFileSync(path.join(keptLabsDir(), f), "utf8")) as KeptLab];
      } catch {
        return [];
      }
    });
}

/** Takes one kept lab down; the lines say what was done. */
export async function takeDown(lab: KeptLab): Promise<string[]> {
  const said: string[] = [];
  if (isAlive(lab.owner)) {
    process.kill(lab.owner.pid, "SIGTERM");
    said.push(`asked the lab's process ${lab.owner.pid} to tear ${lab.name} down`);
    if (await waitUntilDead(lab.owner, 90_000)) {
      said.push(`${lab.name} is down`);
      return said;
    }
    process.kill(lab.owner.pid, "SIGKILL");
    said.push(`process ${lab.owner.pid} did not finish within 90 s: killed it, removing what it left`);
  }
  const host = loadState(lab.name);
  if (host) {
    const left = teardownRunSync(host);
    said.push(left.length === 0 ? `removed the lab host ${lab.name}` : `the lab host ${lab.name} left: ${left.join(", ")}`);
  }
  fs.rmSync(netnsEtcDir(lab.internetNamespace), { recursive: true, force: true });
  for (const dir of lab.directories) fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(stateFile(lab.name), { force: true });
  said.push(`${lab.name} is down`);
  return said;
}
