/**
 * The new stack planned offline before its file is written: the program itself (namespaces,
 * components, what the host bundle validates) and the policy pack judge it, with stand-ins for
 * the secrets the operator sets afterwards. Runs in a temporary program directory that loads
 * this program, so nothing is written next to the real stacks until the stack passes.
 */

import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { entryPointPath } from "../mockRuntime/runProgram";
import type { PolicyReport } from "../policy/evaluate";
import { runPolicyCheck } from "../policy/runPolicyCheck";
import { stackFileText, type NewTenant } from "./stackFile";

export interface NewStackCheck {
  readonly report: PolicyReport;
  readonly resourceCount: number;
  readonly resourceTypes: ReadonlySet<string>;
  readonly outputNames: ReadonlySet<string>;
}

/** What the offline run reads in place of each secret the file leaves out (encrypted values stand in). */
const standIns = {
  acmeDnsApiToken: { secure: "tenant:new offline check" },
  passwordHash: (address: string) => ({ secure: `tenant:new offline check ${address}` }),
};

export async function checkNewStack(programDir: string, tenant: NewTenant, timeoutMs: number): Promise<NewStackCheck> {
  const dir = mkdtempSync(join(tmpdir(), "penguinmails-tenant-new-"));
  try {
    copyFileSync(join(programDir, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "index.ts"), `export = require(${JSON.stringify(entryPointPath(programDir))});\n`);
    writeFileSync(join(dir, `Pulumi.${tenant.stack}.yaml`), stackFileText(tenant, standIns));
    const { run, report } = await runPolicyCheck({ programDir: dir, stack: tenant.stack, timeoutMs });
    return { report, resourceCount: run.resources.length, resourceTypes: new Set(run.resources.map((r) => r.type)), outputNames: new Set(Object.keys(run.outputs)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
