import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/**
 * The tenant's mailbox addresses as a Postfix texthash table, each mapped to itself. One table,
 * two uses: as virtual_mailbox_maps it lists the recipients that exist; as smtpd_sender_login_maps
 * it says that each address is owned by the SASL login of the same name.
 */
export function renderPostfixMailboxMap(ctx: HostRenderContext): string {
  const lines = ctx.config.mailboxes.map((mailbox) => {
    assertMapKey(mailbox.address);
    return `${mailbox.address} ${mailbox.address}`;
  });
  return [
    renderFileHeader(ctx, hostLayout.postfixMailboxMap),
    "# address  SASL login that may send as it",
    ...(lines.length > 0 ? lines : ["# No mailboxes configured: every recipient in the tenant domain is refused."]),
    "",
  ].join("\n");
}

/** A key with whitespace or a comment sign would change the table's meaning; the config parser already refuses them. */
function assertMapKey(address: string): void {
  if (!/^[^\s#]+@[^\s#]+$/.test(address)) throw new Error(`mailbox address ${JSON.stringify(address)} cannot be a Postfix table key`);
}
