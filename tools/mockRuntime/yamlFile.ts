/**
 * Pulumi's YAML files (Pulumi.yaml, Pulumi.<stack>.yaml) read with bounds: a stack file is input
 * an operator may have been handed, and a 600-byte alias bomb must fail at once, naming the file,
 * rather than expand for minutes. yaml refuses excessive aliases itself; the size bound and the
 * refusal of unknown tags (`!!js/function` and the like) are ours.
 */

import { readFileSync, statSync } from "node:fs";
import { parseDocument } from "yaml";

/** Far above any real stack file (the example is under 3 kB), far below what could hurt. */
export const maximumYamlFileBytes = 1024 * 1024;

/** A file that cannot be read as a Pulumi YAML mapping: a user error, not a crash. */
export class YamlFileError extends Error {
  override name = "YamlFileError";
}

export function readYamlMapping(path: string): Record<string, unknown> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new YamlFileError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > maximumYamlFileBytes) throw new YamlFileError(`${path}: is ${size} bytes, above the ${maximumYamlFileBytes}-byte bound for a Pulumi YAML file`);
  const document = parseDocument(readFileSync(path, "utf8"), { uniqueKeys: true, prettyErrors: false });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) throw new YamlFileError(`${path}: ${problem.message.split("\n")[0]}`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new YamlFileError(`${path}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new YamlFileError(`${path}: expected a YAML mapping at the top level`);
  return value as Record<string, unknown>;
}
