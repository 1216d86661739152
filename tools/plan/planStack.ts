/** `npm run plan -- --stack <name>`: one stack's resource tree with inputs, its outputs and its policy report. */

import { readableBundleTree } from "../../hostBundle/format/bundleTree";
import { writeDirectoryAtomically, writeFileAtomically } from "../cli/outputFiles";
import { redactSecrets } from "../mockRuntime/secrets";
import { readStackConfig } from "../mockRuntime/stackConfig";
import { toolExitCodes } from "../policy/failures";
import { renderPolicyReport, renderPolicySummary } from "../policy/render";
import { runPolicyCheck, type PolicyCheckResult } from "../policy/runPolicyCheck";
import { plannedHostBundle } from "./plannedHostBundle";
import { renderOutputs, renderPlanTree } from "./renderPlanTree";

/** Mock ids and addresses make a plan deterministic; say so, so nobody copies them. */
export const mockNote = "(offline plan: ids and addresses are deterministic stand-ins from 192.0.2.0/24 and 2001:db8::/32; one key per algorithm)";

export interface PlanStackOptions {
  readonly programDir: string;
  readonly stack: string;
  readonly policyPackConfig?: string;
  readonly timeoutMs: number;
  readonly quiet: boolean;
  /** Checked output paths. */
  readonly jsonFile?: string;
  readonly outDir?: string;
}

/** Plans the stack, prints it, writes the outputs asked for; the result for the audit trail. */
export async function planStack(options: PlanStackOptions): Promise<{ exitCode: number; result: PolicyCheckResult }> {
  const checked = await runPolicyCheck({ programDir: options.programDir, stack: options.stack, configFile: options.policyPackConfig, timeoutMs: options.timeoutMs });
  const { run, report } = checked;
  const bundle = options.outDir ? plannedHostBundle(run, readStackConfig(options.programDir, options.stack)) : undefined;
  console.log(`Plan of stack ${run.stack} (project ${run.project}): ${run.resources.length} resources to create`);
  console.log(mockNote);
  console.log("");
  console.log(renderPlanTree(run.resources, { showInputs: !options.quiet }));
  console.log("");
  console.log("Outputs:");
  console.log(renderOutputs(run.outputs));
  console.log("");
  console.log(renderPolicyReport(report, { resources: run.resources }));
  console.log(renderPolicySummary(report));

  if (options.jsonFile) {
    const captured = {
      project: run.project,
      stack: run.stack,
      resources: run.resources.map((r) => redactSecrets(r)),
      outputs: redactSecrets(run.outputs),
    };
    writeFileAtomically(options.jsonFile, JSON.stringify(captured, null, 2) + "\n");
    console.log(`\nWrote ${run.resources.length} resources to ${options.jsonFile}`);
  }
  if (options.outDir && bundle) {
    const tree = readableBundleTree(bundle);
    writeDirectoryAtomically(options.outDir, tree, "plan");
    console.log(`\nWrote the host bundle (${tree.length} files, secrets left out) to ${options.outDir}`);
  }
  return { exitCode: report.mandatoryCount > 0 ? toolExitCodes.mandatoryViolation : toolExitCodes.ok, result: checked };
}
