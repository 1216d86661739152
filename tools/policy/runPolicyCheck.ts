/**
 * A Pulumi TypeScript program run offline under the mock runtime with one of its stacks, and the
 * policy pack evaluated over everything it registered: what `pulumi preview --policy-pack policies`
 * would report, without the CLI, plugins or a cloud account.
 */

import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Policy } from "@pulumi/policy";
import { mailSecurityPolicies } from "../../policies/pack";
import { entryPointPath, ProgramTimeoutError, runProgramWithMocks, type MockRunResult } from "../mockRuntime/runProgram";
import { StackConfigError } from "../mockRuntime/stackConfig";
import { readYamlMapping, YamlFileError } from "../mockRuntime/yamlFile";
import { evaluatePolicies, type EvaluateOptions, type PolicyReport } from "./evaluate";
import { readPolicyPackConfigFile, resolvePolicyPackConfig, type GivenPackConfig } from "./packConfig";
import { previewMocks } from "./previewMocks";
import { ProgramTypeError, typeCheckProgram } from "./typeCheckProgram";

export interface PolicyCheckOptions {
  /** Directory with Pulumi.yaml, the stack file and the program's entry point. */
  readonly programDir: string;
  readonly stack: string;
  /** A `--policy-pack-config` JSON file. */
  readonly configFile?: string;
  /** Or the config itself (wins over configFile). */
  readonly config?: GivenPackConfig;
  /** As a preview: what providers compute (ids, addresses, keys) stays unknown. */
  readonly preview?: boolean;
  readonly policies?: readonly Policy[];
  /** Check the program's types first, as `pulumi preview` does; a type error stops the run. */
  readonly typeCheck?: boolean;
  /** How long the program may take; default runProgramWithMocks's. */
  readonly timeoutMs?: number;
}

export interface PolicyCheckResult {
  readonly run: MockRunResult;
  readonly report: PolicyReport;
  /** The program's run under the mocks, in milliseconds. */
  readonly programMs: number;
}

/** The program itself failed (threw, or read config the stack does not set): a user error. */
export class ProgramError extends Error {
  override name = "ProgramError";
}

/** The tags the CLI gives a stack of a local backend, from Pulumi.yaml. */
export function projectStackTags(programDir: string): Record<string, string> {
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((name) => join(programDir, name)).find(existsSync);
  if (!file) return {};
  let project: { name?: unknown; runtime?: unknown; description?: unknown };
  try {
    project = readYamlMapping(file);
  } catch (error) {
    if (error instanceof YamlFileError) throw new StackConfigError(error.message);
    throw error;
  }
  const tags: Record<string, string> = {};
  if (typeof project.name === "string") tags["pulumi:project"] = project.name;
  const runtime = typeof project.runtime === "object" && project.runtime !== null ? (project.runtime as { name?: unknown }).name : project.runtime;
  if (typeof runtime === "string") tags["pulumi:runtime"] = runtime;
  if (typeof project.description === "string") tags["pulumi:description"] = project.description;
  return tags;
}

/** Where in the program an error was thrown: the first stack frame inside the program's directory. */
function programLocation(error: Error, programDir: string): string | undefined {
  for (const line of (error.stack ?? "").split("\n").slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const file = match[1].replace(/^file:\/\//, "");
    if (file.startsWith(resolve(programDir)) && !file.includes("/node_modules/")) return `${relative(process.cwd(), file)}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

export function describeProgramError(error: unknown, programDir: string): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message;
  const location = programLocation(error, programDir);
  return `${message}${location ? ` (at ${location})` : ""}`;
}

/** Runs the program and evaluates the pack; config errors are found before the program runs. */
export async function runPolicyCheck(options: PolicyCheckOptions, evaluate: Omit<EvaluateOptions, "config" | "policies"> = {}): Promise<PolicyCheckResult> {
  const policies = options.policies ?? mailSecurityPolicies;
  const config = options.config ?? (options.configFile ? readPolicyPackConfigFile(options.configFile) : {});
  const configSource = options.config ? "policy pack config" : options.configFile;
  resolvePolicyPackConfig(policies, config, evaluate.packEnforcementLevel, configSource);

  const programDir = resolve(options.programDir);
  if (options.typeCheck) {
    try {
      typeCheckProgram(programDir, entryPointPath(programDir));
    } catch (error) {
      if (error instanceof ProgramTypeError) throw new ProgramError(`the program in ${relative(process.cwd(), programDir) || "."} ${error.message.replace(/^the program /, "")}`);
      throw error;
    }
  }
  const started = process.hrtime.bigint();
  let run: MockRunResult;
  try {
    run = await runProgramWithMocks({
      programDir,
      stack: options.stack,
      preview: options.preview ?? false,
      mocks: options.preview ? previewMocks : undefined,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (error) {
    // A RunError is the program's own message for the user (invalid or missing config): shown as is.
    if (error instanceof StackConfigError || error instanceof ProgramTimeoutError || pulumi.RunError.isInstance(error)) throw error;
    throw new ProgramError(`the program in ${relative(process.cwd(), programDir) || "."} failed: ${describeProgramError(error, programDir)}`);
  }
  const programMs = Number(process.hrtime.bigint() - started) / 1e6;
  const report = await evaluatePolicies(run.resources, {
    ...evaluate,
    policies,
    config,
    configSource,
    stackTags: evaluate.stackTags ?? projectStackTags(programDir),
  });
  return { run, report, programMs };
}
