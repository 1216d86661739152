/**
 * One operation (preview, up, refresh) across the stacks: the pulumi CLI found once, a log
 * directory, the lanes, Ctrl-C, a progress line and an audit event per stack, the summary.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { AuditTrail } from "../audit/auditEvent";
import { stackTenantIds } from "../audit/tenantId";
import { stackAuditEvent } from "./auditEvents";
import { FleetCancellation } from "./cancellation";
import { fleetExitCodes } from "./exitCodes";
import { defaultLogDirectory, prepareLogDirectory, stackLogFile } from "./logDirectory";
import type { Operation } from "./operations";
import { renderProgressLine, renderSummary } from "./renderSummary";
import { runFleet } from "./runFleet";
import { describeOperationError, runStackOperation } from "./stackOperation";
import { FleetInputError } from "./stacks";

/** A run's inputs, every one checked (worker.ts) before this module loads the SDK. */
export interface FleetRequest {
  readonly operation: Operation;
  readonly programDir: string;
  readonly projectDir: string;
  readonly stacks: readonly string[];
  readonly parallel: number;
  readonly policyPack: string;
  readonly logDir?: string;
  readonly auditLog?: string;
  readonly cancelTimeoutSeconds: number;
}

/** The CLI the Automation API will drive, checked once for the whole run. */
async function findPulumi(): Promise<PulumiCommand> {
  try {
    return await PulumiCommand.get();
  } catch (error) {
    const reason = describeOperationError(error);
    if (/ENOENT/.test(reason)) throw new FleetInputError("no pulumi CLI on PATH: install it (https://www.pulumi.com/docs/install/) and try again");
    throw new FleetInputError(`the pulumi CLI cannot be used: ${reason}`);
  }
}

function packageVersion(projectDir: string): string {
  return (JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as { version: string }).version;
}

export async function runOperation(request: FleetRequest): Promise<number> {
  const { operation, programDir, projectDir, stacks, policyPack, auditLog } = request;
  const cancellation = new FleetCancellation({ graceMs: request.cancelTimeoutSeconds * 1000, report: (line) => console.error(line) });
  const interrupt = () => cancellation.interrupt();
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);

  const pulumi = await findPulumi();
  const logDir = prepareLogDirectory("--log-dir", request.logDir ?? defaultLogDirectory(operation));
  const trail = new AuditTrail(`penguinmails-fleet/${packageVersion(projectDir)} (pulumi ${pulumi.version?.toString() ?? "unknown"})`, undefined, stackTenantIds(programDir));
  let auditError: string | undefined;
  console.log(`pulumi ${operation} on ${stacks.length} stack${stacks.length === 1 ? "" : "s"}, ${Math.min(request.parallel, stacks.length)} at a time; logs in ${logDir}`);

  let settled = 0;
  const outcomes = await runFleet({
    stacks,
    parallel: request.parallel,
    cancelled: () => cancellation.cancelled,
    runStack: (stack) => runStackOperation({ stack, operation, programDir, pulumi, policyPack, logFile: stackLogFile(logDir, stack), cancelled: () => cancellation.cancelled }),
    onOutcome: (outcome) => {
      console.log(renderProgressLine(operation, outcome, ++settled, stacks.length));
      const event = stackAuditEvent(operation, outcome);
      if (!auditLog || !event) return;
      trail.record(event);
      try {
        trail.appendNewTo(auditLog);
      } catch (error) {
        auditError ??= `error: --audit-log ${auditLog}: cannot append (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      }
    },
  });
  cancellation.finish();
  process.off("SIGINT", interrupt);
  process.off("SIGTERM", interrupt);

  console.log("");
  console.log(renderSummary(operation, outcomes));
  if (auditError) console.error(auditError);
  if (cancellation.cancelled) return fleetExitCodes.interrupted;
  if (outcomes.some((outcome) => outcome.status !== "succeeded")) return fleetExitCodes.stackFailed;
  return auditError ? fleetExitCodes.outputPath : fleetExitCodes.ok;
}
