import { hostPackages } from "../../../hostBundle/apply/serviceTable";

/**
 * What every lab host has, whatever it is for: a booting systemd, sshd for Pulumi's command
 * provider, sudo for the admin user, and a droplet's DHCP client (its dhclient-script rewrites
 * resolv.conf on every lease unless a hook stops it).
 */
export const BASE_PACKAGES: readonly string[] = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "openssh-server",
  "iproute2",
  "ca-certificates",
  "sudo",
  "isc-dhcp-client",
];

/**
 * The mail host's daemons and their helpers, installed as Debian ships them (unconfigured)
 * so the apply script configures them exactly as it will on a droplet: the apply script's own
 * package list, so the lab and the droplet never differ. Extend it rather than replace it:
 * `[...DEFAULT_EXTRA_PACKAGES, "lynis"]`.
 */
export const DEFAULT_EXTRA_PACKAGES: readonly string[] = hostPackages();

const DEBIAN_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** The sorted, de-duplicated package set; rejects anything that is not a Debian package name. */
export function normalizePackages(extra: readonly string[]): string[] {
  for (const name of extra) {
    if (!DEBIAN_PACKAGE_NAME.test(name)) {
      throw new Error(`"${name}" is not a Debian package name (lowercase letters, digits, + - . only)`);
    }
  }
  return [...new Set([...BASE_PACKAGES, ...extra])].sort();
}
