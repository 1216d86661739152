import type { TenantConfig } from "../../../tenant/tenantConfig";
import { mailHostname } from "../../../tenant/names";
import { hostLayout } from "../../hostLayout";
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

/**
 * The droplet's first-boot user data (#cloud-config): the admin user with its SSH keys and sudo,
 * and key-only SSH, before any bundle exists. Everything else comes from the bundle.
 *
 * It carries no secret: any process on the droplet can read user data from DigitalOcean's
 * metadata service. It has no bundle version in it either: a changed user data replaces the
 * droplet, so it must change only when the admin user or keys change.
 */
export function renderCloudInitUserData(config: TenantConfig, deployPublicKeys: readonly string[] = []): string {
  // The deploy key is how `pulumi up` reaches the admin account to apply the host bundle.
  const authorizedKeys = [
    ...config.adminSshPublicKeys.map((key) => (key.comment ? `${key.canonical} ${key.comment}` : key.canonical)),
    ...deployPublicKeys.map((key) => key.trim()),
  ];
  const [blockHead, ...blockLines] = yamlLiteralBlock(renderSshdHardeningSettings(config.adminUser), "      ");
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
    "    ssh_authorized_keys:",
    ...authorizedKeys.map((key) => `      - ${yamlString(key)}`),
    "",
    "# The same sshd settings the bundle installs, in place before sshd first starts.",
    "write_files:",
    `  - path: ${yamlString(hostLayout.sshdDropIn)}`,
    `    owner: ${yamlString("root:root")}`,
    `    permissions: ${yamlString("0644")}`,
    `    content: ${blockHead}`,
    ...blockLines,
    "",
  ].join("\n");
}
