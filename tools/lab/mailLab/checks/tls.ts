/**
 * TLS on every listener, over IPv4 and IPv6, from the internet: a client offering only TLS 1.0 (then
 * only 1.1) is refused; 1.2 and 1.3 complete with the certificate verified against the lab's root
 * for the name the port serves; nmap's ssl-enum-ciphers lists no other protocol and grades every
 * offered suite A.
 */

import { allowedTlsVersions } from "../../../../baseline/tls";
import type { MailLab } from "../mailLab";
import { families, internetClient, verdict, type Family, type LabCheck, type SharedProbes } from "./check";
import type { CheckName } from "./checkNames";
import { parseNmapPorts, type NmapPort } from "./nmapOutput";

const tlsPorts = [25, 465, 587, 993, 443] as const;
type TlsPort = (typeof tlsPorts)[number];

interface VersionAnswer {
  accepted: boolean;
  version?: string;
  cipher?: string;
  error?: string;
}

/** One nmap cipher enumeration of every TLS port per family, from the scanner, shared by the five checks. */
function cipherScan(lab: MailLab, shared: SharedProbes, family: Family): Promise<NmapPort[]> {
  return shared.once(`nmap-ciphers-${family}`, async () => {
    const result = await lab.internet.run("nmap", [
      ...(family === "v6" ? ["-6"] : []),
      "-Pn", "-n", "-S", lab.internet.addresses.scanner[family], "-e", "eth0",
      "--script", "ssl-enum-ciphers",
      // nginx refuses a handshake without the policy host's name (unknown SNI); the mail ports ignore it.
      "--script-args", `tls.servername=${lab.mtaStsHostname}`,
      "-p", tlsPorts.join(","), lab.host.address[family],
    ], { timeoutMs: 180_000 });
    if (result.code !== 0) throw new Error(`nmap ssl-enum-ciphers over ${family} failed: ${result.stderr.trim()}`);
    return parseNmapPorts(result.stdout);
  });
}

function serverName(lab: MailLab, port: TlsPort): string {
  return port === 443 ? lab.mtaStsHostname : lab.mailHostname;
}

function tlsCheck(port: TlsPort): LabCheck {
  return {
    name: `tls.${port}` as CheckName,
    proves: `port ${port}, v4 and v6: TLS 1.0 and 1.1 refused to a client offering them, 1.2 and 1.3 accepted with a verified chain, every suite graded A by nmap`,
    async run(lab, shared) {
      const problems: string[] = [];
      const seen: string[] = [];
      for (const family of families) {
        const versions = await internetClient<Record<string, VersionAnswer>>(lab, "tls-versions", {
          from: lab.internet.addresses.tlsProber,
          family,
          options: { port, servername: serverName(lab, port), cafile: lab.caFile },
        });
        for (const [version, answer] of Object.entries(versions)) {
          const allowed = allowedTlsVersions.includes(version);
          if (allowed && !answer.accepted) problems.push(`${family}: ${version} refused (${answer.error})`);
          if (!allowed && answer.accepted) problems.push(`${family}: ${version} accepted (${answer.cipher})`);
        }
        const scanned = (await cipherScan(lab, shared, family)).find((p) => p.port === port);
        if (!scanned || scanned.ciphers.length === 0) {
          problems.push(`${family}: nmap enumerated no suites (${scanned?.state ?? "port not in its output"})`);
          continue;
        }
        const extra = scanned.protocols.filter((p) => !allowedTlsVersions.includes(p));
        if (extra.length > 0) problems.push(`${family}: nmap found ${extra.join(", ")} offered`);
        const weak = scanned.ciphers.filter((c) => c.grade !== "A");
        if (weak.length > 0) problems.push(`${family}: nmap grades ${weak.map((c) => `${c.name} (${c.protocol}) ${c.grade}`).join(", ")}`);
        seen.push(`${family} ${scanned.protocols.join("+")} ${scanned.ciphers.length} suites`);
      }
      return verdict(problems, `1.0/1.1 refused, 1.2/1.3 verified; nmap: ${seen.join("; ")}, all A`);
    },
  };
}

export const tlsChecks: LabCheck[] = tlsPorts.map(tlsCheck);
