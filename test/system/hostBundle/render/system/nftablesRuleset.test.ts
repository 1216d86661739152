// The rendered ruleset under nft's own check, in a fresh user and network namespace. The text
// assertions are in test/unit/hostBundle/render/system/nftablesRuleset.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderNftablesRuleset, sshSourceSetNames } from "../../../../../hostBundle/render/system/nftablesRuleset";
import { setElements } from "../../../../support/hostBundle/render/system/nftablesRulesetText";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run } from "./hostCommands";

const dir = makeTempDir("pm-nft-check");
afterAll(() => removeTempDir(dir));

/** `nft -c` inside a fresh user+network namespace: a real parse and kernel check, host untouched. */
function nftCheck(text: string): { status: number | null; output: string } {
  const file = join(dir, `ruleset-${Math.random().toString(36).slice(2)}.nft`);
  writeFileSync(file, text);
  const result = run("unshare", ["-rn", "nft", "-c", "-f", file]);
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("renderNftablesRuleset", () => {
  const ctx = systemTestContext({ adminCidrs: ["203.0.113.0/28", "2001:db8:1234::/48"], deployCidrs: ["198.51.100.7", "2001:db8:feed::/64"] });
  const text = renderNftablesRuleset(ctx);

  it("passes nft's own check (unshare -rn nft -c -f)", () => {
    const check = nftCheck(text);
    expect(check.output).toBe("");
    expect(check.status).toBe(0);
  });

  it("still loads when a family has no SSH source and when admin and deploy blocks overlap", () => {
    const ipv4Only = renderNftablesRuleset(systemTestContext({ adminCidrs: ["203.0.113.0/24"], deployCidrs: ["203.0.113.16/28", "203.0.113.0/24"] }));
    expect(setElements(ipv4Only, sshSourceSetNames.ipv6)).toEqual([]);
    expect(setElements(ipv4Only, sshSourceSetNames.ipv4)).toEqual(["203.0.113.0/24", "203.0.113.16/28"]);
    expect(nftCheck(ipv4Only)).toEqual({ status: 0, output: "" });
  });

  it("the nft check rejects a broken ruleset (the checker is not a no-op)", () => {
    const broken = text.replace("icmp type echo-request", "icmp type echo-requst");
    expect(broken).not.toBe(text);
    expect(nftCheck(broken).status).not.toBe(0);
  });
});
