/** The directory of a fleet run's logs, one file per stack: new or empty, so two runs never mix. */

import { mkdirSync, readdirSync, statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { checkOutputFile, OutputPathError } from "../cli/outputFiles";

/** `out/fleet/up-20261129T214301Z`: a fresh directory per run under the working directory. */
export function defaultLogDirectory(operation: string, now = new Date()): string {
  return join("out", "fleet", `${operation}-${now.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "")}`);
}

/** Creates the directory (and its parents) if needed and checks it can take the logs. */
export function prepareLogDirectory(option: string, dir: string): string {
  const target = resolve(dir);
  let existing: Stats | undefined;
  try {
    existing = statSync(target, { throwIfNoEntry: false });
  } catch (error) {
    throw new OutputPathError(option, target, `cannot look at it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (existing && !existing.isDirectory()) throw new OutputPathError(option, target, "exists and is not a directory");
  if (!existing) {
    try {
      mkdirSync(target, { recursive: true, mode: 0o750 });
    } catch (error) {
      throw new OutputPathError(option, target, `cannot create the directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const present = readdirSync(target);
  if (present.length > 0) throw new OutputPathError(option, target, `is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); give a new directory so runs never mix`);
  checkOutputFile(option, join(target, "stack.log"));
  return target;
}

export function stackLogFile(logDir: string, stack: string): string {
  return join(logDir, `${stack}.log`);
}
