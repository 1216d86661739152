// nginx itself with the rendered site (nginx -t, then serving in a network namespace) is in
// test/system/hostBundle/render/system/nginxMtaStsSite.test.ts.
import { describe, expect, it } from "vitest";
import { httpSecurityHeaders } from "../../../../../baseline/http";
import { allowedTlsVersions, tls12CipherSuites } from "../../../../../baseline/tls";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import {
  mtaStsPolicyUrlPath,
  nginxDebianDefaultSitePath,
  renderNginxMtaStsSite,
} from "../../../../../hostBundle/render/system/nginxMtaStsSite";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext();
const site = renderNginxMtaStsSite(ctx);
const files = renderSystemFiles(ctx).filter((f) => f.service === "nginx");
const mtaSts = ctx.mtaStsHostname;

describe("renderNginxMtaStsSite", () => {
  const directives = site.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));

  it("listens on 443 only, with TLS, for both families", () => {
    const listens = directives.filter((l) => l.startsWith("listen "));
    expect(listens.length).toBeGreaterThan(0);
    expect(listens.every((l) => /^listen (?:\[::\]:)?443 ssl(?: default_server)?;$/.test(l))).toBe(true);
    expect(listens.some((l) => l.startsWith("listen [::]:443"))).toBe(true);
  });

  it("serves mta-sts.<domain> only, and refuses the handshake for any other name", () => {
    expect(directives.filter((l) => l.startsWith("server_name "))).toEqual(["server_name _;", `server_name ${mtaSts};`]);
    expect(directives).toContain("ssl_reject_handshake on;");
  });

  it("allows the baseline's TLS versions and ciphers only, with the certificate from hostLayout", () => {
    expect(directives.filter((l) => l.startsWith("ssl_protocols "))).toEqual(Array(2).fill(`ssl_protocols ${allowedTlsVersions.join(" ")};`));
    expect(directives.filter((l) => l.startsWith("ssl_ciphers "))).toEqual(Array(2).fill(`ssl_ciphers ${tls12CipherSuites.join(":")};`));
    expect(directives).toContain(`ssl_certificate ${hostLayout.tls.fullchain};`);
    expect(directives).toContain(`ssl_certificate_key ${hostLayout.tls.privateKey};`);
  });

  it("adds every baseline header with `always`, and hides the version", () => {
    for (const [name, value] of Object.entries(httpSecurityHeaders)) {
      expect(directives).toContain(`add_header ${name} "${value}" always;`);
    }
    expect(directives.filter((l) => l.startsWith("add_header"))).toHaveLength(Object.keys(httpSecurityHeaders).length);
    expect(directives.filter((l) => l === "server_tokens off;")).toHaveLength(2);
  });

  it("ships the policy under the web root at the RFC 8461 path, and replaces Debian's default site", () => {
    expect(hostLayout.mtaStsPolicyFile).toBe(`${hostLayout.mtaStsWebRoot}${mtaStsPolicyUrlPath}`);
    const policy = files.find((f) => f.path === hostLayout.mtaStsPolicyFile);
    expect(policy?.content).toBe(ctx.mtaStsPolicy);
    const replacement = files.find((f) => f.path === nginxDebianDefaultSitePath);
    expect(replacement?.content.split("\n").filter((l) => l.trim() && !l.startsWith("#"))).toEqual([]);
  });
});
