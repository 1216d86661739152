import { resolve } from "node:path";
import { AuditTrail } from "../audit/auditEvent";
import { diffOutcomeEvents } from "../audit/diffEvents";
import { stackTenantIds } from "../audit/tenantId";
import { Option, parseCommandLine, toolCommand, runTool } from "../cli/command";
import { checkOutputFile, OutputPathError, writeFileAtomically } from "../cli/outputFiles";
import { secondsValue, stackNameValue } from "../cli/optionValues";
import { skipDynamicProviderSerialization } from "../mockRuntime/dynamicProviderCode";
import { defaultProgramTimeoutMs } from "../mockRuntime/runProgram";
import { StackConfigError } from "../mockRuntime/stackConfig";
import { describeFailure } from "../policy/failures";
import { BaseTreeError, changedPaths, defaultBaseBranches, materializeBase, resolveBase, type BaseTree } from "./baseTree";
import { stackJson } from "./diffJson";
import { diffStacks, stacksOfBothTrees, type StackOutcome } from "./diffStacks";
import { PullRequestComment } from "./renderMarkdown";
import { renderStackDiff } from "./renderText";

export const diffExitCodes = { unchanged: 0, changed: 1, error: 2 } as const;

const command = toolCommand(
  "npm run diff --",
  "Plans a stack offline at a base git ref and in the working tree, and shows what `pulumi preview --diff` would: resources created, deleted, updated " +
    "(each changed input, secrets as [secret]) and replaced (with the input that forces it), the loud changes (droplet, DKIM key, certificate key), " +
    "a unified diff of every host file and DNS record that changes, and both policy reports with the violations the change brings.",
)
  .option("--stack <name>", "the stack whose Pulumi.<name>.yaml to diff", stackNameValue)
  .addOption(new Option("--all", "diff every Pulumi.<stack>.yaml of either side, past any stack's failure").conflicts("stack"))
  .option("--base <ref>", `the git ref to compare with (default: the merge base of HEAD with ${defaultBaseBranches.join(", else ")})`)
  .option("--program <dir>", "the Pulumi program directory, inside a git repository (default: this project)")
  .option("--markdown <file>", "also write the diff as a pull-request comment (Markdown)")
  .option("--json <file>", "also write the diff as JSON")
  .option("--audit-log <file>", "append the diff's infrastructure events (AuditLog JSON lines) to this file")
  .option("--policy-pack-config <file>", "policy levels and settings for both sides, as pulumi's flag of that name")
  .addOption(new Option("--timeout <seconds>", "how long each side's program may take").argParser(secondsValue(1, 3600)).default(defaultProgramTimeoutMs / 1000))
  .addHelpText(
    "after",
    [
      "",
      "Exit codes:",
      `  ${diffExitCodes.unchanged} nothing changes`,
      `  ${diffExitCodes.changed} something changes (resources, host files, DNS, outputs or policy findings)`,
      `  ${diffExitCodes.error} an error: bad arguments, a ref or stack that cannot be planned on a side, an output path`,
    ].join("\n"),
  );

interface DiffArgs {
  stack?: string;
  all?: boolean;
  base?: string;
  program?: string;
  markdown?: string;
  json?: string;
  auditLog?: string;
  policyPackConfig?: string;
  timeout: number;
}

function outcomeText(outcome: StackOutcome): string {
  if (outcome.kind === "skipped") return `Stack ${outcome.stack}: unchanged (${outcome.reason})`;
  if (outcome.kind === "error") return `Stack ${outcome.stack}: error on the ${outcome.side} side: ${outcome.message}`;
  return renderStackDiff(outcome.diff);
}

const isChange = (outcome: StackOutcome) => outcome.kind === "diff" && outcome.diff.status !== "unchanged";

async function run(args: DiffArgs, removeOnExit: (tree: BaseTree) => void): Promise<number> {
  const markdownFile = args.markdown === undefined ? undefined : checkOutputFile("--markdown", args.markdown);
  const jsonFile = args.json === undefined ? undefined : checkOutputFile("--json", args.json);
  const auditLog = args.auditLog === undefined ? undefined : checkOutputFile("--audit-log", args.auditLog);
  skipDynamicProviderSerialization();
  const programDir = resolve(args.program ?? resolve(__dirname, "../.."));
  const base = resolveBase(programDir, args.base);
  const changed = changedPaths(programDir, base.commit);
  const tree = materializeBase(programDir, base.commit);
  removeOnExit(tree);

  const stacks = args.all ? stacksOfBothTrees(tree.programDir, programDir) : [args.stack!];
  if (stacks.length === 0) throw new StackConfigError(`no Pulumi.<stack>.yaml in ${programDir} or at ${base.label}`);
  console.log(`Offline diff of ${stacks.length === 1 ? `stack ${stacks[0]}` : `${stacks.length} stacks`}: base ${base.label} (${base.commit.slice(0, 12)}) -> the working tree`);
  console.log("(both sides planned under Pulumi's mock runtime: ids and addresses are stand-ins; a replaced resource's new values show as unknown)");

  const comment = new PullRequestComment({ baseLabel: base.label, baseCommit: base.commit });
  const jsonStacks: unknown[] = [];
  const trail = new AuditTrail("penguinmails-diff/offline", undefined, stackTenantIds(programDir));
  const tally = { changed: 0, unchanged: 0, failed: 0 };
  await diffStacks({
    baseProgramDir: tree.programDir,
    headProgramDir: programDir,
    stacks,
    changedPaths: changed,
    timeoutMs: args.timeout * 1000,
    ...(args.policyPackConfig ? { policyPackConfig: resolve(args.policyPackConfig) } : {}),
    onStack: (outcome) => {
      console.log("");
      console.log(outcomeText(outcome));
      tally[outcome.kind === "error" ? "failed" : isChange(outcome) ? "changed" : "unchanged"]++;
      if (markdownFile) comment.add(outcome);
      if (jsonFile) jsonStacks.push(stackJson(outcome));
      if (auditLog) {
        for (const event of diffOutcomeEvents(outcome)) trail.record(event);
        trail.appendNewTo(auditLog);
      }
    },
  });
  if (stacks.length > 1) console.log(`\n${stacks.length} stacks: ${tally.changed} change, ${tally.unchanged} unchanged, ${tally.failed} cannot be planned`);
  const exitCode = tally.failed > 0 ? diffExitCodes.error : tally.changed > 0 ? diffExitCodes.changed : diffExitCodes.unchanged;
  if (markdownFile) writeFileAtomically(markdownFile, comment.render());
  if (jsonFile) writeFileAtomically(jsonFile, JSON.stringify({ base: { label: base.label, commit: base.commit }, head: programDir, exitCode, stacks: jsonStacks }, null, 2) + "\n");
  return exitCode;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), diffExitCodes.error);
  if (!parsed.ok) return parsed.exitCode;
  const args = command.opts<DiffArgs>();
  if (!args.stack && !args.all) {
    console.error("error: give --stack <name> or --all (npm run diff -- --help for usage)");
    return diffExitCodes.error;
  }
  let tree: BaseTree | undefined;
  const cleanUp = () => tree?.remove();
  process.once("exit", cleanUp);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    });
  }
  try {
    return await run(args, (materialized) => (tree = materialized));
  } finally {
    cleanUp();
  }
}

runTool(main, (error) => {
  const known = error instanceof BaseTreeError || error instanceof OutputPathError;
  return { exitCode: diffExitCodes.error, message: known ? `error: ${(error as Error).message}` : describeFailure(error).message };
});
