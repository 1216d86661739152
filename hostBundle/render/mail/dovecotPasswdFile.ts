import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/**
 * Dovecot's passwd-file: one `address:hash` line per configured mailbox, none by default. The
 * hashes come from the tenant config (a password scheme such as {BLF-CRYPT}, never a password).
 */
export function renderDovecotPasswdFile(ctx: HostRenderContext): string {
  const lines = ctx.config.mailboxes.map((mailbox) => {
    assertPasswdField(mailbox.address, "address");
    assertPasswdField(mailbox.passwordHash, "password hash");
    return `${mailbox.address}:${mailbox.passwordHash}`;
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
