import { describe, expect, it } from "vitest";
import { tls12CipherSuites } from "../../../../../baseline/tls";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderDovecotConf } from "../../../../../hostBundle/render/mail/dovecotConf";
import { renderDovecotPasswdFile } from "../../../../../hostBundle/render/mail/dovecotPasswdFile";
import { dovecotBlockSettings, parseDovecotConf } from "../../../../../hostBundle/parsers/dovecot";
import { mailbox, mailTestContext, samplePasswordHash } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const text = renderDovecotConf(mailTestContext());
const conf = parseDovecotConf(text);
const settings = conf.topLevel;

function blockSettings(header: RegExp): Record<string, string> {
  return Object.fromEntries(dovecotBlockSettings(conf, header));
}

describe("renderDovecotConf", () => {
  it("is one complete file Dovecot reads without a problem: no includes of Debian's conf.d", () => {
    expect(conf.problems).toEqual([]);
    expect(text).not.toMatch(/^\s*!include/m);
  });

  it("speaks IMAP and LMTP only, IMAP on 993 with implicit TLS and nothing on 143", () => {
    expect(settings.get("protocols")).toBe("imap lmtp");
    expect(blockSettings(/^inet_listener imap$/)).toEqual({ port: "0" });
    expect(blockSettings(/^inet_listener imaps$/)).toEqual({ port: "993", ssl: "yes" });
  });

  it("requires TLS 1.2+ with the baseline ciphers, server order first", () => {
    expect(settings.get("ssl")).toBe("required");
    expect(settings.get("ssl_min_protocol")).toBe("TLSv1.2");
    expect(settings.get("ssl_cipher_list")?.split(":")).toEqual([...tls12CipherSuites]);
    expect(settings.get("ssl_prefer_server_ciphers")).toBe("yes");
    expect(settings.get("ssl_cert")).toBe(`<${hostLayout.tls.fullchain}`);
    expect(settings.get("ssl_key")).toBe(`<${hostLayout.tls.privateKey}`);
  });

  it("never accepts a password outside TLS", () => {
    expect(settings.get("disable_plaintext_auth")).toBe("yes");
  });

  it("gives Postfix its auth socket (0660, user postfix) and LMTP socket inside the spool", () => {
    expect(blockSettings(/^unix_listener \/var\/spool\/postfix\/private\/auth$/)).toEqual({ mode: "0660", user: "postfix", group: "postfix" });
    expect(blockSettings(/^unix_listener \/var\/spool\/postfix\/private\/dovecot-lmtp$/)).toEqual({ mode: "0600", user: "postfix", group: "postfix" });
  });

  it("authenticates from the passwd-file and stores mail as the one virtual user under /var/vmail", () => {
    expect(blockSettings(/^passdb$/)).toEqual({ driver: "passwd-file", args: `scheme=BLF-CRYPT username_format=%u ${hostLayout.dovecotPasswdFile}` });
    expect(blockSettings(/^userdb$/)).toEqual({
      driver: "passwd-file",
      args: `username_format=%u ${hostLayout.dovecotPasswdFile}`,
      default_fields: `uid=5000 gid=5000 home=${hostLayout.mailStorageDir}/%d/%n`,
    });
    expect(settings.get("mail_location")).toBe("maildir:~/Maildir");
    expect([settings.get("first_valid_uid"), settings.get("last_valid_uid")]).toEqual(["5000", "5000"]);
  });

  it("counts every mailbox against a quota and answers Postfix's RCPT check from inside its spool", () => {
    expect(settings.get("mail_plugins")).toBe("$mail_plugins quota");
    expect(blockSettings(/^plugin$/)).toMatchObject({ quota: "count:Mailbox", quota_rule: "*:storage=5120M", quota_grace: "10%%", quota_status_overquota: '"552 5.2.2 Mailbox is full"' });
    expect(blockSettings(/^unix_listener \/var\/spool\/postfix\/private\/dovecot-quota-status$/)).toEqual({ mode: "0600", user: "postfix", group: "postfix" });
  });

  it("logs to the file fail2ban reads", () => {
    expect(settings.get("log_path")).toBe(hostLayout.dovecotLog);
  });
});

describe("renderDovecotPasswdFile", () => {
  const entries = (t: string): string[] => t.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

  it("has no account without mailboxes", () => {
    expect(entries(renderDovecotPasswdFile(mailTestContext({ alertEmail: "ops@platform.example", mailboxes: [] })))).toEqual([]);
  });

  it("has one address:hash line per configured mailbox, with its quota", () => {
    const ctx = mailTestContext({ alertEmail: "alice@tenant-one.example", mailboxes: [mailbox("alice@tenant-one.example"), mailbox("bob@tenant-one.example", samplePasswordHash, 200)] });
    expect(entries(renderDovecotPasswdFile(ctx))).toEqual([
      `alice@tenant-one.example:${samplePasswordHash}::::::userdb_quota_rule=*:storage=5120M`,
      `bob@tenant-one.example:${samplePasswordHash}::::::userdb_quota_rule=*:storage=200M`,
    ]);
  });

  it("refuses a field that would add fields or accounts", () => {
    const ctx = mailTestContext({ alertEmail: "alice@tenant-one.example", mailboxes: [mailbox("alice@tenant-one.example")] });
    const injected = { ...ctx, config: { ...ctx.config, mailboxes: [{ address: "alice@tenant-one.example", passwordHash: `${samplePasswordHash}\nmallory@x:{PLAIN}x`, quotaMegabytes: 1 }] } };
    expect(() => renderDovecotPasswdFile(injected)).toThrow(/colon or line break/);
  });
});
