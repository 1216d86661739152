import { describe, expect, it } from "vitest";
import type { PolicyDiagnostic } from "../../../tools/policy/evaluate";
import type { StackOutcome } from "../../../tools/diff/diffStacks";
import { cellText, commentBudget, commentMarker, fenced, PullRequestComment } from "../../../tools/diff/renderMarkdown";
import type { StackDiff } from "../../../tools/diff/stackDiff";

const header = { baseLabel: "merge-base(HEAD, main)", baseCommit: "0123456789abcdef0123456789abcdef01234567" };

function stackDiff(stack: string, overrides: Partial<StackDiff> = {}): StackDiff {
  const side = { pack: "mail-security-baseline@v0.1.0", mandatory: 0, advisory: 2, diagnostics: [] as PolicyDiagnostic[] };
  return {
    stack,
    status: "changed",
    resources: [{ urn: `urn:pulumi:${stack}::p::digitalocean:index/droplet:Droplet::d`, type: "digitalocean:index/droplet:Droplet", name: "d", custom: true, kind: "update", properties: [{ property: "size", before: "a", after: "b", secret: false }], notes: [] }],
    counts: { create: 0, update: 1, replace: 0, delete: 0, same: 28 },
    loud: [],
    bundle: { files: [], problems: [] },
    dns: { before: [], after: [] },
    outputs: [],
    policy: { base: side, head: side, introduced: [], resolved: [] },
    ...overrides,
  };
}

const diffOutcome = (diff: StackDiff): StackOutcome => ({ stack: diff.stack, kind: "diff", diff });

describe("fenced", () => {
  it("uses a fence longer than any backtick run inside, so the text cannot close its block", () => {
    const block = fenced("before\n````\nafter", "diff");
    expect(block.startsWith("`````diff\n")).toBe(true);
    expect(block.endsWith("\n`````")).toBe(true);
    expect(fenced("plain")).toBe("```\nplain\n```");
  });
});

describe("cellText", () => {
  it("keeps a value on one line and out of the table's and Markdown's syntax", () => {
    expect(cellText("a | b\n<script> `x` *y*")).toBe("a \\| b \\<script\\> \\`x\\` \\*y\\*");
  });
});

describe("PullRequestComment", () => {
  it("opens with the marker, the cautions and a summary table, then one collapsible section per changed stack", () => {
    const comment = new PullRequestComment(header);
    const loud = [{ urn: "u", title: "The mail server's droplet is REPLACED (region \"fra1\" -> \"ams3\")", detail: "The droplet is destroyed." }];
    comment.add(diffOutcome(stackDiff("dev", { loud, counts: { create: 0, update: 6, replace: 3, delete: 0, same: 20 } })));
    comment.add({ stack: "quiet", kind: "skipped", reason: "neither the program nor its stack file changed" });
    comment.add({ stack: "broken", kind: "error", side: "head", message: "invalid tenant configuration (1 problem):\n  penguinmails-mail:domain: bad" });
    const text = comment.render();
    const lines = text.split("\n");
    expect(lines[0]).toBe(commentMarker);
    expect(lines[1]).toBe("### Offline diff: 1 of 3 stacks change, 1 cannot be planned");
    expect(text).toMatch(/^> \[!CAUTION\]\n> \*\*dev\*\*: The mail server's droplet is REPLACED \(region "fra1" -\\> "ams3"\)$/m);
    expect(text).toMatch(/^\| `dev` \| ⚠️ changes \| \*\*3\*\* \| 6 \| 0 \| 0 \| 0 \| 0 \| 0 → 0 \|$/m);
    expect(text).toMatch(/^\| `broken` \| ❌ error \(head\) \|/m);
    expect(text).not.toMatch(/`quiet`/);
    expect(text).toMatch(/^1 stack unchanged\.$/m);
    expect(text).toMatch(/<details><summary><b>dev<\/b>: 3 to replace, 6 to update, 0 to create, 0 to delete, 20 unchanged<\/summary>/);
    expect(text).toMatch(/```diff\n~  digitalocean:index\/droplet:Droplet  d  update\n {6}~ size: "a" => "b"\n```/);
    expect(text).toMatch(/<b>broken<\/b>: the head side cannot be planned<\/summary>\n\n```\ninvalid tenant configuration/);
  });

  it("stays under GitHub's comment limit however many stacks change, naming those it leaves out", () => {
    const comment = new PullRequestComment(header);
    const longDiff = Array.from({ length: 400 }, (_, i) => `+line ${i} ${"x".repeat(60)}`).join("\n");
    for (let i = 0; i < 400; i++) {
      comment.add(diffOutcome(stackDiff(`tenant-${i}`, { bundle: { files: [{ path: "/etc/postfix/main.cf", change: "changed", secret: false, attributes: [], diff: longDiff }], problems: [] } })));
    }
    const text = comment.render();
    expect(text.length).toBeLessThan(65_536);
    expect(text.length).toBeLessThanOrEqual(commentBudget);
    expect(text).toMatch(/^and \d+ more stacks with changes or errors, left out of this comment for its length\.$/m);
    expect(text).toMatch(/^Not shown here for the comment's length: `tenant-\d+`.* and \d+ more\. See the job log/m);
  });

  it("keeps a stack whose host-file diffs alone are too long, listing its files without their diffs", () => {
    const comment = new PullRequestComment(header);
    const hugeDiff = `--- base/etc/x\n+++ head/etc/x\n${"+y\n".repeat(30_000)}`;
    comment.add(diffOutcome(stackDiff("big", { bundle: { files: [{ path: "/etc/x", change: "changed", secret: false, attributes: [], diff: hugeDiff }], problems: [] } })));
    const text = comment.render();
    expect(text.length).toBeLessThan(commentBudget);
    expect(text).toMatch(/\*\*Host files \(1\), without their diffs for the comment's length\*\*\n\n```diff\n~ \/etc\/x: changed\n```/);
    expect(text).not.toMatch(/Not shown here/);
  });
});
