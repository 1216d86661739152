import { diskAlertPercent } from "../../../baseline/storage";
import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const diskAlertScriptPath = "/usr/local/sbin/penguinmails-disk-alert";
export const diskAlertServicePath = "/etc/systemd/system/penguinmails-disk-alert.service";
export const diskAlertTimerPath = "/etc/systemd/system/penguinmails-disk-alert.timer";
export const diskAlertTimerUnit = "penguinmails-disk-alert.timer";
/** systemd's StateDirectory (below /var/lib) of the alert. */
const diskAlertStateDirectory = "penguinmails";
/** The last level mailed and when: one mail per level change, and a reminder a day while it lasts. */
export const diskAlertStatePath = `/var/lib/${diskAlertStateDirectory}/disk-alert.state`;

/** Where mail, queue and logs live: a full disk under any of them stops mail. */
const watchedPaths = [hostLayout.mailStorageDir, "/var/spool/postfix", "/var/log"] as const;

/** The sender of disk alerts: the tenant domain, which its SPF record authorizes for this host. */
export function diskAlertSender(domain: string): string {
  return `disk-alert@${domain}`;
}

/** A value the script holds in single quotes: the tenant config's address grammar never has one. */
function shellWord(value: string): string {
  if (!/^[a-z0-9._+@-]+$/.test(value)) throw new Error(`${JSON.stringify(value)} cannot be written into the disk alert script`);
  return `'${value}'`;
}

/**
 * The disk alert: every 15 minutes, the fullest filesystem under the mail store, the queue and
 * the logs is compared with the baseline's levels; the alert address is mailed when the level
 * rises, and once a day while it stays above the warning level. Dovecot's quota keeps one
 * mailbox from filling the disk; this catches everything else (many mailboxes, logs, a stuck
 * queue) before Postfix's queue_minfree has to refuse mail.
 */
export function renderDiskAlertScript(ctx: HostRenderContext): string {
  const { config } = ctx;
  return [
    "#!/bin/bash",
    renderFileHeader(ctx, diskAlertScriptPath),
    "set -euo pipefail",
    `alert_to=${shellWord(config.alertEmail)}`,
    `sender=${shellWord(diskAlertSender(config.domain))}`,
    `warning=${diskAlertPercent.warning}`,
    `critical=${diskAlertPercent.critical}`,
    `state=${diskAlertStatePath}`,
    "",
    "# The fullest of the filesystems that hold mail, the queue and the logs.",
    "worst=0 worst_path='' report=''",
    `for path in ${watchedPaths.join(" ")}; do`,
    "  [ -d \"$path\" ] || continue",
    "  read -r used avail target < <(df --output=pcent,avail,target \"$path\" | tail -n 1)",
    "  used=${used%\\%}",
    "  report+=\"$path: ${used}% used, $((avail / 1024)) MB free (filesystem $target)\"$'\\n'",
    "  if [ \"$used\" -gt \"$worst\" ]; then worst=$used worst_path=$path; fi",
    "done",
    "",
    "level=ok",
    "[ \"$worst\" -lt \"$warning\" ] || level=warning",
    "[ \"$worst\" -lt \"$critical\" ] || level=critical",
    "",
    "# Mail when the level rises, or a day after the last mail while it stays raised.",
    "last_level=ok last_sent=0",
    "[ ! -r \"$state\" ] || read -r last_level last_sent <\"$state\" || true",
    "now=$(date +%s)",
    "rank() { case $1 in ok) echo 0 ;; warning) echo 1 ;; *) echo 2 ;; esac; }",
    "if [ \"$level\" = ok ]; then",
    "  [ \"$last_level\" = ok ] || printf 'ok %s\\n' \"$now\" >\"$state\"",
    "  exit 0",
    "fi",
    "if [ \"$(rank \"$level\")\" -le \"$(rank \"$last_level\")\" ] && [ $((now - last_sent)) -lt 86400 ]; then exit 0; fi",
    "",
    `host=${ctx.mailHostname}`,
    "if [ \"$level\" = critical ]; then",
    "  advice='Postfix refuses new mail (452, senders retry) once free space falls below its queue_minfree: free space now.'",
    "else",
    "  advice='Free space or grow the volume before the disk reaches the critical level.'",
    "fi",
    "{",
    "  printf 'Subject: [disk %s] %s: %s%% used under %s\\n' \"$level\" \"$host\" \"$worst\" \"$worst_path\"",
    "  printf 'From: <%s>\\nTo: <%s>\\nDate: %s\\n\\n' \"$sender\" \"$alert_to\" \"$(LC_ALL=C date -R)\"",
    "  printf '%s\\n\\n%s\\n' \"$report\" \"$advice\"",
    "} | /usr/sbin/sendmail -i -f \"$sender\" -- \"$alert_to\"",
    "printf '%s %s\\n' \"$level\" \"$now\" >\"$state\"",
    "",
  ].join("\n");
}

export function renderDiskAlertService(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, diskAlertServicePath),
    "[Unit]",
    "Description=Mail the alert address when the mail host's disk fills",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${diskAlertScriptPath}`,
    "# It reads df and writes one state file (systemd creates its directory); sendmail's postdrop",
    "# writes the mail into Postfix's maildrop. Nothing else on the host is its business.",
    "ProtectSystem=strict",
    `StateDirectory=${diskAlertStateDirectory}`,
    "ReadWritePaths=/var/spool/postfix/maildrop",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "",
  ].join("\n");
}

export function renderDiskAlertTimer(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, diskAlertTimerPath),
    "[Unit]",
    "Description=Check the mail host's disk every 15 minutes",
    "",
    "[Timer]",
    "OnBootSec=5min",
    "OnUnitActiveSec=15min",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
