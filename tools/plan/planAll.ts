/**
 * `npm run plan -- --all`: every Pulumi.<stack>.yaml of the program, one after another in this
 * process, one line per stack. A stack's config error, program failure or violation is reported
 * on its line and the run goes on; only counts and violations are kept, so memory stays flat
 * however many stacks there are.
 */

import { InvalidArgumentError } from "../cli/command";
import { stackNameValue } from "../cli/optionValues";
import { listStacks } from "../mockRuntime/stackConfig";
import type { PolicyDiagnostic } from "../policy/evaluate";
import { describeFailure, toolExitCodes } from "../policy/failures";
import { describeUrn } from "../policy/render";
import { runPolicyCheck, type PolicyCheckResult } from "../policy/runPolicyCheck";

export interface StackPlanOutcome {
  readonly stack: string;
  readonly status: "passed" | "violation" | "failed";
  /** What `npm run plan -- --stack <stack>` would exit with. */
  readonly exitCode: number;
  readonly resources?: number;
  readonly mandatory?: number;
  readonly advisory?: number;
  readonly violations?: readonly { readonly policy: string; readonly level: string; readonly urn?: string }[];
  /** Why the stack could not be planned (the message plan prints for it alone, without "error: "). */
  readonly error?: string;
}

export interface PlanAllOptions {
  readonly programDir: string;
  readonly policyPackConfig?: string;
  readonly timeoutMs: number;
  /** Called after each stack, in order: printing and auditing happen as the run goes. */
  readonly onStack?: (outcome: StackPlanOutcome, result: PolicyCheckResult | undefined) => void;
}

/**
 * The exit code of a run over many stacks: its most serious outcome. A crash of a policy (a bug) over
 * invalid input, over a timeout, over a mandatory violation.
 */
const severityOrder: readonly number[] = [toolExitCodes.policyCrash, toolExitCodes.invalidInput, toolExitCodes.timeout, toolExitCodes.mandatoryViolation];

export function combinedExitCode(codes: readonly number[]): number {
  return severityOrder.find((code) => codes.includes(code)) ?? toolExitCodes.ok;
}

function violationsOf(diagnostics: readonly PolicyDiagnostic[]): StackPlanOutcome["violations"] {
  return diagnostics.map((d) => ({ policy: d.policyName, level: d.enforcementLevel, ...(d.urn ? { urn: d.urn } : {}) }));
}

async function planOne(stack: string, options: PlanAllOptions): Promise<{ outcome: StackPlanOutcome; result?: PolicyCheckResult }> {
  try {
    stackNameValue(stack);
    const result = await runPolicyCheck({ programDir: options.programDir, stack, configFile: options.policyPackConfig, timeoutMs: options.timeoutMs });
    const { report } = result;
    const violation = report.mandatoryCount > 0;
    const outcome: StackPlanOutcome = {
      stack,
      status: violation ? "violation" : "passed",
      exitCode: violation ? toolExitCodes.mandatoryViolation : toolExitCodes.ok,
      resources: result.run.resources.length,
      mandatory: report.mandatoryCount,
      advisory: report.advisoryCount,
      violations: violationsOf(report.diagnostics),
    };
    return { outcome, result };
  } catch (error) {
    const failure =
      error instanceof InvalidArgumentError
        ? { exitCode: toolExitCodes.invalidInput, message: `error: Pulumi.${stack}.yaml: ${error.message}` }
        : describeFailure(error);
    return { outcome: { stack, status: "failed", exitCode: failure.exitCode, error: failure.message.replace(/^error: /, "") } };
  }
}

export async function planAllStacks(options: PlanAllOptions): Promise<StackPlanOutcome[]> {
  const outcomes: StackPlanOutcome[] = [];
  for (const stack of listStacks(options.programDir)) {
    const { outcome, result } = await planOne(stack, options);
    options.onStack?.(outcome, result);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** `✓ dev   36 resources  0 mandatory, 2 advisory`, or the error, its further lines indented. */
export function renderOutcomeLine(outcome: StackPlanOutcome, nameWidth: number): string {
  const mark = outcome.status === "passed" ? "✓" : "✗";
  const name = outcome.stack.padEnd(nameWidth);
  if (outcome.status === "failed") {
    const [first, ...rest] = (outcome.error ?? "").split("\n");
    return [`${mark} ${name}  error: ${first}`, ...rest.map((line) => `${" ".repeat(nameWidth + 4)}${line}`)].join("\n");
  }
  const mandatory = (outcome.violations ?? []).filter((v) => v.level === "mandatory").map((v) => `${v.policy}${v.urn ? ` (${describeUrn(v.urn).name})` : ""}`);
  return (
    `${mark} ${name}  ${outcome.resources} resources  ${outcome.mandatory} mandatory, ${outcome.advisory} advisory` +
    (mandatory.length > 0 ? `: ${mandatory.join(", ")}` : "")
  );
}

export function renderRunSummary(outcomes: readonly StackPlanOutcome[], elapsedMs: number): string {
  const count = (status: StackPlanOutcome["status"]) => outcomes.filter((o) => o.status === status).length;
  return `${outcomes.length} stack${outcomes.length === 1 ? "" : "s"}: ${count("passed")} passed, ${count("violation")} with mandatory violations, ${count("failed")} failed (${(elapsedMs / 1000).toFixed(1)} s)`;
}
