/** The Debian packages the ACME lab runs, installed on first use when missing. */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Program -> the Debian package that ships it. */
const programs: Readonly<Record<string, string>> = {
  pebble: "pebble",
  knotd: "knot",
  knsupdate: "knot-dnsutils",
  openssl: "openssl",
};

export function findProgram(program: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin"]);
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Installs what is missing with apt-get when running as root; otherwise says what to install. */
export function ensureAcmeLabPackages(): void {
  const missing = [...new Set(Object.keys(programs).filter((p) => findProgram(p) === undefined).map((p) => programs[p]!))];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`the ACME lab needs ${missing.join(", ")}: apt-get install -y --no-install-recommends ${missing.join(" ")}`);
  }
  const apt = ["-o", "DPkg::Lock::Timeout=600"];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", [...apt, "update", "-q"], { stdio: "inherit", env });
  execFileSync("apt-get", [...apt, "install", "-y", "-q", "--no-install-recommends", ...missing], { stdio: "inherit", env });
}
