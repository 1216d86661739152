// The lab runs on a stack tenant:new just wrote, before its secrets exist: stand-ins for exactly
// the secrets that are missing, and nothing the stack sets is touched.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseTenantConfig } from "../../../../tenant/parseTenantConfig";
import { configNamespace } from "../../../../tenant/tenantConfig";
import { withLabSecretStandIns } from "../../../../tools/lab/mailLab/labConfig";
import { namespaceConfig, readStackConfig } from "../../../../tools/mockRuntime/stackConfig";

const dev = namespaceConfig(readStackConfig(resolve(__dirname, "../../../.."), "dev"), configNamespace);

/** The dev stack as tenant:new leaves a stack: no token, no mailbox hash. */
function withoutSecrets(): Record<string, unknown> {
  const { acmeDnsApiToken: _token, ...rest } = dev;
  const mailboxes = (dev.mailboxes as Record<string, unknown>[]).map(({ passwordHash: _hash, ...m }) => m);
  return { ...rest, mailboxes };
}

describe("withLabSecretStandIns", () => {
  it("fills the token and every missing mailbox hash, so a stack without secrets validates", () => {
    const raw = withoutSecrets();
    const refused = parseTenantConfig(raw);
    expect(refused.ok).toBe(false);
    const { config, filled } = withLabSecretStandIns(raw);
    const parsed = parseTenantConfig(config);
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
    expect(filled).toEqual(["acmeDnsApiToken", ...(dev.mailboxes as unknown[]).map((_, i) => `mailboxes[${i}].passwordHash`)]);
  });

  it("keeps what the stack sets", () => {
    const { config, filled } = withLabSecretStandIns(dev);
    expect(filled).toEqual([]);
    expect(config).toEqual(dev);
  });
});
