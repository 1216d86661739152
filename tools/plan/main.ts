import { resolve } from "node:path";
import { Option, toolCommand, parseCommandLine } from "../cli/command";
import { checkOutputDirectory, checkOutputFile, writeDirectoryAtomically, writeFileAtomically } from "../cli/outputFiles";
import { secondsValue, stackNameValue } from "../cli/optionValues";
import { readableBundleTree } from "../../hostBundle/format/bundleTree";
import { defaultProgramTimeoutMs } from "../mockRuntime/runProgram";
import { redactSecrets } from "../mockRuntime/secrets";
import { readStackConfig } from "../mockRuntime/stackConfig";
import { describeFailure, exitCodesHelp, toolExitCodes } from "../policy/failures";
import { renderPolicyReport, renderPolicySummary } from "../policy/render";
import { runPolicyCheck } from "../policy/runPolicyCheck";
import { plannedHostBundle } from "./plannedHostBundle";
import { renderOutputs, renderPlanTree } from "./renderPlanTree";

/** Mock ids and addresses make a plan deterministic; say so, so nobody copies them. */
const mockNote = "(offline plan: ids and addresses are deterministic stand-ins from 192.0.2.0/24 and 2001:db8::/32; one key per algorithm)";

const command = toolCommand("npm run plan --", "Runs the stack's program offline under Pulumi's mock runtime with Pulumi.<name>.yaml, prints every resource it would create with its inputs (secrets shown as [secret]), and the report of the mail-security-baseline policy pack over them.")
  .requiredOption("--stack <name>", "the stack whose Pulumi.<name>.yaml to read", stackNameValue)
  .option("--program <dir>", "the Pulumi program directory (default: this project)")
  .option("--json <file>", "also write the captured resources (secrets redacted) as JSON")
  .option("--out <dir>", "also write the host bundle that would ship (secret files replaced by notes)")
  .option("--policy-pack-config <file>", "policy levels and settings, as pulumi's flag of that name")
  .addOption(new Option("--timeout <seconds>", "how long the program may take").argParser(secondsValue(1, 3600)).default(defaultProgramTimeoutMs / 1000))
  .option("--quiet", "print the resource tree without inputs", false)
  .addHelpText("after", `\n${exitCodesHelp}`);

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), toolExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  const args = command.opts<{ stack: string; program?: string; json?: string; out?: string; policyPackConfig?: string; timeout: number; quiet: boolean }>();
  // Every output path is checked before the program runs: a plan never fails after printing.
  const jsonFile = args.json === undefined ? undefined : checkOutputFile("--json", args.json);
  const outDir = args.out === undefined ? undefined : checkOutputDirectory("--out", args.out, "plan", jsonFile ? [{ option: "--json", file: jsonFile }] : []);

  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  const { run: result, report } = await runPolicyCheck({ programDir, stack: args.stack, configFile: args.policyPackConfig, timeoutMs: args.timeout * 1000 });
  const bundle = outDir ? plannedHostBundle(result, readStackConfig(programDir, args.stack)) : undefined;
  console.log(`Plan of stack ${result.stack} (project ${result.project}): ${result.resources.length} resources to create`);
  console.log(mockNote);
  console.log("");
  console.log(renderPlanTree(result.resources, { showInputs: !args.quiet }));
  console.log("");
  console.log("Outputs:");
  console.log(renderOutputs(result.outputs));
  console.log("");
  console.log(renderPolicyReport(report, { resources: result.resources }));
  console.log(renderPolicySummary(report));

  if (jsonFile) {
    const captured = {
      project: result.project,
      stack: result.stack,
      resources: result.resources.map((r) => redactSecrets(r)),
      outputs: redactSecrets(result.outputs),
    };
    writeFileAtomically(jsonFile, JSON.stringify(captured, null, 2) + "\n");
    console.log(`\nWrote ${result.resources.length} resources to ${jsonFile}`);
  }
  if (outDir && bundle) {
    const tree = readableBundleTree(bundle);
    writeDirectoryAtomically(outDir, tree, "plan");
    console.log(`\nWrote the host bundle (${tree.length} files, secrets left out) to ${outDir}`);
  }
  return report.mandatoryCount > 0 ? toolExitCodes.mandatoryViolation : toolExitCodes.ok;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { exitCode, message } = describeFailure(error);
    console.error(message);
    process.exit(exitCode);
  },
);
