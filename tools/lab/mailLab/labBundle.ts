/**
 * The bundle the lab applies: the one the plan uploads (CopyToRemote's source), read back with the
 * bundle format's own reader, with files replaced where the lab must (the certificate Pebble just
 * issued in place of the plan's stand-in; a deliberately weakened file). A replaced file gets its
 * new sha256 in the manifest, so the apply script checks it like any other, and the bundle hash
 * changes exactly as a real change would change it.
 */

import type { BundleFile } from "../../../hostBundle/bundleFile";
import { manifestJson, manifestTsv, sha256Hex, type BundleManifest } from "../../../hostBundle/format/bundleManifest";
import type { HostBundle } from "../../../hostBundle/format/hostBundle";
import { unpackHostBundle } from "../../../hostBundle/format/hostBundleArchive";

/** The uploaded text as a HostBundle; throws when it is not one or its manifest does not hold. */
export async function bundleFromUpload(text: string): Promise<HostBundle> {
  const unpacked = await unpackHostBundle(text);
  if (!unpacked) throw new Error("the planned upload is not a host bundle (no bundle data marker)");
  const tool = (name: string): string => {
    const entry = unpacked.tree.get(name);
    if (!entry) throw new Error(`the planned bundle has no ${name}`);
    return entry.content;
  };
  const files: BundleFile[] = unpacked.files.map((f) => ({
    path: f.path,
    content: f.content,
    mode: f.mode,
    owner: f.owner,
    group: f.group,
    service: f.service,
    ...(f.secret ? { secret: true } : {}),
  }));
  const bundle: HostBundle = {
    tenantId: unpacked.manifest.tenantId,
    files,
    applyScript: tool("apply.sh"),
    applySettings: tool("apply-settings.sh"),
    manifest: unpacked.manifest,
    manifestJson: tool("manifest.json"),
    manifestTsv: tool("manifest.tsv"),
    hash: unpacked.hash,
  };
  for (const { name, sha256 } of unpacked.manifest.tooling) {
    if (sha256Hex(tool(name)) !== sha256) throw new Error(`the planned bundle's ${name} does not match its sha256 in the manifest`);
  }
  return bundle;
}

export function bundleFile(bundle: HostBundle, path: string): BundleFile {
  const file = bundle.files.find((f) => f.path === path);
  if (!file) throw new Error(`the bundle has no ${path}`);
  return file;
}

/** The bundle with these files' contents replaced; every path must already be in it. */
export function withFileContents(bundle: HostBundle, contents: ReadonlyMap<string, string>): HostBundle {
  for (const path of contents.keys()) bundleFile(bundle, path);
  const files = bundle.files.map((f) => (contents.has(f.path) ? { ...f, content: contents.get(f.path)! } : f));
  const manifest: BundleManifest = {
    ...bundle.manifest,
    files: bundle.manifest.files.map((entry) => (contents.has(entry.path) ? { ...entry, sha256: sha256Hex(contents.get(entry.path)!) } : entry)),
  };
  return rehash({ ...bundle, files }, manifest);
}

/** The bundle with another apply-settings.sh (the lab's weakening of the apply's own checks). */
export function withApplySettings(bundle: HostBundle, applySettings: string): HostBundle {
  const manifest: BundleManifest = {
    ...bundle.manifest,
    tooling: bundle.manifest.tooling.map((t) => (t.name === "apply-settings.sh" ? { ...t, sha256: sha256Hex(applySettings) } : t)),
  };
  return rehash({ ...bundle, applySettings }, manifest);
}

function rehash(bundle: HostBundle, manifest: BundleManifest): HostBundle {
  const json = manifestJson(manifest);
  return { ...bundle, manifest, manifestJson: json, manifestTsv: manifestTsv(manifest), hash: sha256Hex(json) };
}
