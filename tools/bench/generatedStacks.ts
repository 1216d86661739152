/**
 * A program directory with many tenant stacks, for the benches: this project's program (index.ts
 * re-exports it) and N copies of the dev stack, each moved to its own domain (every in-domain name
 * and address follows, so each stack is a valid tenant of its own).
 */

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const projectDir = resolve(__dirname, "../..");

/** The dev stack's example domain, which each copy replaces. */
const devDomain = "tenant-one.example";

/** The dev stack file's text moved to `domain`. */
export function devStackFor(domain: string): string {
  return readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8").split(devDomain).join(domain);
}

export interface GeneratedStacks {
  readonly programDir: string;
  readonly stacks: readonly string[];
  remove(): void;
}

/** `count` stacks tenant-1 ... tenant-N (domains tenant-N.example) in a new temporary directory. */
export function generateStacks(count: number): GeneratedStacks {
  const programDir = mkdtempSync(join(tmpdir(), "penguinmails-stacks-"));
  copyFileSync(join(projectDir, "Pulumi.yaml"), join(programDir, "Pulumi.yaml"));
  writeFileSync(join(programDir, "index.ts"), `export = require(${JSON.stringify(join(projectDir, "index.ts"))});\n`);
  const stacks = Array.from({ length: count }, (_, i) => `tenant-${i + 1}`);
  for (const stack of stacks) writeFileSync(join(programDir, `Pulumi.${stack}.yaml`), devStackFor(`${stack}.example`));
  return { programDir, stacks, remove: () => rmSync(programDir, { recursive: true, force: true }) };
}
