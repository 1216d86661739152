/**
 * `npm run lab -- --stack <name>`: the stack's mail system booted from its plan and probed the way
 * the internet would; `npm run lab -- down` removes a lab kept with --keep. See README.md.
 */

import { resolve } from "node:path";
import { InvalidArgumentError, toolCommand, parseCommandLine } from "../../cli/command";
import { stackNameValue } from "../../cli/optionValues";
import { checkOutputFile, OutputPathError, writeFileAtomically } from "../../cli/outputFiles";
import { allChecks } from "./checks";
import { labExitCodes, labExitCodesHelp } from "./exitCodes";
import { listKeptLabs, saveKeptLab, takeDown } from "./keptLab";
import { startMailLab, type MailLab } from "./mailLab";
import { PhaseError, Progress } from "./progress";
import { renderAccess, renderPhases, renderTable, topologyOf, type LabReport } from "./report";
import { runChecks, type CheckResult } from "./runChecks";
import { parseWeakenings, weakenings, type Weakening } from "./weakenings";

const weakeningValue = (text: string): Weakening[] => {
  try {
    return parseWeakenings(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

const command = toolCommand(
  "npm run lab --",
  "Boots the stack's planned droplet (Debian 12 in network namespaces), serves its planned DNS under a signed lab root, issues its certificate from Pebble, applies its planned bundle over SSH, and probes it from an internet namespace: mail in and out, MTA-STS, TLS, ports, SMTP abuse limits, fail2ban, logs, a rolled-back apply. Needs root. `down` removes labs kept with --keep.",
)
  .argument("[action]", "down: remove a lab kept with --keep (all of them, or the one named)")
  .argument("[name]", "with down: the lab's name")
  .option("--stack <name>", "the stack whose Pulumi.<name>.yaml to plan and boot", stackNameValue)
  .option("--program <dir>", "the Pulumi program directory (default: this project)")
  .option("--json <file>", "also write the results (name, ok, detail, ms per check) and the topology as JSON")
  .option("--keep", "leave the lab up after the checks and print how to reach each part", false)
  .option("--weaken <names>", `break the bundle on purpose before applying it, to see checks fail: ${weakenings.map((w) => w.name).join(", ")}`, weakeningValue)
  .addHelpText("after", `\nChecks:\n${allChecks.map((c) => `  ${c.name.padEnd(28)} ${c.proves}`).join("\n")}\n\n${labExitCodesHelp}`);

interface Args {
  stack?: string;
  program?: string;
  json?: string;
  keep: boolean;
  weaken?: Weakening[];
}

function usageError(message: string): number {
  process.stderr.write(`error: ${message} (npm run lab -- --help for usage)\n`);
  return labExitCodes.invalidInput;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(command, process.argv.slice(2), labExitCodes.invalidInput);
  if (!parsed.ok) return parsed.exitCode;
  const [action, name] = command.args;
  const args = command.opts<Args>();
  if (action !== undefined && action !== "down") return usageError(`unknown action ${JSON.stringify(action)}; the only one is "down"`);
  if (process.getuid?.() !== 0) return usageError("the lab needs root: it creates network namespaces and boots a container");
  if (action === "down") return down(name);
  if (name !== undefined) return usageError(`unexpected argument ${JSON.stringify(name)}`);
  if (!args.stack) return usageError("--stack <name> is required");
  const jsonFile = args.json === undefined ? undefined : checkOutputFile("--json", args.json);
  return run({ stack: args.stack, programDir: resolve(args.program ?? resolve(__dirname, "../../..")), jsonFile, keep: args.keep, weakenings: args.weaken ?? [] });
}

async function down(name: string | undefined): Promise<number> {
  const kept = listKeptLabs().filter((l) => name === undefined || l.name === name);
  if (kept.length === 0) {
    console.log(name ? `no kept lab named ${name}` : "no kept lab");
    return name ? labExitCodes.invalidInput : labExitCodes.ok;
  }
  for (const lab of kept) for (const line of await takeDown(lab)) console.log(line);
  return labExitCodes.ok;
}

interface RunOptions {
  readonly stack: string;
  readonly programDir: string;
  readonly jsonFile?: string;
  readonly keep: boolean;
  readonly weakenings: readonly Weakening[];
}

async function run(options: RunOptions): Promise<number> {
  const progress = new Progress();
  let lab: MailLab | undefined;
  let checks: CheckResult[] = [];
  const interrupted = new Promise<void>((resolveSignal) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      // A second Ctrl-C does not wait: the exit hooks of the host and the daemons still remove them.
      if (signals > 1 || !lab) {
        progress.line(`${signal}: stopping; everything started is removed on exit`);
        process.exit(labExitCodes.interrupted);
      }
      progress.line(`${signal}: tearing the lab down`);
      resolveSignal();
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  });
  const report = (error?: string): LabReport => ({
    stack: options.stack,
    ok: error === undefined && checks.length > 0 && checks.every((c) => c.ok),
    ...(error ? { error } : {}),
    weakenings: options.weakenings.map((w) => w.name),
    labChanges: lab?.labChanges ?? [],
    phases: progress.phases,
    totalMs: Date.now() - progress.started,
    checks,
    ...(lab ? { topology: topologyOf(lab) } : {}),
  });
  const writeJson = (r: LabReport) => {
    if (options.jsonFile) writeFileAtomically(options.jsonFile, `${JSON.stringify(r, null, 2)}\n`);
  };

  try {
    lab = await startMailLab({ programDir: options.programDir, stack: options.stack, weakenings: options.weakenings }, progress);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.line(`error: ${message}`);
    writeJson(report(message));
    return error instanceof PhaseError ? labExitCodes.setupFailed : labExitCodes.invalidInput;
  }
  const running = lab;
  const finished = await Promise.race([
    progress.phase("checks", `${allChecks.length} checks from the internet namespace ${running.internet.name}`, async () => {
      checks = await runChecks(running, progress, undefined, (result) => checks.push(result));
    }).then(() => true),
    interrupted.then(() => false),
  ]);
  if (finished) {
    console.log(`\n${renderTable(checks)}\n`);
    if (options.keep) {
      writeJson(report());
      console.log(renderAccess(running));
      const forget = saveKeptLab({ name: running.name, stack: options.stack, internetNamespace: running.internet.name, directories: [running.workDir] });
      await interrupted;
      forget();
    }
  }
  let teardownError: string | undefined;
  await progress.phase("teardown", "removing everything the lab started", () => running.stop()).catch((error: Error) => {
    teardownError = error.message;
    progress.line(`error: ${error.message}`);
  });
  const final = report(teardownError ?? (finished ? undefined : "interrupted"));
  console.log(renderPhases(final.phases, final.totalMs));
  writeJson(final);
  if (!finished) return labExitCodes.interrupted;
  if (teardownError) return labExitCodes.setupFailed;
  return final.ok ? labExitCodes.ok : labExitCodes.checkFailed;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof OutputPathError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(labExitCodes.outputPath);
    }
    process.stderr.write(`internal error (please report): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(labExitCodes.setupFailed);
  },
);
