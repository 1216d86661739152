import type { BundleFile } from "../../../bundleFile";
import { hostLayout } from "../../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../../renderContext";

/**
 * rspamd reads Debian's files in /etc/rspamd and, beside each, ours: local.d/<name> is merged into
 * the packaged section, override.d/<name> replaces it (both at a higher priority than Debian's).
 * We never edit a packaged file, so a package upgrade brings its new defaults without a conflict.
 */
export const rspamdLocalPath = (name: string): string => `${hostLayout.rspamdConfigDir}/local.d/${name}`;
export const rspamdOverridePath = (name: string): string => `${hostLayout.rspamdConfigDir}/override.d/${name}`;

/** The bundle header followed by the body's lines, in the format's comment syntax (UCL takes `#`). */
export function withHeader(ctx: HostRenderContext, path: string, lines: readonly string[], comment = "#"): string {
  return [renderFileHeader(ctx, path, comment), ...lines, ""].join("\n");
}

/** A root-owned rspamd file every user may read: none of the configuration is a secret. */
export function rspamdFile(path: string, content: string): BundleFile {
  return { path, content, mode: 0o644, owner: "root", group: "root", service: "rspamd" };
}
