// The user data under cloud-init's own schema check. What it holds is tested in
// test/unit/hostBundle/render/system/cloudInitUserData.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCloudInitUserData } from "../../../../../hostBundle/render/system";
import { validEd25519Key } from "../../../../support/tenant/tenantConfigFixture";
import { rsaPublicKeyLine } from "../../../../support/hostBundle/render/system/rsaPublicKeyLine";
import { systemTestConfig } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run } from "./hostCommands";

const rsaKey = rsaPublicKeyLine();
const secretHash = "{BLF-CRYPT}$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K";
const config = systemTestConfig({
  adminUser: "opsadmin",
  adminSshPublicKeys: [validEd25519Key, rsaKey],
  alertEmail: "someone@tenant-one.example",
  mailboxes: [{ address: "someone@tenant-one.example", passwordHash: secretHash }],
});
const userData = renderCloudInitUserData(config);

describe("cloud-init 22.4's schema check", () => {
  const dir = makeTempDir("pm-cloud-init");
  afterAll(() => removeTempDir(dir));

  function schemaCheck(text: string) {
    const file = join(dir, `user-data-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text);
    return run("cloud-init", ["schema", "--config-file", file]);
  }

  it("accepts the user data without errors or deprecations", () => {
    const check = schemaCheck(userData);
    console.info(`cloud-init schema: ${check.ms.toFixed(0)} ms`);
    expect(check.stdout + check.stderr).not.toMatch(/error|deprecat/i);
    expect(check.stdout).toMatch(/^Valid cloud-config/);
    expect(check.status).toBe(0);
  });

  it("rejects a user data with an unknown user key (the check is not a no-op)", () => {
    const check = schemaCheck(userData.replace("    lock_passwd: true", "    lock_password: true"));
    expect(check.status).not.toBe(0);
  });
});
