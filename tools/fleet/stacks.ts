/** The stacks of a Pulumi program directory: one Pulumi.<stack>.yaml per tenant. */

import { readdirSync } from "node:fs";
import { mailHostname } from "../../tenant/names";

/** A bad --stacks value or a program directory without stacks: a user error, reported in one line. */
export class FleetInputError extends Error {
  override name = "FleetInputError";
}

const stackFilePattern = /^Pulumi\.([A-Za-z0-9_][A-Za-z0-9_.-]*)\.ya?ml$/;

/** The stack named by a Pulumi.<stack>.yaml file name, or undefined for any other file. */
export function stackOfFile(fileName: string): string | undefined {
  return stackFilePattern.exec(fileName)?.[1];
}

/** Every stack with a Pulumi.<stack>.yaml in the program directory, sorted. */
export function discoverStacks(programDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(programDir);
  } catch (error) {
    throw new FleetInputError(`--program ${programDir}: cannot read the directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const stacks = names.map(stackOfFile).filter((stack): stack is string => stack !== undefined);
  return [...new Set(stacks)].sort();
}

/** The stacks to run: the ones asked for (each must have its file), or every one. */
export function selectStacks(programDir: string, requested: readonly string[] | undefined): string[] {
  const available = discoverStacks(programDir);
  if (available.length === 0) throw new FleetInputError(`${programDir} holds no Pulumi.<stack>.yaml`);
  if (requested === undefined) return available;
  const missing = requested.filter((stack) => !available.includes(stack));
  if (missing.length > 0) {
    throw new FleetInputError(`--stacks: no Pulumi.${missing[0]}.yaml in ${programDir} (its stacks: ${available.slice(0, 10).join(", ")}${available.length > 10 ? ", ..." : ""})`);
  }
  return [...new Set(requested)];
}

/** The mail host of a stack, where `npm run check` connects: mail.<domain> of its config. */
export function stackMailHost(programDir: string, stack: string): string {
  // Loaded when asked for: the config reader pulls in the Pulumi SDK, which takes seconds to load.
  const { readStackConfig } = require("../mockRuntime/stackConfig") as typeof import("../mockRuntime/stackConfig");
  const config = readStackConfig(programDir, stack);
  const key = `${config.project}:domain`;
  const domain = config.values[key];
  if (domain === undefined || domain === "[secret]") throw new FleetInputError(`Pulumi.${stack}.yaml: ${key} is not set`);
  return mailHostname(domain);
}
