// The apply scripts under shellcheck (a package tools/setup/install.sh installs). The rendered
// settings and the service table are tested in test/unit/hostBundle/apply/applyScript.test.ts.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const applyDir = path.resolve(__dirname, "../../../../hostBundle/apply");

describe("the apply scripts", () => {
  it("pass shellcheck", () => {
    const result = spawnSync("shellcheck", ["-s", "bash", "apply.sh", "selfExtract.sh"], { cwd: applyDir });
    expect(result.stdout.toString()).toBe("");
    expect(result.status).toBe(0);
  });
});
