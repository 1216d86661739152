/** A throwaway CA and a certificate for a lab listener on loopback, made with openssl. */

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface ListenerCertificate {
  readonly caPem: string;
  readonly certificateFile: string;
  readonly keyFile: string;
}

const validDays = "2";

export function createListenerCertificate(dir: string, subjectAltName = "DNS:localhost,IP:127.0.0.1,IP:::1"): ListenerCertificate {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ecKey, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", validDays, "-subj", "/CN=ACME lab listener CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
  openssl("req", "-new", ...ecKey, "-keyout", file("listener.key"), "-out", file("listener.csr"), "-subj", "/CN=localhost");
  fs.writeFileSync(file("listener.ext"), `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", file("listener.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial",
    "-out", file("listener.pem"), "-days", validDays, "-extfile", file("listener.ext"));
  return { caPem: fs.readFileSync(file("ca.pem"), "utf8"), certificateFile: file("listener.pem"), keyFile: file("listener.key") };
}
