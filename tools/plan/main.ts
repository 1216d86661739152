import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { redactSecrets } from "../mockRuntime/secrets";
import { readStackConfig, StackConfigError } from "../mockRuntime/stackConfig";
import { PolicyCrashError } from "../policy/evaluate";
import { PolicyConfigError } from "../policy/packConfig";
import { renderPolicyReport, renderPolicySummary } from "../policy/render";
import { ProgramError, runPolicyCheck } from "../policy/runPolicyCheck";
import { renderOutputs, renderPlanTree } from "./renderPlanTree";
import { writePlannedHostBundle } from "./writePlannedHostBundle";

const usage = `usage: npm run plan -- --stack <name> [--program DIR] [--json FILE] [--out DIR] [--policy-pack-config FILE] [--quiet]

Runs the stack's program offline under Pulumi's mock runtime with Pulumi.<name>.yaml, prints
every resource it would create with its inputs (secrets shown as [secret]), and the report of
the mail-security-baseline policy pack over them.
  --stack NAME   the stack whose Pulumi.NAME.yaml to read (required)
  --program DIR  the Pulumi program directory (default: this project)
  --json FILE    also write the captured resources (secrets redacted) as JSON
  --out DIR      also write the host bundle that would ship (secret files replaced by notes)
  --policy-pack-config FILE   policy levels and settings, as pulumi's flag of that name
  --quiet        print the resource tree without inputs
Exit codes: 0 planned, 1 a mandatory policy violation, 2 invalid config or a failing program.`;

/** Mock ids and addresses make a plan deterministic; say so, so nobody copies them. */
const mockNote = "(offline plan: ids and addresses are deterministic stand-ins from 192.0.2.0/24 and 2001:db8::/32; one key per algorithm)";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: "string" },
        program: { type: "string" },
        json: { type: "string" },
        out: { type: "string" },
        "policy-pack-config": { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  if (!args.stack) {
    console.error(`--stack is required\n\n${usage}`);
    return 2;
  }

  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  const { run: result, report } = await runPolicyCheck({ programDir, stack: args.stack, configFile: args["policy-pack-config"] });
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

  if (args.json) {
    const captured = {
      project: result.project,
      stack: result.stack,
      resources: result.resources.map((r) => redactSecrets(r)),
      outputs: redactSecrets(result.outputs),
    };
    writeFileSync(args.json, JSON.stringify(captured, null, 2) + "\n");
    console.log(`\nWrote ${result.resources.length} resources to ${args.json}`);
  }
  if (args.out) {
    const written = writePlannedHostBundle(result, readStackConfig(programDir, args.stack), args.out);
    console.log(`\nWrote the host bundle (${written.length} files, secrets left out) to ${args.out}`);
  }
  return report.mandatoryCount > 0 ? 1 : 0;
}

/** User errors (bad config, missing stack file) print their message alone; anything else is a bug. */
function reportFailure(err: unknown): number {
  if (pulumi.RunError.isInstance(err) || [StackConfigError, ProgramError, PolicyConfigError].some((type) => err instanceof type)) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  if (err instanceof PolicyCrashError) {
    console.error(`error: ${err.message}`);
    return 3;
  }
  console.error(err);
  return 1;
}

main().then((code) => process.exit(code), (err) => process.exit(reportFailure(err)));
