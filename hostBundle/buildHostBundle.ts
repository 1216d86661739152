import type { BundleFile } from "./bundleFile";
import type { HostRenderContext } from "./renderContext";
import { dkimKeyFile, renderMailDaemonFiles } from "./render/mail";
import { renderSystemFiles } from "./render/system";
import { assembleHostBundle, type HostBundle } from "./format/hostBundle";
import { tlsBundleFiles, type TlsCertificatePems } from "./render/tlsFiles";

/** The private material a bundle carries; Pulumi secrets until the bundle is built inside an apply. */
export interface HostBundleSecrets {
  /** One PEM per published DKIM selector (the active one and those kept for rotation). */
  readonly dkimPrivateKeyPems: Readonly<Record<string, string>>;
  /**
   * The Let's Encrypt certificate once issued. Without one, the apply script keeps the host's
   * current pair, or on a fresh host generates a self-signed placeholder there (its key never
   * leaves the host) so the TLS listeners can start; the next bundle with a certificate replaces it.
   */
  readonly tlsCertificate?: TlsCertificatePems;
}

/** Exactly one key per published selector: a missing active key fails rspamd's check, a missing other one a rotation. */
function dkimKeyFiles(ctx: HostRenderContext, pems: Readonly<Record<string, string>>): BundleFile[] {
  const published = ctx.config.dkim.selectors;
  const missing = published.filter((s) => !pems[s]);
  const unpublished = Object.keys(pems).filter((s) => !published.includes(s));
  const problems = [
    ...missing.map((s) => `no DKIM private key for published selector "${s}"`),
    ...unpublished.map((s) => `a DKIM private key for selector "${s}", which is not published (dkim.selectors)`),
  ];
  if (problems.length > 0) throw new Error(`the host bundle cannot be built: ${problems.join("; ")}`);
  return published.map((selector) => dkimKeyFile(selector, pems[selector]!));
}

/**
 * The tenant's whole host bundle: the mail daemons' and the system's rendered files, one DKIM key
 * per published selector, and the TLS pair when there is one. Deterministic: the same inputs give
 * the same bytes and the same hash.
 */
export function buildHostBundle(ctx: HostRenderContext, secrets: HostBundleSecrets): HostBundle {
  return assembleHostBundle(ctx, [
    ...renderMailDaemonFiles(ctx),
    ...renderSystemFiles(ctx),
    ...dkimKeyFiles(ctx, secrets.dkimPrivateKeyPems),
    ...(secrets.tlsCertificate ? tlsBundleFiles(secrets.tlsCertificate) : []),
  ]);
}
