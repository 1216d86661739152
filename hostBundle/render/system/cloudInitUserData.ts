import type { TenantConfig } from "../../../tenant/tenantConfig";
import { mailHostname } from "../../../tenant/names";
import { hostLayout } from "../../hostLayout";
import { parseDeployPublicKeys } from "../../renderContext";
import { renderAuthorizedKeyLines, sshAuthorizedKeysPath } from "./sshAuthorizedKeys";
import { renderSshdHardeningSettings } from "./sshdDropIn";

/** A YAML double-quoted scalar: JSON's string syntax is valid YAML, escapes included. */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** A YAML literal block scalar (`|`), its lines indented under the key. */
function yamlLiteralBlock(text: string, indent: string): string[] {
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  return ["|", ...body.split("\n").map((line) => (line === "" ? "" : `${indent}${line}`))];
}

/** One write_files entry: a root-owned file every user may read (none of these holds a secret). */
function writeFileEntry(path: string, content: string): string[] {
  const [blockHead, ...blockLines] = yamlLiteralBlock(content, "      ");
  return [
    `  - path: ${yamlString(path)}`,
    `    owner: ${yamlString("root:root")}`,
    `    permissions: ${yamlString("0644")}`,
    `    content: ${blockHead}`,
    ...blockLines,
  ];
}

/**
 * The droplet's first-boot user data (#cloud-config): the admin user with sudo, key-only SSH and
 * the admin's and Pulumi's keys, before any bundle exists. Everything else comes from the bundle.
 *
 * The keys reach sshd as the bundle gives them, never through cloud-init's ssh_authorized_keys:
 * write_files runs in cloud-init's init stage, which systemd orders before sshd (cloud-init.service
 * has Before=sshd.service, Debian's alias of ssh.service), so sshd's first start reads the drop-in
 * that points AuthorizedKeysFile at root's key file, and that file. The next bundle replaces both;
 * a key in ~/.ssh/authorized_keys would be read by nobody.
 *
 * It carries no secret: any process on the droplet can read user data from DigitalOcean's
 * metadata service. Pulumi ignores later changes to it (they would replace the droplet), so it
 * holds only what first boot needs and no bundle version.
 */
export function renderCloudInitUserData(config: TenantConfig, deployPublicKeys: readonly string[] = []): string {
  return [
    // cloud-init reads the file as cloud-config only when this is its very first line.
    "#cloud-config",
    `# First-boot user data for ${mailHostname(config.domain)} (PenguinMails tenant mail server).`,
    "# Holds no secret: every process on the droplet can read it from the metadata service.",
    "",
    "# Current package lists and the updates released since the image was built, before the bundle.",
    "package_update: true",
    "package_upgrade: true",
    "",
    "# Root never logs in over SSH, and no account logs in with a password.",
    "disable_root: true",
    "ssh_pwauth: false",
    "",
    "users:",
    `  - name: ${yamlString(config.adminUser)}`,
    "    # Keys only: the account has no password, so sudo cannot ask for one.",
    "    lock_passwd: true",
    `    sudo: ${yamlString("ALL=(ALL) NOPASSWD:ALL")}`,
    "    # Reads the mail, fail2ban and journal logs without sudo.",
    "    groups: [adm, systemd-journal]",
    "    shell: /bin/bash",
    "",
    "# The same sshd settings and authorized keys the bundle installs, in place before sshd first starts.",
    "write_files:",
    ...writeFileEntry(hostLayout.sshdDropIn, renderSshdHardeningSettings(config.adminUser)),
    ...writeFileEntry(
      sshAuthorizedKeysPath(config.adminUser),
      renderAuthorizedKeyLines(config.adminSshPublicKeys, parseDeployPublicKeys(deployPublicKeys)),
    ),
    "",
  ].join("\n");
}
