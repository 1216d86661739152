/** How `npm run fleet` ends. */

export const fleetExitCodes = {
  ok: 0,
  /** At least one stack's operation failed (the others still ran). */
  stackFailed: 1,
  /** Bad arguments, an unknown stack, no pulumi CLI (or one too old for the Automation API). */
  invalidInput: 2,
  /** A bug in the fleet tool itself (the message has the stack trace to report). */
  crashed: 3,
  /** The log directory or the audit log cannot be written. */
  outputPath: 4,
  /** Interrupted (SIGINT or SIGTERM): 128 + SIGINT, as a shell reports Ctrl-C. */
  interrupted: 130,
} as const;

export const fleetExitCodesHelp = [
  "Exit codes:",
  `  ${fleetExitCodes.ok} every stack succeeded`,
  `  ${fleetExitCodes.stackFailed} a stack failed (the others still ran)`,
  `  ${fleetExitCodes.invalidInput} invalid arguments or stacks, or no usable pulumi CLI`,
  `  ${fleetExitCodes.crashed} the fleet tool crashed (a bug to report)`,
  `  ${fleetExitCodes.outputPath} the log directory or audit log cannot be written`,
  `  ${fleetExitCodes.interrupted} interrupted: running stacks cancelled, the rest not started`,
].join("\n");
