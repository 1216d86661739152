import type { BundleFile } from "../bundleFile";
import type { HostRenderContext } from "../renderContext";
import { applyScriptText } from "../apply/applyScripts";
import { renderApplySettings } from "../apply/renderApplySettings";
import { manifestEntry, manifestJson, manifestTsv, sha256Hex, type BundleManifest } from "./bundleManifest";
import { tlsFileConsumers, tlsPaths } from "../render/tlsFiles";
import { assertBundleFiles } from "./validateBundleFiles";

/** Everything that ships to one tenant's host, in a deterministic order, and its identity. */
export interface HostBundle {
  readonly tenantId: string;
  /** The host's files, sorted by path; secret ones carry `secret: true`. */
  readonly files: readonly BundleFile[];
  readonly applyScript: string;
  /** Generated from the service table and the tenant's config; apply.sh sources it. */
  readonly applySettings: string;
  readonly manifest: BundleManifest;
  readonly manifestJson: string;
  /** The manifest's entries for bash (tab-separated). */
  readonly manifestTsv: string;
  /** sha256 of manifestJson: changes exactly when a file, a mode, an owner or the scripts change. */
  readonly hash: string;
}

/**
 * Checks the rendered files and wraps them with the apply script and a manifest. Throws one
 * error listing every problem, so a bad rendering never reaches a host.
 */
export function assembleHostBundle(ctx: HostRenderContext, files: readonly BundleFile[]): HostBundle {
  assertBundleFiles(files);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const applyScript = applyScriptText();
  const applySettings = renderApplySettings(ctx);
  const manifest: BundleManifest = {
    format: 1,
    tenantId: ctx.config.domain,
    bundleVersion: ctx.bundleVersion,
    tooling: [
      { name: "apply.sh", sha256: sha256Hex(applyScript) },
      { name: "apply-settings.sh", sha256: sha256Hex(applySettings) },
    ],
    files: sorted.map((file) =>
      manifestEntry(file, tlsPaths.includes(file.path) ? tlsFileConsumers.filter((s) => s !== file.service) : []),
    ),
  };
  const json = manifestJson(manifest);
  return {
    tenantId: ctx.config.domain,
    files: sorted,
    applyScript,
    applySettings,
    manifest,
    manifestJson: json,
    manifestTsv: manifestTsv(manifest),
    hash: sha256Hex(json),
  };
}
