/**
 * One operation on one stack through the Automation API, which drives the real `pulumi` CLI in the
 * program directory: its output goes to the stack's log file, its result summary comes back.
 */

import { createWriteStream, type WriteStream } from "node:fs";
import { LocalWorkspace, type OpMap, type PulumiCommand } from "@pulumi/pulumi/automation";
import type { Operation } from "./operations";

export type StackStatus = "succeeded" | "failed" | "cancelled" | "not started";

export interface StackOutcome {
  readonly stack: string;
  readonly status: StackStatus;
  /** What the operation changed (or, for a preview, would change), by Pulumi's step kinds. */
  readonly changes?: OpMap;
  /** One line: why it failed. */
  readonly error?: string;
  readonly durationMs?: number;
  readonly logFile?: string;
}

export interface StackOperationRequest {
  readonly stack: string;
  readonly operation: Operation;
  readonly programDir: string;
  readonly pulumi: PulumiCommand;
  /** The policy pack directory every preview and up runs, as `--policy-pack` (refresh runs none). */
  readonly policyPack: string;
  readonly logFile: string;
  /** Asked after selecting the stack: once the fleet is cancelled, no operation starts. */
  readonly cancelled: () => boolean;
}

/** The first line of the CLI's own error, without the SDK's wrapping of the command result. */
export function describeOperationError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // The SDK wraps a failed command's result in its message, twice: the innermost stderr is the CLI's.
  const innermost = text.lastIndexOf("\n stderr: ");
  const stderr = innermost < 0 ? text : text.slice(innermost + "\n stderr: ".length).split("\n err?:")[0]!;
  const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  const errorLine = lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? "failed";
  return errorLine.length > 300 ? `${errorLine.slice(0, 297)}...` : errorLine;
}

function closeLog(log: WriteStream, line: string): Promise<void> {
  return new Promise((resolve) => log.end(line, () => resolve()));
}

async function runOperation(request: StackOperationRequest, write: (text: string) => void): Promise<OpMap | "cancelled"> {
  const { stack, operation, programDir, pulumi, policyPack } = request;
  const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: programDir }, { pulumiCommand: pulumi, envVars: { PULUMI_SKIP_UPDATE_CHECK: "true" } });
  if (request.cancelled()) return "cancelled";
  const output = { onOutput: write, onError: write, color: "never" as const };
  switch (operation) {
    case "preview":
      return (await selected.preview({ ...output, diff: true, policyPacks: [policyPack] })).changeSummary;
    case "up":
      // showSecrets: false keeps secret config out of the history the SDK reads back for the summary.
      return (await selected.up({ ...output, diff: true, policyPacks: [policyPack], showSecrets: false })).summary.resourceChanges ?? {};
    case "refresh":
      return (await selected.refresh({ ...output, showSecrets: false })).summary.resourceChanges ?? {};
  }
}

/** Runs the operation; never throws: every way it ends is an outcome, written at the log's end. */
export async function runStackOperation(request: StackOperationRequest): Promise<StackOutcome> {
  const started = Date.now();
  const log = createWriteStream(request.logFile, { flags: "wx", mode: 0o640 });
  const logOpened = new Promise<Error | undefined>((resolve) => {
    log.once("open", () => resolve(undefined));
    log.once("error", (error) => resolve(error));
  });
  const openError = await logOpened;
  if (openError) return { stack: request.stack, status: "failed", error: `cannot write the log ${request.logFile}: ${openError.message}` };
  log.write(`# pulumi ${request.operation} of stack ${request.stack}, started ${new Date(started).toISOString()}\n`);
  const base = { stack: request.stack, logFile: request.logFile };
  try {
    const changes = await runOperation(request, (text) => log.write(text));
    const durationMs = Date.now() - started;
    if (changes === "cancelled") {
      await closeLog(log, `\n# cancelled before ${request.operation} started\n`);
      return { ...base, status: "cancelled", durationMs };
    }
    await closeLog(log, `\n# ${request.operation} succeeded in ${(durationMs / 1000).toFixed(1)} s\n`);
    return { ...base, status: "succeeded", changes, durationMs };
  } catch (error) {
    const durationMs = Date.now() - started;
    const message = describeOperationError(error);
    const status = request.cancelled() ? "cancelled" : "failed";
    await closeLog(log, `\n# ${request.operation} ${status} after ${(durationMs / 1000).toFixed(1)} s: ${message}\n`);
    return { ...base, status, error: message, durationMs };
  }
}
