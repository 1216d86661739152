/** Chain checks of the certificate tests, by this machine's openssl. */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** `openssl verify` of leaf + chain against a root, for one host name; returns openssl's verdict. */
export function opensslVerify(rootPem: string, chainPem: string, leafPem: string, hostname: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cert-verify-"));
  try {
    fs.writeFileSync(path.join(dir, "root.pem"), rootPem);
    fs.writeFileSync(path.join(dir, "chain.pem"), chainPem);
    fs.writeFileSync(path.join(dir, "leaf.pem"), leafPem);
    return execFileSync(
      "openssl",
      ["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "-purpose", "sslserver", "-verify_hostname", hostname, "leaf.pem"],
      { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    ).trim();
  } catch (error) {
    return `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
