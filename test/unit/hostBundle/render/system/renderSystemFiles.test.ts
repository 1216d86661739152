import { describe, expect, it } from "vitest";
import type { HostService } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { diskAlertScriptPath, renderDiskAlertScript } from "../../../../../hostBundle/render/system/diskAlert";
import { cloudInitResolverDropInPath } from "../../../../../hostBundle/render/system/hostResolver";
import { sshAuthorizedKeysPath } from "../../../../../hostBundle/render/system/sshAuthorizedKeys";
import { renderFileHeader } from "../../../../../hostBundle/renderContext";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext();
const files = renderSystemFiles(ctx);

describe("renderSystemFiles", () => {
  it("renders each file once, at an absolute path, tagged with the service that checks it", () => {
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.service]));
    expect(files).toHaveLength(Object.keys(byPath).length);
    expect(byPath).toEqual({
      [hostLayout.nftablesRuleset]: "nftables",
      "/etc/fail2ban/fail2ban.d/penguinmails.local": "fail2ban",
      "/etc/fail2ban/action.d/penguinmails-ban-mail.local": "fail2ban",
      "/etc/fail2ban/filter.d/penguinmails-mail-auth.local": "fail2ban",
      "/etc/fail2ban/jail.d/penguinmails.local": "fail2ban",
      [hostLayout.sshdDropIn]: "ssh",
      [sshAuthorizedKeysPath(ctx.config.adminUser)]: "ssh",
      "/etc/nginx/conf.d/penguinmails-mta-sts.conf": "nginx",
      "/etc/nginx/sites-enabled/default": "nginx",
      [hostLayout.mtaStsPolicyFile]: "nginx",
      "/etc/apt/apt.conf.d/20auto-upgrades": "unattended-upgrades",
      "/etc/apt/apt.conf.d/52penguinmails-unattended-upgrades": "unattended-upgrades",
      "/etc/needrestart/conf.d/penguinmails.conf": "needrestart",
      "/etc/resolv.conf": "unbound",
      "/etc/cloud/cloud.cfg.d/99-penguinmails-resolver.cfg": "unbound",
      "/etc/dhcp/dhclient-enter-hooks.d/penguinmails-resolver": "unbound",
      [diskAlertScriptPath]: "disk-alert",
      "/etc/systemd/system/penguinmails-disk-alert.service": "disk-alert",
      "/etc/systemd/system/penguinmails-disk-alert.timer": "disk-alert",
    } satisfies Record<string, HostService>);
  });

  it("makes every file root-owned and world-readable, none of them secret", () => {
    for (const file of files) {
      expect(file, file.path).toMatchObject({ owner: "root", group: "root" });
      expect(file.secret, file.path).toBeFalsy();
      expect(file.mode, file.path).toBe([hostLayout.nftablesRuleset, diskAlertScriptPath].includes(file.path) ? 0o755 : 0o644);
    }
  });

  it("starts every config file with the bundle header (after the nft shebang or cloud-init's marker); the policy is served verbatim", () => {
    for (const file of files) {
      if (file.path === hostLayout.mtaStsPolicyFile) {
        expect(file.content).toBe(ctx.mtaStsPolicy);
        continue;
      }
      const comment = file.path.startsWith("/etc/apt/") ? "//" : "#";
      const marker = { [hostLayout.nftablesRuleset]: "#!/usr/sbin/nft -f\n", [cloudInitResolverDropInPath]: "#cloud-config\n", [diskAlertScriptPath]: "#!/bin/bash\n" }[file.path] ?? "";
      expect(file.content.startsWith(marker), file.path).toBe(true);
      const body = file.content.slice(marker.length);
      expect(body.startsWith(renderFileHeader(ctx, file.path, comment)), file.path).toBe(true);
      expect(file.content.endsWith("\n"), file.path).toBe(true);
    }
  });

  it("writes the alert address into the disk alert script only when it is a plain address", () => {
    const hostile = { ...ctx, config: { ...ctx.config, alertEmail: "x'$(id)'@tenant-one.example" } };
    expect(() => renderDiskAlertScript(hostile)).toThrow(/cannot be written into the disk alert script/);
  });

  it("is a pure function of the context", () => {
    expect(renderSystemFiles(ctx)).toEqual(files);
  });
});
