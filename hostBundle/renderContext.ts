import { version as packageVersion } from "../package.json";
import { tenantMtaStsPolicy } from "../tenant/mtaStsPolicy";
import { mailHostname, mtaStsHostname } from "../tenant/names";
import type { TenantConfig } from "../tenant/tenantConfig";

/** Every rendered host file names the tooling release that rendered it. */
export const hostBundleVersion = `penguinmails-mail ${packageVersion}`;

/** Everything a host-file renderer needs: the tenant's config plus what is derived from it. */
export interface HostRenderContext {
  readonly config: TenantConfig;
  /** Names the rendering in every file's header: the package version and a hash of the rendering inputs. */
  readonly bundleVersion: string;
  readonly mailHostname: string;
  readonly mtaStsHostname: string;
  /** The MTA-STS policy text nginx serves (CRLF lines). */
  readonly mtaStsPolicy: string;
}

export function hostRenderContext(config: TenantConfig, bundleVersion: string, mtaStsPolicy: string): HostRenderContext {
  return {
    config,
    bundleVersion,
    mailHostname: mailHostname(config.domain),
    mtaStsHostname: mtaStsHostname(config.domain),
    mtaStsPolicy,
  };
}

/** The render context of a tenant's host: one function, so the stack and the plan's --out agree. */
export function tenantHostRenderContext(config: TenantConfig): HostRenderContext {
  return hostRenderContext(config, hostBundleVersion, tenantMtaStsPolicy(config));
}

/**
 * The first lines of every rendered file: which tenant, which bundle, and that hand edits are
 * overwritten. `comment` is the file format's comment marker.
 */
export function renderFileHeader(ctx: HostRenderContext, file: string, comment = "#"): string {
  return [
    `${comment} ${file} for ${ctx.config.domain} (PenguinMails tenant mail server)`,
    `${comment} bundle ${ctx.bundleVersion}: rendered by penguinmails-mail; local edits are replaced on the next apply`,
    "",
  ].join("\n");
}
