/** The host's non-mail daemons: firewall, fail2ban, sshd, nginx (MTA-STS) and unattended-upgrades. */
import type { BundleFile, HostService } from "../../bundleFile";
import { hostLayout } from "../../hostLayout";
import type { HostRenderContext } from "../../renderContext";
import { fail2banBanMailActionPath, renderFail2banBanMailAction } from "./fail2banBanMailAction";
import { fail2banJailPath, renderFail2banJails } from "./fail2banJails";
import { fail2banMailAuthFilterPath, renderFail2banMailAuthFilter } from "./fail2banMailAuthFilter";
import { fail2banServerSettingsPath, renderFail2banServerSettings } from "./fail2banServerSettings";
import { diskAlertScriptPath, diskAlertServicePath, diskAlertTimerPath, renderDiskAlertScript, renderDiskAlertService, renderDiskAlertTimer } from "./diskAlert";
import { renderHostResolverFiles } from "./hostResolver";
import { renderNftablesRuleset } from "./nftablesRuleset";
import {
  nginxDebianDefaultSitePath,
  nginxMtaStsSitePath,
  renderNginxDefaultSiteReplacement,
  renderNginxMtaStsSite,
} from "./nginxMtaStsSite";
import { needrestartConfPath, renderNeedrestartConf } from "./needrestart";
import { renderSshAuthorizedKeys, sshAuthorizedKeysPath } from "./sshAuthorizedKeys";
import { renderSshdDropIn } from "./sshdDropIn";
import { aptPeriodicPath, renderAptPeriodic, renderUnattendedUpgrades, unattendedUpgradesPath } from "./unattendedUpgrades";

export { renderCloudInitUserData } from "./cloudInitUserData";

/** A root-owned config file that every user may read: none of these holds a secret. */
function rootFile(path: string, content: string, service: HostService, mode = 0o644): BundleFile {
  return { path, content, mode, owner: "root", group: "root", service };
}

/** fail2ban's files: its settings, the ban mail action, the mail-auth filter and the jails. */
export function renderFail2banFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    rootFile(fail2banServerSettingsPath, renderFail2banServerSettings(ctx), "fail2ban"),
    rootFile(fail2banBanMailActionPath, renderFail2banBanMailAction(ctx), "fail2ban"),
    rootFile(fail2banMailAuthFilterPath, renderFail2banMailAuthFilter(ctx), "fail2ban"),
    rootFile(fail2banJailPath, renderFail2banJails(ctx), "fail2ban"),
  ];
}

/** Every file of the non-mail daemons, each tagged with the service that checks and reloads it. */
export function renderSystemFiles(ctx: HostRenderContext): BundleFile[] {
  return [
    // Executable like Debian's own: the shebang lets an operator run it to reload the firewall.
    rootFile(hostLayout.nftablesRuleset, renderNftablesRuleset(ctx), "nftables", 0o755),
    ...renderFail2banFiles(ctx),
    rootFile(hostLayout.sshdDropIn, renderSshdDropIn(ctx), "ssh"),
    rootFile(sshAuthorizedKeysPath(ctx.config.adminUser), renderSshAuthorizedKeys(ctx), "ssh"),
    rootFile(nginxMtaStsSitePath, renderNginxMtaStsSite(ctx), "nginx"),
    rootFile(nginxDebianDefaultSitePath, renderNginxDefaultSiteReplacement(ctx), "nginx"),
    rootFile(hostLayout.mtaStsPolicyFile, ctx.mtaStsPolicy, "nginx"),
    rootFile(aptPeriodicPath, renderAptPeriodic(ctx), "unattended-upgrades"),
    rootFile(unattendedUpgradesPath, renderUnattendedUpgrades(ctx), "unattended-upgrades"),
    rootFile(needrestartConfPath, renderNeedrestartConf(ctx), "needrestart"),
    // The host's resolver pinned to unbound: checked and activated with it.
    ...renderHostResolverFiles(ctx),
    rootFile(diskAlertScriptPath, renderDiskAlertScript(ctx), "disk-alert", 0o755),
    rootFile(diskAlertServicePath, renderDiskAlertService(ctx), "disk-alert"),
    rootFile(diskAlertTimerPath, renderDiskAlertTimer(ctx), "disk-alert"),
  ];
}
