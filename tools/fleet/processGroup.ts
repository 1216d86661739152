/**
 * The fleet runs in a session of its own, so that it alone decides which signal reaches each
 * `pulumi` process. In a terminal, Ctrl-C goes to the whole foreground process group: a pulumi
 * child would get it directly and once more from the fleet, and pulumi takes a second interrupt as
 * "terminate now, leave pending operations". Under npm it is worse: npm forwards the signal again.
 * So the command the user starts only supervises: it starts the real run detached (a new session
 * and process group, the same stdio), passes each interrupt on once, and ends with its exit code.
 */

import { spawn } from "node:child_process";
import { constants } from "node:os";

const workerVariable = "PENGUINMAILS_FLEET_WORKER";

/** A terminal's Ctrl-C arrives directly and again through npm within milliseconds: one interrupt. */
export const duplicateSignalWindowMs = 500;

export function isFleetWorker(): boolean {
  return process.env[workerVariable] === "1";
}

/** Starts `script` detached with this process's arguments and passes SIGINT and SIGTERM on to it. */
export function runInOwnProcessGroup(script: string): void {
  const worker = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    detached: true,
    stdio: "inherit",
    env: { ...process.env, [workerVariable]: "1" },
  });
  const lastForwarded = new Map<NodeJS.Signals, number>();
  const forward = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (now - (lastForwarded.get(signal) ?? 0) < duplicateSignalWindowMs) return;
    lastForwarded.set(signal, now);
    if (worker.exitCode === null && worker.signalCode === null) worker.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  worker.on("error", (error) => {
    console.error(`error: cannot start the fleet run: ${error.message}`);
    process.exit(2);
  });
  worker.on("exit", (code, signal) => {
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}
