import { describe, expect, it } from "vitest";
import { serviceRuntimes } from "../../../../../hostBundle/apply/serviceTable";
import { dkimPrivateKeyPath, hostLayout } from "../../../../../hostBundle/hostLayout";
import { localResolver, postfixSpoolPath, postfixSpoolSockets } from "../../../../../hostBundle/render/mail/mailDaemonWiring";
import { renderPostfixSubmissionHeaderChecks } from "../../../../../hostBundle/render/mail/postfixHeaderChecks";
import { dkimKeyFile, renderRspamdFiles, rspamdMilterSocket } from "../../../../../hostBundle/render/mail/rspamd";
import { renderRspamdDkimSigning } from "../../../../../hostBundle/render/mail/rspamd/rspamdAuthentication";
import { rspamdDisabledModules } from "../../../../../hostBundle/render/mail/rspamd/rspamdDisabledModules";
import { renderRspamdPolicyLua, rspamdPolicyLuaPath, rspamdSigningFunction } from "../../../../../hostBundle/render/mail/rspamd/rspamdPolicyLua";
import { renderRspamdSenderMap, renderRspamdTenantDomainMap } from "../../../../../hostBundle/render/mail/rspamd/rspamdTenantMaps";
import { renderFileHeader } from "../../../../../hostBundle/renderContext";
import { mailRouting } from "../../../../../tenant/mailRouting";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const ctx = mailTestContext({
  alertEmail: "ops@tenant-one.example",
  mailboxes: [mailbox("ops@tenant-one.example"), mailbox("alice@tenant-one.example")],
  aliases: { "sales@tenant-one.example": "alice@tenant-one.example" },
  dkim: { selectors: ["pm2025q4", "pm2026q1"], active: "pm2026q1" },
});
const files = renderRspamdFiles(ctx);
const text = (path: string): string => {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`no rendered ${path}`);
  return file.content;
};
/** UCL `key = value;` lines of a rendered file, comments left out. */
const settings = (path: string): string[] => text(path).split("\n").filter((l) => l !== "" && !/^\s*#/.test(l));
const rows = (content: string): string[] => content.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";

describe("renderRspamdFiles", () => {
  it("writes only beside Debian's files (local.d, override.d, rspamd.local.lua, rspamd.conf.override), each once, for the rspamd service", () => {
    const paths = files.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const file of files) {
      expect(file.service, file.path).toBe("rspamd");
      expect(file.path, file.path).toMatch(/^\/etc\/rspamd\/(local\.d\/|override\.d\/|rspamd\.local\.lua$|rspamd\.conf\.override$)/);
    }
  });

  it("starts every file with the bundle header, in Lua's comment syntax for the Lua file", () => {
    for (const file of files) {
      const marker = file.path.endsWith(".lua") ? "--" : "#";
      expect(file.content.startsWith(renderFileHeader(ctx, file.path, marker)), file.path).toBe(true);
    }
  });

  it("keeps the account names from other local users and lets everyone read the rest", () => {
    for (const file of files) {
      const tenantMap = file.path === hostLayout.rspamdSenderMap || file.path === hostLayout.rspamdTenantDomainMap;
      expect([file.mode, file.owner, file.group], file.path).toEqual(tenantMap ? [0o640, "root", "_rspamd"] : [0o644, "root", "root"]);
      expect(file.secret, file.path).toBeUndefined();
    }
  });

  it("asks only the local resolver, and counts only loopback as local", () => {
    const options = settings(`${hostLayout.rspamdConfigDir}/local.d/options.inc`);
    expect(options).toContain(`  nameserver = ["${localResolver.host}:${localResolver.port}"];`);
    expect(options).toContain('local_addrs = ["127.0.0.0/8", "::1"];');
    expect(options).toContain('filters = "chartable,dkim,regexp";');
    for (const stateFile of ["history_file", "stats_file", "cache_file"]) expect(options).toContain(`${stateFile} = null;`);
  });

  it("fetches nothing over the network: no URL in any file", () => {
    for (const file of files) expect(file.content, file.path).not.toMatch(/\b(https?|rspamd):\/\//);
  });

  it("runs one proxy that speaks milter on the socket Postfix names, scanning itself; no normal, controller or fuzzy worker", () => {
    const proxy = settings(`${hostLayout.rspamdConfigDir}/override.d/worker-proxy.inc`);
    expect(rspamdMilterSocket).toBe(postfixSpoolPath(postfixSpoolSockets.rspamdMilter));
    expect(proxy).toContain(`bind_socket = "${rspamdMilterSocket} mode=0666";`);
    expect(proxy).toContain("milter = yes;");
    expect(proxy).toContain("count = 1;");
    expect(proxy.join("\n")).toMatch(/upstream "local" \{\n {2}default = yes;\n {2}self_scan = yes;\n\}/);
    for (const worker of ["normal", "controller", "fuzzy"]) {
      expect(settings(`${hostLayout.rspamdConfigDir}/override.d/worker-${worker}.inc`), worker).toEqual(["enabled = false;"]);
    }
  });

  it("turns every module off that needs redis or an outside service, each with its reason", () => {
    for (const module of ["greylist", "ratelimit", "neural", "reputation", "history_redis", "fuzzy_check", "rbl", "asn", "rspamd_update", "url_redirector"]) {
      expect(rspamdDisabledModules, module).toHaveProperty(module);
    }
    for (const [module, why] of Object.entries(rspamdDisabledModules)) {
      const path = `${hostLayout.rspamdConfigDir}/local.d/${module}.conf`;
      expect(settings(path), module).toEqual(["enabled = false;"]);
      expect(text(path), module).toContain(`# Off: ${why}.`);
    }
    // No Bayes classifier: rspamd 3.4 cannot turn it off, so an empty section replaces it.
    expect(settings(`${hostLayout.rspamdConfigDir}/rspamd.conf.override`)).toEqual(["classifier {}"]);
  });

  it("adds Authentication-Results after removing every one the message brought", () => {
    const headers = settings(`${hostLayout.rspamdConfigDir}/local.d/milter_headers.conf`).join("\n");
    expect(headers).toContain('use = ["authentication-results", "remove-spam-flag"];');
    expect(headers).toMatch(/authentication-results \{[^}]*remove = 0;/);
  });

  it("signs through the policy file's function, which the Lua file defines", () => {
    expect(settings(`${hostLayout.rspamdConfigDir}/local.d/dkim_signing.conf`)).toContain(`sign_condition = "return function(task) return ${rspamdSigningFunction}(task) end";`);
    expect(renderRspamdDkimSigning(ctx)).toContain(rspamdPolicyLuaPath);
    expect(renderRspamdPolicyLua(ctx)).toMatch(new RegExp(`^function ${rspamdSigningFunction}\\(task\\)$`, "m"));
  });

  it("names in the Lua policy the maps and key directory the bundle installs", () => {
    const lua = renderRspamdPolicyLua(ctx);
    expect(lua).toContain(`local DKIM_KEY_DIR = '${hostLayout.dkimKeyDir}'`);
    expect(lua).toContain(`local SENDER_LOGIN_MAP = '${hostLayout.rspamdSenderMap}'`);
    expect(lua).toContain(`local TENANT_DOMAINS_MAP = '${hostLayout.rspamdTenantDomainMap}'`);
    expect(dkimPrivateKeyPath("pm2026q1")).toBe(`${hostLayout.dkimKeyDir}/pm2026q1.key`);
    // Lua's comments are "--": no line may start with "#" (a syntax error rspamd would refuse).
    expect(lua.split("\n").filter((l) => l.startsWith("#"))).toEqual([]);
  });
});

describe("the tenant's rspamd maps", () => {
  it("let a login put in From: itself and every alias that ends in its mailbox, as mailRouting's owners", () => {
    const expected = [...mailRouting(ctx.config).owners].map(([address, login]) => `${address} ${login}`).sort();
    expect(rows(renderRspamdSenderMap(ctx))).toEqual(expected);
    expect(rows(renderRspamdSenderMap(ctx))).toContain("sales@tenant-one.example alice@tenant-one.example");
    expect(rows(renderRspamdSenderMap(ctx))).toContain("postmaster@tenant-one.example ops@tenant-one.example");
  });

  it("map the tenant domain to the active selector only", () => {
    expect(rows(renderRspamdTenantDomainMap(ctx))).toEqual(["tenant-one.example pm2026q1"]);
    const broken = { ...ctx, config: { ...ctx.config, dkim: { selectors: ["a"], active: "b" } } };
    expect(() => renderRspamdTenantDomainMap(broken)).toThrow(/not published/);
  });

  it("are rendered for another tenant with its own names only", () => {
    const other = mailTestContext({ domain: "tenant-two.example", alertEmail: "ops@tenant-two.example", mailboxes: [mailbox("ops@tenant-two.example")] });
    for (const file of renderRspamdFiles(other)) expect(file.content, file.path).not.toContain("tenant-one");
    expect(rows(renderRspamdTenantDomainMap(other))).toEqual(["tenant-two.example mail"]);
  });
});

describe("dkimKeyFile", () => {
  it("is a secret 0600 file owned by _rspamd at the selector's key path", () => {
    expect(dkimKeyFile("pm2026q1", pem)).toEqual({
      path: "/etc/rspamd/dkim/pm2026q1.key",
      content: `${pem}\n`,
      mode: 0o600,
      owner: "_rspamd",
      group: "_rspamd",
      service: "rspamd",
      secret: true,
    });
  });

  it("lives in the directory the service table makes for rspamd only", () => {
    expect(serviceRuntimes.rspamd.directories).toContainEqual({ path: hostLayout.dkimKeyDir, mode: "0750", owner: "root", group: "_rspamd" });
    expect(serviceRuntimes.rspamd.directories).toContainEqual({ path: `${hostLayout.postfixSpoolDir}/rspamd`, mode: "0750", owner: "_rspamd", group: "postfix" });
  });

  it("refuses a selector that is not a DNS label and content that is not a private key", () => {
    expect(() => dkimKeyFile("../etc/passwd", pem)).toThrow(/DNS label/);
    expect(() => dkimKeyFile("mail", "ssh-ed25519 AAAA")).toThrow(/PEM private key/);
  });
});

describe("the rspamd service", () => {
  it("is checked by rspamadm configtest -s as _rspamd and restarted, its log read for [warn], [error] and [crit]", () => {
    const runtime = serviceRuntimes.rspamd;
    expect(runtime.packages).toEqual(["rspamd"]);
    expect(runtime.units).toEqual(["rspamd.service"]);
    expect(runtime.activation).toBe("restart");
    expect(runtime.checks.map((c) => c.command)).toEqual(["setpriv --reuid=_rspamd --regid=_rspamd --init-groups rspamadm configtest -s"]);
    expect(runtime.logFiles).toEqual([hostLayout.rspamdLog]);
    const bad = new RegExp(runtime.badLogLines ?? "^$", "i");
    expect(bad.test("2026-11-29 21:33:04 [error] #28479(rspamd_proxy) <i88ji5>; cfg; x")).toBe(true);
    expect(bad.test("2026-11-29 21:33:04 [warn] #28479(main) x")).toBe(true);
    expect(bad.test("2026-11-29 21:33:04 [notice] #28479(main) x")).toBe(false);
  });
});

describe("renderPostfixSubmissionHeaderChecks", () => {
  it("rewrites only this host's own Received: of an authenticated submission, keeping the by-clause onwards", () => {
    const rules = renderPostfixSubmissionHeaderChecks(ctx).split("\n").filter((l) => l.startsWith("/"));
    expect(rules).toEqual([
      "/^Received: from .*[[:space:]](by mail\\.tenant-one\\.example \\(Postfix\\) with E?SMTPS?A id .*)$/ REPLACE Received: $1",
    ]);
  });
});
