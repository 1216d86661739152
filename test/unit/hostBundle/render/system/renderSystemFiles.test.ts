import { describe, expect, it } from "vitest";
import type { HostService } from "../../../../../hostBundle/bundleFile";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
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
      "/etc/fail2ban/jail.d/penguinmails.local": "fail2ban",
      [hostLayout.sshdDropIn]: "ssh",
      "/etc/nginx/conf.d/penguinmails-mta-sts.conf": "nginx",
      "/etc/nginx/sites-enabled/default": "nginx",
      [hostLayout.mtaStsPolicyFile]: "nginx",
      "/etc/apt/apt.conf.d/20auto-upgrades": "unattended-upgrades",
      "/etc/apt/apt.conf.d/52penguinmails-unattended-upgrades": "unattended-upgrades",
      "/etc/needrestart/conf.d/penguinmails.conf": "needrestart",
    } satisfies Record<string, HostService>);
  });

  it("makes every file root-owned and world-readable, none of them secret", () => {
    for (const file of files) {
      expect(file, file.path).toMatchObject({ owner: "root", group: "root" });
      expect(file.secret, file.path).toBeFalsy();
      expect(file.mode, file.path).toBe(file.path === hostLayout.nftablesRuleset ? 0o755 : 0o644);
    }
  });

  it("starts every config file with the bundle header (after the nft shebang); the policy is served verbatim", () => {
    for (const file of files) {
      if (file.path === hostLayout.mtaStsPolicyFile) {
        expect(file.content).toBe(ctx.mtaStsPolicy);
        continue;
      }
      const comment = file.path.startsWith("/etc/apt/") ? "//" : "#";
      const body = file.path === hostLayout.nftablesRuleset ? file.content.replace(/^#!\/usr\/sbin\/nft -f\n/, "") : file.content;
      expect(body.startsWith(renderFileHeader(ctx, file.path, comment)), file.path).toBe(true);
      expect(file.content.endsWith("\n"), file.path).toBe(true);
    }
  });

  it("is a pure function of the context", () => {
    expect(renderSystemFiles(ctx)).toEqual(files);
  });
});
