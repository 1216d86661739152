/**
 * The command line of every tool: commander, set up so that a usage mistake prints one line (and
 * where the help is) and exits with the tool's usage code, `--help` exits 0, and nothing commander
 * does ends the process behind the tool's back.
 */

import { Command, CommanderError } from "commander";

export { Command, InvalidArgumentError, Option } from "commander";

/** A command whose usage errors come back to the caller instead of exiting. */
export function toolCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .helpOption("-h, --help", "show this help")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, " ")} (${name} --help for usage)\n`),
    });
}

export type ParseOutcome = { readonly ok: true } | { readonly ok: false; readonly exitCode: number };

/** Parses argv (without node and the script); on a usage error or --help, the exit code to use. */
export function parseCommandLine(command: Command, argv: readonly string[], usageExitCode: number): ParseOutcome {
  try {
    command.parse([...argv], { from: "user" });
    return { ok: true };
  } catch (error) {
    if (error instanceof CommanderError) return { ok: false, exitCode: error.exitCode === 0 ? 0 : usageExitCode };
    throw error;
  }
}

/** What a tool prints and exits with when its main throws. */
export interface ToolFailure {
  readonly exitCode: number;
  readonly message: string;
}

/** Runs a tool's main: exits with the code it returns, or prints its failure's message and exits with that failure's code. */
export function runTool(main: () => Promise<number>, describeFailure: (error: unknown) => ToolFailure): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const { exitCode, message } = describeFailure(error);
      console.error(message);
      process.exit(exitCode);
    },
  );
}
