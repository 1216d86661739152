import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "../mockRuntime/stackConfig";
import { PolicyCrashError, type PolicyReport } from "./evaluate";
import { PolicyConfigError } from "./packConfig";
import { describeUrn, renderPolicyReport, renderPolicySummary } from "./render";
import { describeProgramError, ProgramError, runPolicyCheck } from "./runPolicyCheck";

const usage = `usage: npm run policy -- --stack <name> [--program DIR] [--config FILE] [--preview] [--json FILE]

Runs a Pulumi TypeScript program offline under Pulumi's mock runtime with Pulumi.<name>.yaml and
evaluates the mail-security-baseline policy pack (policies/) over every resource it registers, as
\`pulumi preview --policy-pack policies\` would.
  --stack NAME     the stack whose Pulumi.NAME.yaml to read (required)
  --program DIR    the Pulumi program directory (default: this project)
  --config FILE    policy pack config, as --policy-pack-config: {"<policy>": "<level>" | {"enforcementLevel": ..., <setting>: ...}}
  --preview        leave what providers compute (ids, addresses, generated keys) unknown, as a real preview does
  --json FILE      also write the report as JSON
Exit codes: 0 no mandatory violation, 1 mandatory violations, 2 invalid arguments, config or program, 3 a policy crashed.`;

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
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: "string" },
        program: { type: "string" },
        config: { type: "string" },
        "policy-pack-config": { type: "string" },
        preview: { type: "boolean", default: false },
        json: { type: "string" },
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
  const configFile = args.config ?? args["policy-pack-config"];
  const { run, report } = await runPolicyCheck({ programDir, stack: args.stack, configFile, preview: args.preview });

  console.log(`Policy check of stack ${run.stack} (project ${run.project}): ${run.resources.length} resources`);
  console.log(offlineNote(args.preview));
  console.log("");
  console.log(renderPolicyReport(report, { resources: run.resources }));
  console.log("");
  console.log(renderPolicySummary(report));
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(reportJson(report, run.project, run.stack, args.preview), null, 2) + "\n");
  }
  return report.mandatoryCount > 0 ? 1 : 0;
}

/** User errors print their message alone (exit 2); a crashing policy is a bug in the pack (exit 3). */
function reportFailure(err: unknown): number {
  if (err instanceof PolicyConfigError || err instanceof StackConfigError || err instanceof ProgramError) {
    console.error(`error: ${err.message}`);
    return 2;
  }
  if (pulumi.RunError.isInstance(err)) {
    console.error(`error: ${(err as Error).message}`);
    return 2;
  }
  if (err instanceof PolicyCrashError) {
    console.error(`error: ${err.message}`);
    return 3;
  }
  console.error(err);
  return 3;
}

// An apply callback that throws rejects a promise nobody awaits: it is still the program failing.
// While the program runs, runPolicyCheck listens for that itself and reports it with the program's
// name; this catches what comes later.
process.on("unhandledRejection", (reason) => {
  if (process.listenerCount("unhandledRejection") > 1) return;
  console.error(`error: the program failed: ${describeProgramError(reason, process.cwd())}`);
  process.exit(2);
});

main().then((code) => process.exit(code), (err) => process.exit(reportFailure(err)));
