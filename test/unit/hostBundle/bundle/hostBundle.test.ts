// The bundle tests that need a certificate (made by openssl) are in test/system/hostBundle/bundle/hostBundle.test.ts.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildHostBundle } from "../../../../hostBundle/buildHostBundle";
import { assembleHostBundle } from "../../../../hostBundle/format/hostBundle";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { bundleTestContext, fixtureFiles, testRsaKeyPem } from "../../../support/hostBundle/bundle/bundleFixture";

const ctx = bundleTestContext();

describe("assembleHostBundle", () => {
  it("sorts the files and hashes a stable manifest, whatever order they were rendered in", () => {
    const files = fixtureFiles();
    const bundle = assembleHostBundle(ctx, files);
    expect(bundle.files.map((f) => f.path)).toEqual([...files.map((f) => f.path)].sort());
    expect(assembleHostBundle(ctx, [...files].reverse()).manifestJson).toBe(bundle.manifestJson);
    expect(bundle.hash).toBe(createHash("sha256").update(bundle.manifestJson).digest("hex"));
    expect(bundle.manifest.files[0]).toEqual({
      path: "/etc/nftables.conf",
      mode: "0755",
      owner: "root",
      group: "root",
      service: "nftables",
      secret: false,
      sha256: createHash("sha256").update(files[1]!.content).digest("hex"),
    });
    expect(Object.keys(JSON.parse(bundle.manifestJson))).toEqual(["format", "tenantId", "bundleVersion", "tooling", "files"]);
    expect(bundle.manifest.tooling.map((t) => t.name)).toEqual(["apply.sh", "apply-settings.sh"]);
  });

  it("changes the hash when a file's content or mode changes, and only that entry", () => {
    const base = assembleHostBundle(ctx, fixtureFiles());
    const edited = fixtureFiles().map((f) => (f.path === "/etc/postfix/main.cf" ? { ...f, content: `${f.content}smtpd_tls_auth_only = yes\n` } : f));
    const changed = assembleHostBundle(ctx, edited);
    expect(changed.hash).not.toBe(base.hash);
    expect(changed.manifest.files.filter((f, i) => f.sha256 !== base.manifest.files[i]!.sha256).map((f) => f.path)).toEqual(["/etc/postfix/main.cf"]);
    const chmodded = fixtureFiles().map((f) => (f.path === "/etc/nftables.conf" ? { ...f, mode: 0o644 } : f));
    expect(assembleHostBundle(ctx, chmodded).hash).not.toBe(base.hash);
  });

  it("refuses unsafe files, naming each problem", () => {
    const bad = [
      ...fixtureFiles(),
      { path: "etc/relative", content: "", mode: 0o644, owner: "root", group: "root", service: "postfix" as const },
      { path: "/etc/with space", content: "", mode: 0o644, owner: "root", group: "root", service: "postfix" as const },
      { path: "/etc/postfix/../shadow", content: "", mode: 0o644, owner: "root", group: "root", service: "postfix" as const },
      { path: "/etc/postfix/main.cf", content: "", mode: 0o644, owner: "root", group: "root", service: "postfix" as const },
      { path: "/etc/secret", content: "x", mode: 0o644, owner: "root", group: "root", service: "dovecot" as const, secret: true },
      { path: "/etc/leak.pem", content: testRsaKeyPem(), mode: 0o644, owner: "root", group: "root", service: "nginx" as const },
      { path: "/etc/owner", content: "", mode: 0o644, owner: "Root Admin", group: "root", service: "nginx" as const },
      { path: "/etc/mode", content: "", mode: 0o10000, owner: "root", group: "root", service: "nginx" as const },
    ];
    let message = "";
    try {
      assembleHostBundle(ctx, bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("(8 problems)");
    for (const expected of [
      '"etc/relative": not an absolute path',
      '"/etc/with space": not an absolute path',
      '"/etc/postfix/../shadow": not an absolute path',
      "/etc/postfix/main.cf: rendered twice",
      "/etc/secret: secret file would be readable by every user",
      "/etc/leak.pem: holds a private key but is not marked secret",
      '/etc/owner: owner "Root Admin" is not a Linux account name',
      "/etc/mode: mode 4096 is not a permission value",
    ]) expect(message).toContain(expected);
    expect(message).not.toContain("PRIVATE KEY");
  });
});

describe("buildHostBundle with the real renderers", () => {
  it("adds one DKIM key per published selector, secret and owned by _rspamd", () => {
    const rotating = bundleTestContext({ dkim: { selectors: ["mail", "mail2"], active: "mail" } });
    const bundle = buildHostBundle(rotating, { dkimPrivateKeyPems: { mail: testRsaKeyPem(), mail2: testRsaKeyPem() } });
    const keys = bundle.files.filter((f) => f.path.startsWith(`${hostLayout.dkimKeyDir}/`));
    expect(keys.map((k) => [k.path, k.secret, k.mode, k.owner])).toEqual([
      [`${hostLayout.dkimKeyDir}/mail.key`, true, 0o600, "_rspamd"],
      [`${hostLayout.dkimKeyDir}/mail2.key`, true, 0o600, "_rspamd"],
    ]);
    expect(bundle.files.some((f) => f.path === "/etc/postfix/main.cf")).toBe(true);
    expect(bundle.files.some((f) => f.path === hostLayout.nftablesRuleset)).toBe(true);
  });

  it("says which selector lacks a key or has no business having one", () => {
    const rotating = bundleTestContext({ dkim: { selectors: ["mail", "mail2"], active: "mail" } });
    expect(() => buildHostBundle(rotating, { dkimPrivateKeyPems: { mail: testRsaKeyPem(), old: testRsaKeyPem() } })).toThrow(
      'no DKIM private key for published selector "mail2"; a DKIM private key for selector "old", which is not published',
    );
  });

  it("gives the same bundle for the same inputs", () => {
    const a = buildHostBundle(ctx, { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    const b = buildHostBundle(bundleTestContext(), { dkimPrivateKeyPems: { mail: testRsaKeyPem() } });
    expect(b.hash).toBe(a.hash);
  });
});
