/** Runs the checks stage by stage, a few at a time, each timed; a check that throws has failed. Results in the table's order. */

import { checkStages } from "./checks";
import { sharedProbes, type LabCheck } from "./checks/check";
import { checkNames } from "./checks/checkNames";
import { markLogs } from "./checks/logs";
import type { MailLab } from "./mailLab";
import type { Progress } from "./progress";
import { waitUntilHostAnswers } from "./settle";

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/** How many checks of a stage run at once: two cores, and nmap and the daemons need them too. */
const CONCURRENCY = 4;

export async function runChecks(
  lab: MailLab,
  progress: Progress,
  stages: readonly (readonly LabCheck[])[] = checkStages,
  /** Each result as it comes: an interrupted run still reports the checks that finished. */
  onResult: (result: CheckResult) => void = () => undefined,
): Promise<CheckResult[]> {
  const shared = sharedProbes();
  progress.line(`  ${await waitUntilHostAnswers(lab)}`);
  lab.logMark = await markLogs(lab);
  const results: CheckResult[] = [];
  for (const stage of stages) {
    const queue = [...stage];
    const worker = async () => {
      for (let check = queue.shift(); check; check = queue.shift()) {
        const started = Date.now();
        let outcome: { ok: boolean; detail: string };
        try {
          outcome = await check.run(lab, shared);
        } catch (error) {
          outcome = { ok: false, detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}` };
        }
        const result = { name: check.name, ok: outcome.ok, detail: outcome.detail, ms: Date.now() - started };
        results.push(result);
        onResult(result);
        progress.line(`check ${result.name}: ${result.ok ? "ok" : "FAILED"} (${(result.ms / 1000).toFixed(1)} s) ${result.detail}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, stage.length) }, worker));
  }
  const order: readonly string[] = checkNames;
  return results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}
