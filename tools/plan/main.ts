import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { runProgramWithMocks } from "../mockRuntime/runProgram";
import { redactSecrets } from "../mockRuntime/secrets";
import { StackConfigError } from "../mockRuntime/stackConfig";
import { renderOutputs, renderPlanTree } from "./renderPlanTree";

const usage = `usage: npm run plan -- --stack <name> [--program DIR] [--json FILE] [--quiet]

Runs the stack's program offline under Pulumi's mock runtime with Pulumi.<name>.yaml and prints
every resource it would create, with its inputs (secrets shown as [secret]).
  --stack NAME   the stack whose Pulumi.NAME.yaml to read (required)
  --program DIR  the Pulumi program directory (default: this project)
  --json FILE    also write the captured resources (secrets redacted) as JSON
  --quiet        print the resource tree without inputs
Exit codes: 0 planned, 2 invalid config or program error.`;

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
  const result = await runProgramWithMocks({ programDir, stack: args.stack });
  console.log(`Plan of stack ${result.stack} (project ${result.project}): ${result.resources.length} resources to create`);
  console.log(mockNote);
  console.log("");
  console.log(renderPlanTree(result.resources, { showInputs: !args.quiet }));
  console.log("");
  console.log("Outputs:");
  console.log(renderOutputs(result.outputs));

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
  return 0;
}

/** User errors (bad config, missing stack file) print their message alone; anything else is a bug. */
function reportFailure(err: unknown): number {
  if (err instanceof pulumi.RunError || err instanceof StackConfigError || pulumi.RunError.isInstance(err)) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  console.error(err);
  return 1;
}

main().then((code) => process.exit(code), (err) => process.exit(reportFailure(err)));
