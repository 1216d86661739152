/** The diff as JSON (`--json`), for workflows and scripts: the same content as the text, as data. */

import type { StackOutcome } from "./diffStacks";

export interface DiffJson {
  readonly base: { readonly label: string; readonly commit: string };
  readonly head: string;
  readonly exitCode: number;
  readonly stacks: readonly unknown[];
}

export function stackJson(outcome: StackOutcome): unknown {
  if (outcome.kind === "skipped") return { stack: outcome.stack, status: "unchanged", reason: outcome.reason };
  if (outcome.kind === "error") return { stack: outcome.stack, status: "error", side: outcome.side, error: outcome.message };
  const { diff } = outcome;
  return {
    stack: diff.stack,
    status: diff.status,
    counts: diff.counts,
    loud: diff.loud,
    resources: diff.resources,
    outputs: diff.outputs,
    hostFiles: diff.bundle,
    dns: diff.dns,
    policy: {
      base: { pack: diff.policy.base.pack, mandatory: diff.policy.base.mandatory, advisory: diff.policy.base.advisory },
      head: { pack: diff.policy.head.pack, mandatory: diff.policy.head.mandatory, advisory: diff.policy.head.advisory },
      introduced: diff.policy.introduced,
      resolved: diff.policy.resolved,
    },
  };
}
