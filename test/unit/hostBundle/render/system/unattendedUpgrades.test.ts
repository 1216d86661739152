// apt-config and unattended-upgrade reading the rendered files are in
// test/system/hostBundle/render/system/unattendedUpgrades.test.ts.
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { aptPeriodicPath, unattendedUpgradesPath } from "../../../../../hostBundle/render/system/unattendedUpgrades";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const files = renderSystemFiles(ctx).filter((f) => f.service === "unattended-upgrades");

describe("unattended-upgrades configuration, as apt reads it", () => {
  it("ships both files where apt reads them, after Debian's 50unattended-upgrades", () => {
    expect(files.map((f) => f.path).sort()).toEqual([aptPeriodicPath, unattendedUpgradesPath].sort());
    expect(basename(unattendedUpgradesPath) > "50unattended-upgrades").toBe(true);
  });
});
