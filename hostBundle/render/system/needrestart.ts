import { renderFileHeader, type HostRenderContext } from "../../renderContext";

export const needrestartConfPath = "/etc/needrestart/conf.d/penguinmails.conf";

/**
 * needrestart's settings (Perl, read after Debian's needrestart.conf): after an upgrade replaces
 * a library, every daemon still running the old copy is restarted, so a security update of
 * OpenSSL or glibc protects the mail daemons the same day instead of at the next reboot.
 */
export function renderNeedrestartConf(ctx: HostRenderContext): string {
  return [
    renderFileHeader(ctx, needrestartConfPath),
    "# Restart services running outdated libraries without asking: unattended-upgrades runs",
    "# needrestart non-interactively, where the default would only list them.",
    "$nrconf{restart} = 'a';",
    "# A new kernel waits for the operator's reboot (unattended-upgrades never reboots): say it",
    "# in the log instead of on a console nobody watches.",
    "$nrconf{kernelhints} = -1;",
    "1;",
    "",
  ].join("\n");
}
