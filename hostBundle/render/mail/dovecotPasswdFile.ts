import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/**
 * Dovecot's passwd-file, read as passdb and userdb: one line per configured mailbox with its hash
 * (a password scheme such as {BLF-CRYPT} from the tenant config, never a password) and its quota,
 * none by default.
 */
export function renderDovecotPasswdFile(ctx: HostRenderContext): string {
  const lines = ctx.config.mailboxes.map((mailbox) => {
    assertPasswdField(mailbox.address, "address");
    assertPasswdField(mailbox.passwordHash, "password hash");
    if (!Number.isInteger(mailbox.quotaMegabytes) || mailbox.quotaMegabytes < 1) throw new Error(`mailbox quota ${String(mailbox.quotaMegabytes)} is not a whole number of megabytes`);
    // user:password:uid:gid:gecos:home:shell:extra fields; uid, gid and home come from the userdb's default_fields.
    return `${mailbox.address}:${mailbox.passwordHash}::::::userdb_quota_rule=*:storage=${mailbox.quotaMegabytes}M`;
  });
  return [
    renderFileHeader(ctx, hostLayout.dovecotPasswdFile),
    ...(lines.length > 0 ? lines : ["# No mailboxes configured: no login succeeds."]),
    "",
  ].join("\n");
}

/** A colon or line break inside a field would add fields or whole accounts to the file. */
function assertPasswdField(value: string, what: string): void {
  if (value.length === 0 || /[:\r\n\0]/.test(value)) throw new Error(`mailbox ${what} is empty or holds a colon or line break; it cannot go into Dovecot's passwd-file`);
}
