/**
 * `npm run fleet -- preview|up|refresh|list`: the run itself, started by main.ts in a process
 * group of its own (see processGroup.ts).
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Option, parseCommandLine, toolCommand, type Command, runTool } from "../cli/command";
import { checkOutputFile, OutputPathError } from "../cli/outputFiles";
import { secondsValue } from "../cli/optionValues";
import { filesChangedSince, stacksTouchedBy } from "./changedStacks";
import { fleetExitCodes, fleetExitCodesHelp } from "./exitCodes";
import { countValue, stackListValue } from "./options";
import { operations, type Operation } from "./operations";
import { FleetInputError, selectStacks, stackMailHost } from "./stacks";

const projectDir = resolve(__dirname, "../..");

interface OperationOptions {
  readonly parallel: number;
  readonly stacks?: string[];
  readonly program?: string;
  readonly policyPack?: string;
  readonly logDir?: string;
  readonly auditLog?: string;
  readonly cancelTimeout: number;
}

interface ListOptions {
  readonly changedSince?: string;
  readonly hosts: boolean;
  readonly json: boolean;
  readonly limit?: number;
  readonly program?: string;
}

type Chosen = { readonly kind: "operation"; readonly operation: Operation; readonly options: OperationOptions } | { readonly kind: "list"; readonly options: ListOptions };

const operationHelp: Record<Operation, string> = {
  preview: "pulumi preview --diff --policy-pack <pack> on each stack",
  up: "pulumi up --diff --policy-pack <pack> on each stack (the pack's mandatory policies block the update)",
  refresh: "pulumi refresh on each stack (adopts what changed in the cloud behind Pulumi's back)",
};

function buildCommand(choose: (chosen: Chosen) => void): Command {
  const command = toolCommand(
    "npm run fleet --",
    "Runs one pulumi operation across the stacks of the program (every Pulumi.<stack>.yaml) through the Automation API and the real pulumi CLI: " +
      "a few stacks at a time, a log file per stack, a summary table at the end. One stack's failure does not stop the others; " +
      "Ctrl-C lets running stacks stop cleanly and starts no more.",
  ).addHelpText("after", `\n${fleetExitCodesHelp}`);
  for (const operation of operations) {
    command
      .command(operation)
      .description(operationHelp[operation])
      .addOption(new Option("--parallel <n>", "stacks at a time").argParser(countValue(1, 64)).default(4))
      .option("--stacks <names>", "only these stacks, separated by commas (default: every Pulumi.<stack>.yaml)", stackListValue)
      .option("--program <dir>", "the Pulumi program directory (default: this project)")
      .option("--policy-pack <dir>", "the policy pack for preview and up (default: <program>/policies)")
      .option("--log-dir <dir>", "where each stack's log goes, a new or empty directory (default: out/fleet/<operation>-<time>)")
      .option("--audit-log <file>", "append one audit event per stack outcome (JSON lines, the AuditLog shape)")
      .addOption(new Option("--cancel-timeout <seconds>", "after an interrupt, how long running stacks may take to stop before they are killed").argParser(secondsValue(1, 3600)).default(300))
      .addHelpText("after", `\n${fleetExitCodesHelp}`)
      .action((options: OperationOptions) => choose({ kind: "operation", operation, options }));
  }
  command
    .command("list")
    .description("prints the stacks, one a line (for scripts and CI matrices)")
    .option("--changed-since <ref>", "only stacks a change since this git revision touches (a Pulumi.<stack>.yaml its stack; any program file every stack)")
    .option("--hosts", "print each stack's mail host (mail.<domain>) after its name", false)
    .option("--json", "print a JSON array (of names, or of {stack, host} with --hosts)", false)
    .addOption(new Option("--limit <n>", "print at most n stacks (the rest are named on stderr)").argParser(countValue(1, 100000)))
    .option("--program <dir>", "the Pulumi program directory (default: this project)")
    .action((options: ListOptions) => choose({ kind: "list", options }));
  return command;
}

function list(options: ListOptions): number {
  const programDir = resolve(options.program ?? projectDir);
  const stacks = selectStacks(programDir, undefined);
  const chosen = options.changedSince === undefined ? stacks : stacksTouchedBy(filesChangedSince(programDir, options.changedSince), stacks);
  const shown = options.limit === undefined ? chosen : chosen.slice(0, options.limit);
  if (shown.length < chosen.length) console.error(`${chosen.length - shown.length} more stack(s) not listed (--limit ${options.limit}): ${chosen.slice(shown.length, shown.length + 10).join(", ")}${chosen.length - shown.length > 10 ? ", ..." : ""}`);
  const rows = shown.map((stack) => ({ stack, host: options.hosts ? stackMailHost(programDir, stack) : undefined }));
  if (options.json) console.log(JSON.stringify(options.hosts ? rows : shown));
  else for (const row of rows) console.log(row.host === undefined ? row.stack : `${row.stack} ${row.host}`);
  return fleetExitCodes.ok;
}

/** Checks every input, then runs: a mistake is reported before the SDK takes seconds to load. */
function operate(operation: Operation, options: OperationOptions): Promise<number> {
  const programDir = resolve(options.program ?? projectDir);
  const stacks = selectStacks(programDir, options.stacks);
  const policyPack = resolve(programDir, options.policyPack ?? "policies");
  if (operation !== "refresh" && !existsSync(join(policyPack, "PulumiPolicy.yaml"))) throw new FleetInputError(`--policy-pack ${policyPack}: no PulumiPolicy.yaml there`);
  const auditLog = options.auditLog === undefined ? undefined : checkOutputFile("--audit-log", options.auditLog);
  const { runOperation } = require("./fleetOperation") as typeof import("./fleetOperation");
  return runOperation({ operation, programDir, projectDir, stacks, parallel: options.parallel, policyPack, logDir: options.logDir, auditLog, cancelTimeoutSeconds: options.cancelTimeout });
}

async function main(): Promise<number> {
  let chosen: Chosen | undefined;
  const command = buildCommand((choice) => (chosen = choice));
  const parsed = parseCommandLine(command, process.argv.slice(2), fleetExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  if (chosen === undefined) {
    console.error("error: name an operation: preview, up, refresh or list (npm run fleet -- --help for usage)");
    return fleetExitCodes.invalidInput;
  }
  return chosen.kind === "list" ? list(chosen.options) : operate(chosen.operation, chosen.options);
}

function describeFailure(error: unknown): { exitCode: number; message: string } {
  if (error instanceof OutputPathError) return { exitCode: fleetExitCodes.outputPath, message: `error: ${error.message}` };
  // StackConfigError by name: its module loads the Pulumi SDK, which a usage error should not wait for.
  if (error instanceof FleetInputError || (error instanceof Error && error.name === "StackConfigError")) return { exitCode: fleetExitCodes.invalidInput, message: `error: ${error.message}` };
  return { exitCode: fleetExitCodes.crashed, message: `internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` };
}

runTool(main, describeFailure);
