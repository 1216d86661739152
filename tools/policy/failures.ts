/**
 * How the plan and policy tools end: one exit code per kind of outcome, and for a failure one
 * message without a stack trace (only a crash of our own code prints one: that is a bug to report).
 */

import * as pulumi from "@pulumi/pulumi";
import { OutputPathError } from "../cli/outputFiles";
import { StackConfigError } from "../mockRuntime/stackConfig";
import { PolicyCrashError } from "./evaluate";
import { PolicyConfigError } from "./packConfig";
import { ProgramTimeoutError } from "../mockRuntime/runProgram";
import { ProgramError } from "./runPolicyCheck";

export const toolExitCodes = {
  ok: 0,
  /** The pack reported a mandatory violation. */
  mandatoryViolation: 1,
  /** Bad arguments, stack config, policy config, or a program that fails. */
  invalidInput: 2,
  /** A policy threw: a bug in the pack. */
  policyCrash: 3,
  /** An output path (--json, --out) cannot be written. */
  outputPath: 4,
  /** The program did not finish within --timeout. */
  timeout: 5,
} as const;

export const exitCodesHelp = [
  "Exit codes:",
  `  ${toolExitCodes.ok} no mandatory violation`,
  `  ${toolExitCodes.mandatoryViolation} a mandatory policy violation`,
  `  ${toolExitCodes.invalidInput} invalid arguments, config or program`,
  `  ${toolExitCodes.policyCrash} a policy crashed`,
  `  ${toolExitCodes.outputPath} an output path cannot be written`,
  `  ${toolExitCodes.timeout} the program did not finish in time`,
].join("\n");

export function describeFailure(error: unknown): { exitCode: number; message: string } {
  if (error instanceof OutputPathError) return { exitCode: toolExitCodes.outputPath, message: `error: ${error.message}` };
  if (error instanceof ProgramTimeoutError) return { exitCode: toolExitCodes.timeout, message: `error: ${error.message}` };
  if (pulumi.RunError.isInstance(error) || [StackConfigError, ProgramError, PolicyConfigError].some((type) => error instanceof type)) {
    return { exitCode: toolExitCodes.invalidInput, message: `error: ${(error as Error).message}` };
  }
  if (error instanceof PolicyCrashError) return { exitCode: toolExitCodes.policyCrash, message: `error: ${error.message}` };
  return { exitCode: toolExitCodes.policyCrash, message: `internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` };
}
