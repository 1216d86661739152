/** How `npm run lab` ends. */
export const labExitCodes = {
  ok: 0,
  /** At least one check failed. */
  checkFailed: 1,
  /** Bad arguments or a stack config the lab cannot use. */
  invalidInput: 2,
  /** A set-up phase failed (boot, plan, DNS, certificate, apply): nothing was checked; or the tear-down left something. */
  setupFailed: 3,
  /** --json names a path that cannot be written. */
  outputPath: 4,
  /** Ctrl-C or SIGTERM (`npm run lab -- down` on a kept lab). */
  interrupted: 130,
} as const;

export const labExitCodesHelp = [
  "Exit codes:",
  `  ${labExitCodes.ok} every check passed`,
  `  ${labExitCodes.checkFailed} a check failed`,
  `  ${labExitCodes.invalidInput} invalid arguments or stack config`,
  `  ${labExitCodes.setupFailed} the lab could not be set up or torn down (the phase is named)`,
  `  ${labExitCodes.outputPath} the --json path cannot be written`,
  `  ${labExitCodes.interrupted} interrupted; everything started was removed`,
].join("\n");
