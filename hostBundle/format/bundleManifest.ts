import { createHash } from "node:crypto";
import type { BundleFile, HostService } from "../bundleFile";

/** One installed file as the manifest records it: what lands where, for which service, and its content hash. */
export interface ManifestEntry {
  readonly path: string;
  /** Four octal digits, e.g. "0644": how `ls -l` and `chmod` speak. */
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly service: HostService;
  /** Services besides `service` that read this file and must reload when it changes (the TLS certificate). */
  readonly alsoReloads?: readonly HostService[];
  readonly secret: boolean;
  readonly sha256: string;
}

/** The bundle's identity: every file plus the scripts that install them. Its hash is the bundle hash. */
export interface BundleManifest {
  readonly format: 1;
  readonly tenantId: string;
  readonly bundleVersion: string;
  /** Hashes of the apply script and its generated settings: a new script is a new bundle. */
  readonly tooling: readonly { readonly name: string; readonly sha256: string }[];
  readonly files: readonly ManifestEntry[];
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

export function manifestEntry(file: BundleFile, alsoReloads: readonly HostService[]): ManifestEntry {
  return {
    path: file.path,
    mode: octalMode(file.mode),
    owner: file.owner,
    group: file.group,
    service: file.service,
    ...(alsoReloads.length > 0 ? { alsoReloads: [...alsoReloads] } : {}),
    secret: file.secret === true,
    sha256: sha256Hex(file.content),
  };
}

/**
 * The manifest as stable JSON: keys in a fixed order (the object literals above), files sorted
 * by path by the caller, two-space indent and a final newline, so equal bundles hash equally.
 */
export function manifestJson(manifest: BundleManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * The same entries for the apply script, which has only bash: one line per file,
 * `path mode owner group services sha256` separated by tabs, services comma-joined.
 * Paths never contain whitespace (validateBundleFiles enforces it).
 */
export function manifestTsv(manifest: BundleManifest): string {
  return manifest.files
    .map((f) => [f.path, f.mode, f.owner, f.group, [f.service, ...(f.alsoReloads ?? [])].join(","), f.sha256].join("\t"))
    .map((line) => `${line}\n`)
    .join("");
}
