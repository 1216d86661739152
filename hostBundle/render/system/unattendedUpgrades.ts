import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const aptPeriodicPath = "/etc/apt/apt.conf.d/20auto-upgrades";
export const unattendedUpgradesPath = "/etc/apt/apt.conf.d/52penguinmails-unattended-upgrades";

/** Debian's security archive, under both labels it has carried for bookworm. */
export const debianSecurityOriginPatterns: readonly string[] = [
  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
  "origin=Debian,codename=${distro_codename},label=Debian-Security",
];

/** The sender of unattended-upgrades' mails: the tenant domain, which its SPF authorizes for this host. */
export function unattendedUpgradesSender(domain: string): string {
  return `unattended-upgrades@${domain}`;
}

/** /etc/apt/apt.conf.d/20auto-upgrades: refresh package lists and run unattended-upgrade every day. */
export function renderAptPeriodic(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, aptPeriodicPath, "//"),
    "// Daily (the value is in days), run by apt-daily.timer and apt-daily-upgrade.timer.",
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    "",
  ].join("\n");
}

/**
 * /etc/apt/apt.conf.d/52penguinmails-unattended-upgrades, read after Debian's 50unattended-upgrades:
 * security updates only, no automatic reboot, a mail to the tenant's alert address on errors.
 */
export function renderUnattendedUpgrades(ctx: HostRenderContext): string {
  const { config } = ctx;
  return [
    renderFileHeader(ctx, unattendedUpgradesPath, "//"),
    "// Security updates only: they land within a day, as the baseline promises. Debian's list also",
    "// takes point-release updates, which change daemon behaviour and belong in a reviewed rollout.",
    "#clear Unattended-Upgrade::Origins-Pattern;",
    "Unattended-Upgrade::Origins-Pattern {",
    ...debianSecurityOriginPatterns.map((pattern) => `\t"${pattern}";`),
    "};",
    "",
    "// Never reboot on its own: rebooting a mail server interrupts deliveries and IMAP sessions, and",
    "// when to do it is the operator's decision (a pending reboot shows as /var/run/reboot-required).",
    'Unattended-Upgrade::Automatic-Reboot "false";',
    "",
    "// Failed upgrades are mailed to the tenant's alert address through the local Postfix.",
    `Unattended-Upgrade::Mail "${config.alertEmail}";`,
    'Unattended-Upgrade::MailReport "only-on-error";',
    `Unattended-Upgrade::Sender "${unattendedUpgradesSender(config.domain)}";`,
    "",
    "// The bundle replaces packaged config files (/etc/nftables.conf): keep ours on upgrade instead",
    "// of asking, because unattended-upgrade skips any package whose upgrade would ask.",
    "Dpkg::Options {",
    '\t"--force-confdef";',
    '\t"--force-confold";',
    "};",
    "",
  ].join("\n");
}
