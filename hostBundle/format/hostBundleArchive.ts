/**
 * The uploaded form of a host bundle, in both directions: `packHostBundle` writes the one text
 * file CopyToRemote uploads, `unpackHostBundle` reads it back (the policies judge a shipped bundle
 * with it, and the tests check one against the other and against GNU tar).
 *
 * The text is a self-extracting bash script: a header, the body of selfExtract.sh, the marker
 * line, and the bundle's directory form (bundleTree) as a base64 ustar archive. @pulumi/command
 * 1.2.1's CopyToRemote copies a text asset but refuses an archive of them, hence one file.
 */

import { createHash } from "node:crypto";
import * as tarStream from "tar-stream";
import { selfExtractScriptText } from "../apply/applyScripts";
import { shellQuote } from "../apply/shellQuote";
import type { HostService } from "../bundleFile";
import { hostLayout } from "../hostLayout";
import type { BundleManifest } from "./bundleManifest";
import { bundleTree, type BundleTreeEntry } from "./bundleTree";
import type { HostBundle } from "./hostBundle";

/** The line that separates the self-extracting script from the bundle's data. */
export const hostBundleDataMarker = "__BUNDLE_DATA__";

/** A text that says it is a host bundle but cannot be read as one. */
export class HostBundleFormatError extends Error {
  override name = "HostBundleFormatError";
}

/** Every regular file as root-owned with mtime 0: equal bundles pack to equal bytes. */
async function tarArchive(entries: readonly BundleTreeEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const entry of entries) {
    pack.entry(
      { name: entry.path, mode: entry.mode, mtime: new Date(0), uid: 0, gid: 0, uname: "root", gname: "root", type: "file" },
      Buffer.from(entry.content, "utf8"),
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The regular files of an archive: path -> content and mode. Anything else in it is an error. */
async function tarEntries(archive: Buffer): Promise<Map<string, { content: Buffer; mode: number }>> {
  const files = new Map<string, { content: Buffer; mode: number }>();
  const extract = tarStream.extract();
  extract.end(archive);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type !== "file") throw new HostBundleFormatError(`the archive holds ${entry.header.name}, a ${entry.header.type}, where only regular files belong`);
      if (files.has(entry.header.name)) throw new HostBundleFormatError(`the archive holds ${entry.header.name} twice`);
      files.set(entry.header.name, { content: Buffer.concat(chunks), mode: entry.header.mode ?? 0 });
    }
  } catch (error) {
    if (error instanceof HostBundleFormatError) throw error;
    throw new HostBundleFormatError(`the bundle's archive is not readable: ${(error as Error).message}`);
  }
  return files;
}

/** The whole bundle, secrets included, as the self-extracting script CopyToRemote uploads. */
export async function packHostBundle(bundle: HostBundle): Promise<string> {
  const header = [
    "#!/bin/bash",
    `# PenguinMails host bundle for ${bundle.tenantId}, bundle ${bundle.hash} (sha256 of manifest.json).`,
    `STATE_DIR=${shellQuote(hostLayout.applyStateDir)}`,
    `STAGING_DIR=${shellQuote(hostLayout.bundleStagingDir)}`,
  ].join("\n");
  const data = (await tarArchive(bundleTree(bundle))).toString("base64").replace(/.{1,76}/g, "$&\n");
  return `${header}\n${selfExtractScriptText()}${hostBundleDataMarker}\n${data}`;
}

/** One host file of an unpacked bundle: its manifest entry and its content. */
export interface UnpackedBundleFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
  readonly service: HostService;
  readonly secret: boolean;
  readonly content: string;
}

export interface UnpackedHostBundle {
  /** sha256 of manifest.json: the bundle hash the apply command expects. */
  readonly hash: string;
  readonly manifest: BundleManifest;
  readonly files: readonly UnpackedBundleFile[];
  /** The directory form as unpacked, relative paths (apply.sh, manifest.json, files/...). */
  readonly tree: ReadonlyMap<string, { readonly content: string; readonly mode: number }>;
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

async function readHostBundle(text: string): Promise<UnpackedHostBundle | undefined> {
  const marker = `\n${hostBundleDataMarker}\n`;
  const at = text.indexOf(marker);
  if (at < 0) return undefined;
  const base64 = text.slice(at + marker.length).replace(/\n/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new HostBundleFormatError("the data after the bundle marker is not base64");
  const archive = await tarEntries(Buffer.from(base64, "base64"));
  const manifestFile = archive.get("manifest.json");
  if (!manifestFile) throw new HostBundleFormatError("the bundle has no manifest.json");
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(manifestFile.content.toString("utf8")) as BundleManifest;
  } catch (error) {
    throw new HostBundleFormatError(`the bundle's manifest.json is not JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.files)) throw new HostBundleFormatError(`the bundle's manifest is not format 1`);
  const files = manifest.files.map((entry) => {
    const file = archive.get(`files${entry.path}`);
    if (!file) throw new HostBundleFormatError(`the manifest lists ${entry.path}, which the archive does not hold`);
    if (sha256(file.content) !== entry.sha256) throw new HostBundleFormatError(`${entry.path} does not match its sha256 in the manifest`);
    return {
      path: entry.path,
      mode: parseInt(entry.mode, 8),
      owner: entry.owner,
      group: entry.group,
      service: entry.service,
      secret: entry.secret,
      content: file.content.toString("utf8"),
    };
  });
  const tree = new Map([...archive].map(([path, file]) => [path, { content: file.content.toString("utf8"), mode: file.mode }]));
  return { hash: sha256(manifestFile.content), manifest, files, tree };
}

// Several policies read the same upload: each text is unpacked once (bounded, so a long-lived
// analyzer stays small).
const unpacked = new Map<string, Promise<UnpackedHostBundle | undefined>>();
const unpackedLimit = 64;

/**
 * The bundle inside an uploaded text, every file checked against the manifest's sha256; undefined
 * when the text is not a host bundle (no marker line).
 */
export function unpackHostBundle(text: string): Promise<UnpackedHostBundle | undefined> {
  const known = unpacked.get(text);
  if (known) return known;
  const reading = readHostBundle(text);
  if (unpacked.size >= unpackedLimit) unpacked.delete(unpacked.keys().next().value as string);
  unpacked.set(text, reading);
  return reading;
}
