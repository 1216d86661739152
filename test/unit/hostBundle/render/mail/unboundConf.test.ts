import { describe, expect, it } from "vitest";
import { renderUnboundConf } from "../../../../../hostBundle/render/mail/unboundConf";
import { mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const lines = renderUnboundConf(mailTestContext()).split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
const values = (name: string): string[] => lines.filter((l) => l.startsWith(`${name}:`)).map((l) => l.slice(name.length + 1).trim());

describe("renderUnboundConf", () => {
  it("listens on 127.0.0.1 only and answers nobody else", () => {
    expect(values("interface")).toEqual(["127.0.0.1"]);
    expect(values("access-control")).toEqual(["0.0.0.0/0 refuse", "::0/0 refuse", "127.0.0.0/8 allow"]);
  });

  it("validates DNSSEC from the root trust anchor Debian seeds from dns-root-data", () => {
    expect(values("auto-trust-anchor-file")).toEqual(['"/var/lib/unbound/root.key"']);
    expect(values("harden-dnssec-stripped")).toEqual(["yes"]);
  });

  it("reads the root servers from dns-root-data's root.hints, not its compiled-in list", () => {
    expect(values("root-hints")).toEqual(['"/usr/share/dns/root.hints"']);
  });

  it("includes nothing else", () => {
    expect(lines.filter((l) => /^include/.test(l))).toEqual([]);
  });
});
