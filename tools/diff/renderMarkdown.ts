/**
 * The diff as one pull-request comment: the loud changes and a summary table first, then each
 * changed stack in a collapsible section. GitHub refuses comments over 65,536 characters, so the
 * comment stays under a budget: sections that do not fit are named, with the command that shows
 * them, and unchanged stacks are counted rather than listed.
 */

import type { StackOutcome } from "./diffStacks";
import { renderBundle, renderCounts, renderOutputs, renderPolicies, renderResources } from "./renderText";
import type { StackDiff } from "./stackDiff";

/** What GitHub accepts, less room for a workflow's own header around the comment. */
export const commentBudget = 60_000;
/** The summary table's share of it, with many stacks. */
const tableBudget = 20_000;

/** A marker a workflow can find its earlier comment by, to replace it. */
export const commentMarker = "<!-- penguinmails-offline-diff -->";

/** A code fence longer than any backtick run in the text, so nothing in it can close the block. */
export function fenced(text: string, language = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

/** Text for a table cell or a summary: no pipes, no markup, no line breaks. */
export function cellText(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`);
}

function changedLineCount(diff: string | undefined): number {
  return (diff ?? "").split("\n").filter((line) => /^[+-]/.test(line) && !/^(\+\+\+|---) /.test(line)).length;
}

function resultCell(outcome: StackOutcome): string {
  if (outcome.kind === "error") return `❌ error (${outcome.side})`;
  if (outcome.kind === "skipped") return "unchanged";
  const { diff } = outcome;
  const status = diff.status === "added" ? "new stack" : diff.status === "removed" ? "stack file removed" : diff.status === "changed" ? "changes" : "unchanged";
  return diff.loud.length > 0 ? `⚠️ ${status}` : status;
}

function tableRow(outcome: StackOutcome): string {
  const name = `\`${outcome.stack.replace(/`/g, "")}\``;
  if (outcome.kind !== "diff") return `| ${name} | ${resultCell(outcome)} | | | | | | | |`;
  const { counts, policy, bundle, dns } = outcome.diff;
  const replace = counts.replace > 0 ? `**${counts.replace}**` : "0";
  const introduced = policy.introduced.filter((d) => d.enforcementLevel === "mandatory").length;
  const mandatory = `${policy.base.mandatory} → ${policy.head.mandatory}${policy.head.mandatory > 0 ? " ❌" : ""}${introduced > 0 ? ` (${introduced} new)` : ""}`;
  return `| ${name} | ${resultCell(outcome)} | ${replace} | ${counts.update} | ${counts.create} | ${counts.delete} | ${bundle.files.length} | ${changedLineCount(dns.diff)} | ${mandatory} |`;
}

/** A stack's section; `compact` leaves the host files' diffs out (their names stay), for a comment near its limit. */
function stackSection(diff: StackDiff, compact = false): string {
  const parts: string[] = [];
  if (diff.loud.length > 0) parts.push(diff.loud.map((l) => `- **${cellText(l.title)}**. ${cellText(l.detail)}`).join("\n"));
  const block = (title: string, lines: readonly string[]) => {
    if (lines.length > 0) parts.push(`**${title}**\n\n${fenced(lines.join("\n"), "diff")}`);
  };
  block("Resources", renderResources(diff));
  block("Stack outputs", renderOutputs(diff));
  const bundleLines = compact ? [...diff.bundle.problems, ...diff.bundle.files.map((f) => `~ ${f.path}: ${f.change}${f.secret ? " [secret]" : ""}`)] : renderBundle(diff);
  block(`Host files (${diff.bundle.files.length})${compact && diff.bundle.files.some((f) => f.diff) ? ", without their diffs for the comment's length" : ""}`, bundleLines);
  block("DNS records", diff.dns.diff ? [diff.dns.diff] : []);
  parts.push(`**Policies**\n\n${fenced(renderPolicies(diff).join("\n"))}`);
  return `<details><summary><b>${cellText(diff.stack)}</b>: ${cellText(renderCounts(diff))}</summary>\n\n${parts.join("\n\n")}\n\n</details>`;
}

export interface CommentHeader {
  /** How the base was chosen (`main`, `merge-base(HEAD, main)`) and the commit. */
  readonly baseLabel: string;
  readonly baseCommit: string;
}

