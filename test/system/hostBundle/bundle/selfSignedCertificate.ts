import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TlsCertificatePems } from "../../../../hostBundle/render/tlsFiles";

/** A self-signed ECDSA P-256 pair for `hostname` (and any further names), made by this machine's openssl. */
export function selfSignedCertificate(hostname: string, ...moreNames: string[]): TlsCertificatePems {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-cert-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
      "-subj", `/CN=${hostname}`, "-addext", `subjectAltName=${[hostname, ...moreNames].map((n) => `DNS:${n}`).join(",")}`,
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { fullchainPem: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), privateKeyPem: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
