// The cloud-init drop-in under cloud-init 22.4 itself: its schema check (what the apply runs on a
// droplet) and the way cloud-init reads /etc/cloud/cloud.cfg with its .d directory. The rendered
// text is tested in test/unit/hostBundle/render/system/hostResolver.test.ts.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cloudInitDropInCheckCommand } from "../../../../../hostBundle/apply/resolverChecks";
import { cloudInitResolverDropInPath, renderCloudInitResolverDropIn } from "../../../../../hostBundle/render/system/hostResolver";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run } from "./hostCommands";

const dropIn = renderCloudInitResolverDropIn(systemTestContext());

describe("the cloud-init drop-in under cloud-init 22.4", () => {
  const dir = makeTempDir("pm-cloud-resolver");
  afterAll(() => removeTempDir(dir));

  it("passes the apply's check (cloud-init's schema) without errors or deprecations", () => {
    const file = join(dir, "drop-in.cfg");
    writeFileSync(file, dropIn);
    const check = run("bash", ["-c", cloudInitDropInCheckCommand(file)]);
    expect(check.stdout + check.stderr).not.toMatch(/error|deprecat/i);
    expect(check.stdout).toMatch(/^Valid cloud-config/);
    expect(check.status).toBe(0);
  });

  it("fails the check for a wrong value (the schema knows manage_resolv_conf)", () => {
    const file = join(dir, "wrong.cfg");
    writeFileSync(file, dropIn.replace("manage_resolv_conf: false", "manage_resolv_conf: no-thanks"));
    expect(run("bash", ["-c", cloudInitDropInCheckCommand(file)]).status).not.toBe(0);
  });

  it("is what cloud-init reads from cloud.cfg.d on top of Debian's cloud.cfg: resolv.conf unmanaged, network config left to cloud-init", () => {
    const etc = join(dir, "etc-cloud");
    mkdirSync(join(etc, "cloud.cfg.d"), { recursive: true });
    copyFileSync("/etc/cloud/cloud.cfg", join(etc, "cloud.cfg"));
    // An image's own drop-in that asks for the opposite sorts before ours, so ours wins.
    writeFileSync(join(etc, "cloud.cfg.d", "90_image.cfg"), "manage_resolv_conf: true\ndatasource_list: [DigitalOcean, None]\n");
    writeFileSync(join(etc, "cloud.cfg.d", cloudInitResolverDropInPath.split("/").pop()!), dropIn);
    const python = [
      "import json, sys",
      "from cloudinit import net, util",
      "cfg = util.read_conf_with_confd(sys.argv[1])",
      "print(json.dumps({'networkDisabled': net.is_disabled_cfg(cfg.get('network')), 'manageResolvConf': cfg.get('manage_resolv_conf')}))",
    ].join("\n");
    // Debian's python, the one cloud-init runs under (a pyenv python3 on PATH has no cloudinit).
    const result = run("/usr/bin/python3", ["-c", python, join(etc, "cloud.cfg")]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ networkDisabled: false, manageResolvConf: false });
  });
});
