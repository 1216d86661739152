import { resolve } from "node:path";
import { AuditTrail } from "../audit/auditEvent";
import { stackPlanFailedEvent, stackPlannedEvents } from "../audit/planEvents";
import { stackTenantIds } from "../audit/tenantId";
import { Option, toolCommand, parseCommandLine, runTool } from "../cli/command";
import { checkOutputDirectory, checkOutputFile, writeFileAtomically } from "../cli/outputFiles";
import { secondsValue, stackNameValue } from "../cli/optionValues";
import { skipDynamicProviderSerialization } from "../mockRuntime/dynamicProviderCode";
import { defaultProgramTimeoutMs } from "../mockRuntime/runProgram";
import { listStacks } from "../mockRuntime/stackConfig";
import { describeFailure, exitCodesHelp, toolExitCodes } from "../policy/failures";
import { combinedExitCode, planAllStacks, renderOutcomeLine, renderRunSummary } from "./planAll";
import { mockNote, planStack } from "./planStack";

const command = toolCommand("npm run plan --", "Runs the stack's program offline under Pulumi's mock runtime with Pulumi.<name>.yaml, prints every resource it would create with its inputs (secrets shown as [secret]), and the report of the mail-security-baseline policy pack over them.")
  .option("--stack <name>", "the stack whose Pulumi.<name>.yaml to read", stackNameValue)
  .addOption(new Option("--all", "plan every Pulumi.<stack>.yaml of the program, one line per stack, past any stack's failure").conflicts("stack"))
  .option("--program <dir>", "the Pulumi program directory (default: this project)")
  .option("--json <file>", "also write the captured resources (secrets redacted) as JSON; with --all, each stack's outcome")
  .addOption(new Option("--out <dir>", "also write the host bundle that would ship (secret files replaced by notes)").conflicts("all"))
  .option("--policy-pack-config <file>", "policy levels and settings, as pulumi's flag of that name")
  .option("--audit-log <file>", "append the plan's infrastructure events (AuditLog JSON lines) to this file")
  .addOption(new Option("--timeout <seconds>", "how long the program may take (per stack)").argParser(secondsValue(1, 3600)).default(defaultProgramTimeoutMs / 1000))
  .option("--quiet", "print the resource tree without inputs", false)
  .addHelpText("after", `\n${exitCodesHelp}\nWith --all, the most serious of the stacks' codes: ${toolExitCodes.policyCrash}, then ${toolExitCodes.invalidInput}, then ${toolExitCodes.timeout}, then ${toolExitCodes.mandatoryViolation}.`);

interface PlanArgs {
  stack?: string;
  all?: boolean;
  program?: string;
  json?: string;
  out?: string;
  policyPackConfig?: string;
  auditLog?: string;
  timeout: number;
  quiet: boolean;
}

const userAgent = "penguinmails-plan/offline";

async function planEveryStack(programDir: string, args: PlanArgs, jsonFile: string | undefined, auditLog: string | undefined): Promise<number> {
  const started = process.hrtime.bigint();
  const trail = new AuditTrail(userAgent, undefined, stackTenantIds(programDir));
  const nameWidth = Math.min(40, Math.max(5, ...listStacks(programDir).map((stack) => stack.length)));
  console.log(`Plans of every stack in ${programDir}`);
  console.log(mockNote);
  const outcomes = await planAllStacks({
    programDir,
    policyPackConfig: args.policyPackConfig,
    timeoutMs: args.timeout * 1000,
    onStack: (outcome, result) => {
      console.log(renderOutcomeLine(outcome, nameWidth));
      if (!auditLog) return;
      if (result) for (const event of stackPlannedEvents(outcome.stack, result.run.resources.length, result.report)) trail.record(event);
      else trail.record(stackPlanFailedEvent(outcome.stack, outcome.error ?? ""));
      trail.appendNewTo(auditLog);
    },
  });
  console.log(renderRunSummary(outcomes, Number(process.hrtime.bigint() - started) / 1e6));
  if (jsonFile) writeFileAtomically(jsonFile, JSON.stringify({ programDir, stacks: outcomes }, null, 2) + "\n");
  return combinedExitCode(outcomes.map((o) => o.exitCode));
}

async function planOneStack(programDir: string, stack: string, args: PlanArgs, jsonFile: string | undefined, auditLog: string | undefined): Promise<number> {
  // Every output path is checked before the program runs: a plan never fails after printing.
  const outDir = args.out === undefined ? undefined : checkOutputDirectory("--out", args.out, "plan", jsonFile ? [{ option: "--json", file: jsonFile }] : []);
  const trail = new AuditTrail(userAgent, undefined, stackTenantIds(programDir));
  try {
    const { exitCode, result } = await planStack({ programDir, stack, policyPackConfig: args.policyPackConfig, timeoutMs: args.timeout * 1000, quiet: args.quiet, jsonFile, outDir });
    for (const event of stackPlannedEvents(stack, result.run.resources.length, result.report)) trail.record(event);
    return exitCode;
  } catch (error) {
    trail.record(stackPlanFailedEvent(stack, describeFailure(error).message.replace(/^error: /, "")));
    throw error;
  } finally {
    if (auditLog) trail.appendTo(auditLog);
  }
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), toolExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  const args = command.opts<PlanArgs>();
  if (!args.stack && !args.all) {
    console.error("error: give --stack <name> or --all (npm run plan -- --help for usage)");
    return toolExitCodes.invalidInput;
  }
  const jsonFile = args.json === undefined ? undefined : checkOutputFile("--json", args.json);
  const auditLog = args.auditLog === undefined ? undefined : checkOutputFile("--audit-log", args.auditLog);
  skipDynamicProviderSerialization();
  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  return args.stack ? planOneStack(programDir, args.stack, args, jsonFile, auditLog) : planEveryStack(programDir, args, jsonFile, auditLog);
}

runTool(main, describeFailure);