/** Collects stacks as they are diffed, keeping only what the comment will show. */
export class PullRequestComment {
  private readonly rows: string[] = [];
  private readonly cautions: string[] = [];
  private readonly sections: string[] = [];
  private readonly withoutSection: string[] = [];
  private rowsLength = 0;
  private sectionsLength = 0;
  private rowsLeftOut = 0;
  private unchanged = 0;
  private changed = 0;
  private failed = 0;

  constructor(private readonly header: CommentHeader) {}

  add(outcome: StackOutcome): void {
    const quiet = outcome.kind === "skipped" || (outcome.kind === "diff" && outcome.diff.status === "unchanged");
    if (quiet) {
      this.unchanged++;
      return;
    }
    if (outcome.kind === "error") this.failed++;
    else this.changed++;
    const row = tableRow(outcome);
    if (this.rowsLength + row.length > tableBudget) this.rowsLeftOut++;
    else {
      this.rows.push(row);
      this.rowsLength += row.length + 1;
    }
    if (outcome.kind === "error") {
      this.addSection(outcome.stack, `<details><summary><b>${cellText(outcome.stack)}</b>: the ${outcome.side} side cannot be planned</summary>\n\n${fenced(outcome.message)}\n\n</details>`);
      return;
    }
    for (const loud of outcome.diff.loud) this.cautions.push(`> **${cellText(outcome.stack)}**: ${cellText(loud.title)}`);
    if (!this.addSection(outcome.stack, stackSection(outcome.diff), false)) this.addSection(outcome.stack, stackSection(outcome.diff, true));
  }

  /** Adds the section if it fits; a last attempt that does not fit names the stack instead. */
  private addSection(stack: string, section: string, last = true): boolean {
    const room = commentBudget - tableBudget - 4_000 - this.cautions.join("\n").length;
    if (this.sectionsLength + section.length > room) {
      if (last) this.withoutSection.push(stack);
      return false;
    }
    this.sections.push(section);
    this.sectionsLength += section.length + 2;
    return true;
  }

  render(): string {
    const total = this.changed + this.failed + this.unchanged;
    const lines = [
      commentMarker,
      `### Offline diff: ${this.changed} of ${total} stack${total === 1 ? "" : "s"} change${this.failed > 0 ? `, ${this.failed} cannot be planned` : ""}`,
      "",
      `Base: ${cellText(this.header.baseLabel)} at \`${this.header.baseCommit.slice(0, 12)}\`; head: this tree. Both planned offline under Pulumi's mock runtime (\`npm run diff\`): ids and addresses are stand-ins, and values a replaced resource will get are shown as unknown.`,
    ];
    if (this.cautions.length > 0) {
      const shown = this.cautions.slice(0, 50);
      lines.push("", "> [!CAUTION]", ...shown.flatMap((c, i) => (i === 0 ? [c] : [">", c])));
      if (this.cautions.length > shown.length) lines.push(">", `> and ${this.cautions.length - shown.length} more`);
    }
    if (this.rows.length > 0) {
      lines.push("", "| Stack | Result | Replace | Update | Create | Delete | Host files | DNS lines | Mandatory violations (base → head) |", "|---|---|---:|---:|---:|---:|---:|---:|---|", ...this.rows);
      if (this.rowsLeftOut > 0) lines.push("", `and ${this.rowsLeftOut} more stacks with changes or errors, left out of this comment for its length.`);
    }
    if (this.unchanged > 0) lines.push("", `${this.unchanged} stack${this.unchanged === 1 ? "" : "s"} unchanged.`);
    if (this.sections.length > 0) lines.push("", ...this.sections.flatMap((s) => [s, ""]));
    if (this.withoutSection.length > 0) {
      const names = this.withoutSection.slice(0, 20).map((s) => `\`${s.replace(/`/g, "")}\``).join(", ");
      lines.push("", `Not shown here for the comment's length: ${names}${this.withoutSection.length > 20 ? ` and ${this.withoutSection.length - 20} more` : ""}. See the job log, or run \`npm run diff -- --stack <name>\`.`);
    }
    return `${lines.join("\n").trimEnd()}\n`;
  }
}
