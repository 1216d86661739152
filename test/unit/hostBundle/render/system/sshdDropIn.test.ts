// sshd's own check of the drop-in (sshd -t, sshd -T) is in test/system/hostBundle/render/system/sshdDropIn.test.ts.
import { describe, expect, it } from "vitest";
import { basename } from "node:path";
import {
  sshCiphers,
  sshHostKeyAlgorithms,
  sshKexAlgorithms,
  sshLoginGraceTimeSeconds,
  sshMacs,
  sshMaxAuthTries,
} from "../../../../../baseline/ssh";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSshdDropIn, renderSshdHardeningSettings } from "../../../../../hostBundle/render/system/sshdDropIn";
import { directives } from "../../../../support/hostBundle/render/system/sshdDirectives";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext({ adminUser: "opsadmin" });
const dropIn = renderSshdDropIn(ctx);

describe("renderSshdDropIn", () => {
  const settings = directives(dropIn);

  it("allows keys only, never root, only the admin user", () => {
    expect(settings.get("passwordauthentication")).toBe("no");
    expect(settings.get("kbdinteractiveauthentication")).toBe("no");
    expect(settings.get("authenticationmethods")).toBe("publickey");
    expect(settings.get("permitrootlogin")).toBe("no");
    expect(settings.get("allowusers")).toBe("opsadmin");
    expect(settings.get("x11forwarding")).toBe("no");
    expect(settings.get("allowagentforwarding")).toBe("no");
  });

  it("uses the baseline's limits and algorithm lists", () => {
    expect(settings.get("maxauthtries")).toBe(String(sshMaxAuthTries));
    expect(settings.get("logingracetime")).toBe(String(sshLoginGraceTimeSeconds));
    expect(settings.get("kexalgorithms")).toBe(sshKexAlgorithms.join(","));
    expect(settings.get("ciphers")).toBe(sshCiphers.join(","));
    expect(settings.get("macs")).toBe(sshMacs.join(","));
    expect(settings.get("hostkeyalgorithms")).toBe(sshHostKeyAlgorithms.join(","));
  });

  it("is the header plus exactly the settings cloud-init writes at first boot", () => {
    expect(dropIn.startsWith(`# ${hostLayout.sshdDropIn} for tenant-one.example`)).toBe(true);
    expect(dropIn.endsWith(renderSshdHardeningSettings("opsadmin"))).toBe(true);
  });

  it("is named to be read before any other drop-in (sshd keeps the first value it reads)", () => {
    expect(basename(hostLayout.sshdDropIn) < "50-cloud-init.conf").toBe(true);
    expect(hostLayout.sshdDropIn.endsWith(".conf")).toBe(true);
  });
});
