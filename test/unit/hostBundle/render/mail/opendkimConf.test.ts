import { describe, expect, it } from "vitest";
import { dkimPrivateKeyPath } from "../../../../../hostBundle/hostLayout";
import { dkimKeyFile, renderOpendkimConf } from "../../../../../hostBundle/render/mail/opendkimConf";
import { postfixOpendkimMilter } from "../../../../../hostBundle/render/mail/postfixMainCf";
import { parseOpendkimConf } from "../../../../../hostBundle/parsers/opendkim";
import { mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";

describe("renderOpendkimConf", () => {
  const { settings, problems } = parseOpendkimConf(renderOpendkimConf(mailTestContext({ dkim: { selectors: ["pm2025q4", "pm2026q1"], active: "pm2026q1" } })));

  it("signs the tenant domain with the active selector's key, relaxed/relaxed", () => {
    expect(problems).toEqual([]);
    expect(settings.get("mode")).toBe("s");
    expect(settings.get("domain")).toBe("tenant-one.example");
    expect(settings.get("selector")).toBe("pm2026q1");
    expect(settings.get("keyfile")).toBe(dkimPrivateKeyPath("pm2026q1"));
    expect(settings.get("canonicalization")).toBe("relaxed/relaxed");
    expect(settings.get("requiresafekeys")).toBe("yes");
  });

  it("listens where Postfix's milter setting points, inside the spool, for group postfix only", () => {
    const relative = postfixOpendkimMilter.replace(/^unix:/, "");
    expect(settings.get("socket")).toBe(`local:/var/spool/postfix/${relative}`);
    expect(settings.get("userid")).toBe("opendkim:postfix");
    expect(settings.get("umask")).toBe("007");
  });

  it("resolves through the local validating resolver", () => {
    expect(settings.get("nameservers")).toBe("127.0.0.1");
  });

  it("refuses an active selector that is not published", () => {
    const ctx = mailTestContext();
    const broken = { ...ctx, config: { ...ctx.config, dkim: { selectors: ["a"], active: "b" } } };
    expect(() => renderOpendkimConf(broken)).toThrow(/not published/);
  });
});

describe("dkimKeyFile", () => {
  it("is a secret 0600 file owned by opendkim at the selector's key path", () => {
    expect(dkimKeyFile("pm2026q1", pem)).toEqual({
      path: "/etc/opendkim/keys/pm2026q1.private",
      content: `${pem}\n`,
      mode: 0o600,
      owner: "opendkim",
      group: "opendkim",
      service: "opendkim",
      secret: true,
    });
  });

  it("refuses a selector that is not a DNS label and content that is not a private key", () => {
    expect(() => dkimKeyFile("../etc/passwd", pem)).toThrow(/DNS label/);
    expect(() => dkimKeyFile("mail", "ssh-ed25519 AAAA")).toThrow(/PEM private key/);
  });
});
