/**
 * The host files that change between the two uploaded bundles: a unified diff of each changed
 * file, its mode and ownership when those change, and for a secret file (a private key, the
 * password file) only that it changes, never a line of it.
 */

import type { UnpackedBundleFile } from "../../hostBundle/format/hostBundleArchive";
import type { SnapshotBundle, StackSnapshot } from "./stackSnapshot";
import { unifiedDiff } from "./unifiedDiff";

export interface BundleFileChange {
  readonly path: string;
  readonly change: "added" | "removed" | "changed";
  readonly secret: boolean;
  /** Mode, owner, group or service changes, e.g. `mode 0644 -> 0640`. */
  readonly attributes: readonly string[];
  /** The unified diff of a non-secret file whose content changes. */
  readonly diff?: string;
}

export interface BundleChanges {
  readonly baseHash?: string;
  readonly headHash?: string;
  readonly files: readonly BundleFileChange[];
  /** Why a side's bundle could not be compared. */
  readonly problems: readonly string[];
}

type Entry = Pick<UnpackedBundleFile, "path" | "content" | "secret"> & Partial<Pick<UnpackedBundleFile, "mode" | "owner" | "group" | "service">>;

function entries(bundle: SnapshotBundle): Map<string, Entry> {
  return new Map<string, Entry>([
    ...bundle.files.map((file) => [file.path, file] as const),
    // The bundle's own scripts run as root: shown too, under a path no host file has.
    ...bundle.scripts.map((script) => [`/(bundle)/${script.path}`, { path: `/(bundle)/${script.path}`, content: script.content, secret: false }] as const),
  ]);
}

const octal = (mode: number | undefined) => (mode === undefined ? "?" : `0${mode.toString(8)}`);

function attributeChanges(before: Entry, after: Entry): string[] {
  const changes: string[] = [];
  if (before.mode !== after.mode) changes.push(`mode ${octal(before.mode)} -> ${octal(after.mode)}`);
  if (before.owner !== after.owner || before.group !== after.group) changes.push(`owner ${before.owner}:${before.group} -> ${after.owner}:${after.group}`);
  if (before.service !== after.service) changes.push(`service ${before.service} -> ${after.service}`);
  return changes;
}

function fileChange(path: string, before: Entry | undefined, after: Entry | undefined, showWholeFiles: boolean): BundleFileChange | undefined {
  const secret = (before?.secret ?? false) || (after?.secret ?? false);
  if (!before || !after) {
    const diff = secret || !showWholeFiles ? undefined : unifiedDiff(`base${path}`, `head${path}`, before?.content ?? "", after?.content ?? "");
    return { path, change: before ? "removed" : "added", secret, attributes: [], ...(diff === undefined ? {} : { diff }) };
  }
  const attributes = attributeChanges(before, after);
  const contentChanged = before.content !== after.content;
  if (!contentChanged && attributes.length === 0) return undefined;
  return { path, change: "changed", secret, attributes, ...(contentChanged && !secret ? { diff: unifiedDiff(`base${path}`, `head${path}`, before.content, after.content) } : {}) };
}

function readable(side: string, bundle: StackSnapshot["bundle"]): { bundle?: SnapshotBundle; problem?: string } {
  if (bundle === undefined) return {};
  if ("error" in bundle) return { problem: `the ${side} bundle cannot be read: ${bundle.error}` };
  return { bundle };
}

export function compareBundles(base: StackSnapshot["bundle"], head: StackSnapshot["bundle"]): BundleChanges {
  const before = readable("base", base);
  const after = readable("head", head);
  const problems = [before.problem, after.problem].filter((p): p is string => p !== undefined);
  if (problems.length > 0) return { files: [], problems };
  const oldFiles = before.bundle ? entries(before.bundle) : new Map<string, Entry>();
  const newFiles = after.bundle ? entries(after.bundle) : new Map<string, Entry>();
  const paths = [...new Set([...oldFiles.keys(), ...newFiles.keys()])].sort();
  // A bundle that is new or gone as a whole (a stack added or removed) is listed, not printed: every line would be a change.
  const showWholeFiles = before.bundle !== undefined && after.bundle !== undefined;
  const files = paths.map((path) => fileChange(path, oldFiles.get(path), newFiles.get(path), showWholeFiles)).filter((c): c is BundleFileChange => c !== undefined);
  return { ...(before.bundle ? { baseHash: before.bundle.hash } : {}), ...(after.bundle ? { headHash: after.bundle.hash } : {}), files, problems };
}
