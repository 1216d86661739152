import { resolve } from "node:path";
import { Option, parseCommandLine, toolCommand, runTool } from "../cli/command";
import { checkOutputFile, writeFileAtomically } from "../cli/outputFiles";
import { secondsValue, stackNameValue } from "../cli/optionValues";
import { defaultProgramTimeoutMs } from "../mockRuntime/runProgram";
import type { PolicyReport } from "./evaluate";
import { describeFailure, exitCodesHelp, toolExitCodes } from "./failures";
import { describeUrn, renderPolicyReport, renderPolicySummary } from "./render";
import { describeProgramError, runPolicyCheck } from "./runPolicyCheck";

const command = toolCommand(
  "npm run policy --",
  "Runs a Pulumi TypeScript program offline under Pulumi's mock runtime with Pulumi.<name>.yaml and evaluates the mail-security-baseline " +
    "policy pack (policies/) over every resource it registers, as `pulumi preview --policy-pack policies` would. The program is type-checked " +
    "first, as pulumi preview does.",
)
  .requiredOption("--stack <name>", "the stack whose Pulumi.<name>.yaml to read", stackNameValue)
  .option("--program <dir>", "the Pulumi program directory (default: this project)")
  .option("--config <file>", 'policy pack config, as --policy-pack-config: {"<policy>": "<level>" | {"enforcementLevel": ..., <setting>: ...}}')
  .addOption(new Option("--policy-pack-config <file>", "the same as --config").hideHelp())
  .option("--preview", "leave what providers compute (ids, addresses, generated keys) unknown, as a real preview does", false)
  .option("--json <file>", "also write the report as JSON")
  .addOption(new Option("--timeout <seconds>", "how long the program may take").argParser(secondsValue(1, 3600)).default(defaultProgramTimeoutMs / 1000))
  .option("--no-type-check", "run the program without checking its types first")
  .addHelpText("after", `\n${exitCodesHelp}`);

const offlineNote = (preview: boolean) =>
  preview
    ? "(offline preview: values providers compute are unknown, so policies that need them report that they cannot run)"
    : "(offline: provider-computed values are deterministic stand-ins from the mock runtime)";

function reportJson(report: PolicyReport, project: string, stack: string, preview: boolean): unknown {
  return {
    project,
    stack,
    preview,
    policyPack: { name: report.policyPackName, version: report.policyPackVersion },
    summary: {
      mandatory: report.mandatoryCount,
      advisory: report.advisoryCount,
      remediated: report.remediations.length,
      notApplicable: report.notApplicableCount,
      resources: report.resourceCount,
      policies: report.policyCount,
      policy_ms: Math.round(report.elapsedMs * 10) / 10,
    },
    diagnostics: report.diagnostics.map((diagnostic) => ({
      ...diagnostic,
      ...(diagnostic.urn ? { resourceType: describeUrn(diagnostic.urn).type, resourceName: describeUrn(diagnostic.urn).name } : {}),
    })),
    remediations: report.remediations,
  };
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), toolExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  const args = command.opts<{ stack: string; program?: string; config?: string; policyPackConfig?: string; preview: boolean; json?: string; timeout: number; typeCheck: boolean }>();
  const jsonFile = args.json === undefined ? undefined : checkOutputFile("--json", args.json);
  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  const configFile = args.config ?? args.policyPackConfig;
  const { run, report } = await runPolicyCheck({ programDir, stack: args.stack, configFile, preview: args.preview, typeCheck: args.typeCheck, timeoutMs: args.timeout * 1000 });

  console.log(`Policy check of stack ${run.stack} (project ${run.project}): ${run.resources.length} resources`);
  console.log(offlineNote(args.preview));
  console.log("");
  console.log(renderPolicyReport(report, { resources: run.resources }));
  console.log("");
  console.log(renderPolicySummary(report));
  if (jsonFile) writeFileAtomically(jsonFile, JSON.stringify(reportJson(report, run.project, run.stack, args.preview), null, 2) + "\n");
  return report.mandatoryCount > 0 ? toolExitCodes.mandatoryViolation : toolExitCodes.ok;
}

// An apply callback that throws rejects a promise nobody awaits: it is still the program failing.
// While the program runs, runPolicyCheck listens for that itself and reports it with the program's
// name; this catches what comes later.
process.on("unhandledRejection", (reason) => {
  if (process.listenerCount("unhandledRejection") > 1) return;
  console.error(`error: the program failed: ${describeProgramError(reason, process.cwd())}`);
  process.exit(toolExitCodes.invalidInput);
});

runTool(main, describeFailure);
