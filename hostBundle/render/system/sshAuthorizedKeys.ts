import { sshAllowedKeyTypes } from "../../../baseline/keys";
import type { SshPublicKey } from "../../../baseline/sshPublicKey";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/**
 * One authorized_keys file per account, root's to write: sshd reads keys from here and nowhere
 * else (AuthorizedKeysFile in the drop-in), so a login cannot leave a key of its own behind that
 * outlives a rotation, and a key removed from the config stops working on the next apply.
 */
export const sshAuthorizedKeysDir = "/etc/ssh/penguinmails-authorized-keys";

/** sshd_config's AuthorizedKeysFile: sshd expands %u to the account logging in. */
export const sshAuthorizedKeysFileSetting = `${sshAuthorizedKeysDir}/%u`;

export function sshAuthorizedKeysPath(user: string): string {
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`the admin user ${JSON.stringify(user)} cannot name a file in ${sshAuthorizedKeysDir}`);
  return `${sshAuthorizedKeysDir}/${user}`;
}

/**
 * A comment that stays one label on one line for every reader (sshd, less, a terminal): no control
 * or format characters, no line or paragraph separators. Anything else is left out: sshd ignores
 * the comment, and the key is what authorizes.
 */
const printableComment = /^[^\p{C}\p{Zl}\p{Zp}]+$/u;

/** `type base64 [comment]` and nothing else: no options prefix, no second line. */
function keyLine(key: SshPublicKey): string {
  const [type, data, ...rest] = key.canonical.split(" ");
  if (rest.length > 0 || !type || !data || !sshAllowedKeyTypes.includes(type) || type !== key.type || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
    throw new Error(`not an authorized_keys line: ${JSON.stringify(key.canonical.slice(0, 40))} is not "<key type> <base64>"`);
  }
  const comment = key.comment?.trim();
  return comment && printableComment.test(comment) ? `${type} ${data} ${comment}` : `${type} ${data}`;
}

/**
 * The admin's keys, then Pulumi's deploy key(s), without a file header: cloud-init writes the same
 * lines at first boot, and the bundle's file carries them under its header.
 */
export function renderAuthorizedKeyLines(adminKeys: readonly SshPublicKey[], deployKeys: readonly SshPublicKey[]): string {
  return [
    "# The admin's keys (penguinmails-mail:adminSshPublicKeys). sshd reads no other file: a key",
    "# removed from the config stops working when the next bundle is applied.",
    ...adminKeys.map(keyLine),
    "# Pulumi's deploy key: how `pulumi up` logs in to apply the host bundle. An apply refuses a",
    "# bundle whose keys would no longer admit the key it runs under.",
    ...deployKeys.map(keyLine),
    "",
  ].join("\n");
}

/** /etc/ssh/penguinmails-authorized-keys/<admin user>: root's file, readable by sshd and the admin alike. */
export function renderSshAuthorizedKeys(ctx: HostRenderContext): string {
  return renderFileHeader(ctx, sshAuthorizedKeysPath(ctx.config.adminUser)) + renderAuthorizedKeyLines(ctx.config.adminSshPublicKeys, ctx.deployPublicKeys);
}
