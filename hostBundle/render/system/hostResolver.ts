/**
 * The host's own resolver, pinned to the local validating unbound. Postfix's DANE
 * (smtp_dns_support_level = dnssec) believes the AD bit of whatever resolver /etc/resolv.conf
 * names, and Postfix's chroot gets a copy of that file. Debian's unbound registers itself only
 * through resolvconf, which a droplet does not have; there /etc/resolv.conf names the provider's
 * resolvers, written by the image, by cloud-init's network config or by dhclient-script. So the
 * bundle writes the file itself and keeps both writers off it.
 */
import type { BundleFile } from "../../bundleFile";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";
import { unboundListenAddress } from "../mail/unboundConf";

export const resolvConfPath = "/etc/resolv.conf";

/** cloud.cfg.d is read in name order and later files win: "99-" sorts after the image's own drop-ins. */
export const cloudInitResolverDropInPath = "/etc/cloud/cloud.cfg.d/99-penguinmails-resolver.cfg";

/**
 * dhclient-script sources every file of this directory that run-parts --list names (letters,
 * digits, dashes and underscores only: no dot, no suffix) before it acts on a lease.
 */
export const dhclientResolverHookPath = "/etc/dhcp/dhclient-enter-hooks.d/penguinmails-resolver";

/** /etc/resolv.conf: the local validating unbound and nothing else. */
export function renderResolvConf(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, resolvConfPath),
    "# Only the local validating unbound: Postfix's DANE believes the AD bit of the resolver named here.",
    `nameserver ${unboundListenAddress}`,
    "# edns0: room for DNSSEC answers; trust-ad: without it glibc (2.31+) clears the AD bit it passes on.",
    "options edns0 trust-ad",
    "",
  ].join("\n");
}

/**
 * cloud-init's drop-in: never write resolv.conf. Its network config is left alone: it carries the
 * provider's resolvers only as ifupdown `dns-nameservers` lines, which nothing applies without
 * resolvconf, and a droplet restored from a snapshot needs it to configure its new addresses.
 */
export function renderCloudInitResolverDropIn(ctx: HostRenderContext): string {
  return [
    // `cloud-init schema` checks only files that start with this line.
    "#cloud-config",
    renderFileHeader(ctx, cloudInitResolverDropInPath),
    "# resolv.conf belongs to the host bundle: it names only the local validating unbound.",
    "manage_resolv_conf: false",
    "",
  ].join("\n");
}

/** The dhclient enter hook: dhclient-script keeps its addresses and routes, never resolv.conf. */
export function renderDhclientResolverHook(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, dhclientResolverHookPath),
    "# Sourced by dhclient-script: a no-op make_resolv_conf keeps every lease (v4 and v6) off resolv.conf.",
    "make_resolv_conf() {",
    "\t:",
    "}",
    "",
  ].join("\n");
}

/**
 * The three files, checked and activated with unbound (hostBundle/apply/serviceTable.ts), which
 * also copies resolv.conf into Postfix's chroot. Root-owned and world-readable like Debian's own.
 */
export function renderHostResolverFiles(ctx: HostRenderContext): BundleFile[] {
  const file = (path: string, content: string): BundleFile => ({ path, content, mode: 0o644, owner: "root", group: "root", service: "unbound" });
  return [
    file(resolvConfPath, renderResolvConf(ctx)),
    file(cloudInitResolverDropInPath, renderCloudInitResolverDropIn(ctx)),
    file(dhclientResolverHookPath, renderDhclientResolverHook(ctx)),
  ];
}
