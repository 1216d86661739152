import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function assertHostname(hostname: string): void {
  if (!HOSTNAME.test(hostname)) throw new Error(`"${hostname}" is not a valid host name (lowercase DNS labels, e.g. mail.lab.example)`);
}

/**
 * What makes a booted copy a distinct machine, as on a droplet's first boot: its own
 * machine id and the host name the droplet is created with (cloud-init writes both files).
 */
export function writeIdentity(rootDir: string, hostname: string): void {
  const short = hostname.split(".")[0];
  fs.writeFileSync(path.join(rootDir, "etc/machine-id"), `${randomBytes(16).toString("hex")}\n`);
  fs.writeFileSync(path.join(rootDir, "etc/hostname"), `${hostname}\n`);
  fs.writeFileSync(
    path.join(rootDir, "etc/hosts"),
    [
      "127.0.0.1 localhost",
      `127.0.1.1 ${hostname}${short !== hostname ? ` ${short}` : ""}`,
      "::1 localhost ip6-localhost ip6-loopback",
      "ff02::1 ip6-allnodes",
      "ff02::2 ip6-allrouters",
      "",
    ].join("\n"),
  );
}
