import { version as packageVersion } from "../package.json";
import { parseSshPublicKey, type SshPublicKey } from "../baseline/sshPublicKey";
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
  /**
   * Pulumi's own key(s) to the admin account, authorized beside the admin's: without one the apply
   * refuses the bundle, since it would lock out the deploy that applies it.
   */
  readonly deployPublicKeys: readonly SshPublicKey[];
}

/** Pulumi's deploy keys (tls.PrivateKey's publicKeyOpenssh), read with the tenant config's key grammar. */
export function parseDeployPublicKeys(lines: readonly string[]): SshPublicKey[] {
  return lines.map((line, i) => {
    const parsed = parseSshPublicKey(line.trim());
    if (!parsed.ok) throw new Error(`deploy public key ${i}: ${parsed.error}`);
    return parsed.key;
  });
}

export function hostRenderContext(config: TenantConfig, bundleVersion: string, mtaStsPolicy: string, deployPublicKeys: readonly string[] = []): HostRenderContext {
  return {
    config,
    bundleVersion,
    mailHostname: mailHostname(config.domain),
    mtaStsHostname: mtaStsHostname(config.domain),
    mtaStsPolicy,
    deployPublicKeys: parseDeployPublicKeys(deployPublicKeys),
  };
}

/** The render context of a tenant's host: one function, so the stack and the plan's --out agree. */
export function tenantHostRenderContext(config: TenantConfig, deployPublicKeys: readonly string[] = []): HostRenderContext {
  return hostRenderContext(config, hostBundleVersion, tenantMtaStsPolicy(config), deployPublicKeys);
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
