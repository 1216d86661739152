import { describe, expect, it } from "vitest";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { bundleFileProblems } from "../../../../../hostBundle/format/validateBundleFiles";
import { dkimKeyFile, renderMailDaemonFiles } from "../../../../../hostBundle/render/mail/index";
import { renderFileHeader } from "../../../../../hostBundle/renderContext";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const ctx = mailTestContext({ alertEmail: "alice@tenant-one.example", mailboxes: [mailbox("alice@tenant-one.example")] });
const files = renderMailDaemonFiles(ctx);

describe("renderMailDaemonFiles", () => {
  it("renders each daemon's files at their host paths, for the service that validates them", () => {
    expect(files.filter((f) => f.service !== "rspamd").map((f) => [f.path, f.service])).toEqual([
      ["/etc/unbound/unbound.conf", "unbound"],
      ["/etc/mta-sts-daemon.yml", "mta-sts-resolver"],
      ["/etc/postfix/postfwd.cf", "rate-limit-policy"],
      ["/etc/default/postfwd", "rate-limit-policy"],
      ["/etc/dovecot/dovecot.conf", "dovecot"],
      [hostLayout.dovecotPasswdFile, "dovecot"],
      ["/etc/postfix/main.cf", "postfix"],
      ["/etc/postfix/master.cf", "postfix"],
      [hostLayout.postfixMailboxMap, "postfix"],
      [hostLayout.postfixAliasMap, "postfix"],
      [hostLayout.postfixSenderMap, "postfix"],
      [hostLayout.postfixSubmissionHeaderChecks, "postfix"],
    ]);
    const rspamd = files.filter((f) => f.service === "rspamd").map((f) => f.path);
    expect(rspamd.every((path) => path.startsWith(`${hostLayout.rspamdConfigDir}/`))).toBe(true);
    expect(rspamd).toEqual(expect.arrayContaining([hostLayout.rspamdSenderMap, hostLayout.rspamdTenantDomainMap, "/etc/rspamd/rspamd.local.lua"]));
  });

  it("keeps the password hashes secret, readable by Dovecot's group only", () => {
    const passwd = files.find((f) => f.path === hostLayout.dovecotPasswdFile);
    expect(passwd).toMatchObject({ mode: 0o640, owner: "root", group: "dovecot", secret: true });
    expect(files.filter((f) => f.secret).map((f) => f.path)).toEqual([hostLayout.dovecotPasswdFile]);
  });

  it("starts every file with the bundle header", () => {
    for (const file of files) expect(file.content.startsWith(renderFileHeader(ctx, file.path, file.path.endsWith(".lua") ? "--" : "#")), file.path).toBe(true);
  });

  it("passes the bundle's own file checks, DKIM keys included", () => {
    const key = dkimKeyFile("mail", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
    expect(bundleFileProblems([...files, key])).toEqual([]);
  });
});
