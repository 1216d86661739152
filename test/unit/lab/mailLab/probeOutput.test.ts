// What the checks read: nmap's output, the host's log lines, and the results table.
import { describe, expect, it } from "vitest";
import { unexpectedLines } from "../../../../tools/lab/mailLab/checks/logs";
import { parseNmapPorts, reachablePorts } from "../../../../tools/lab/mailLab/checks/nmapOutput";
import type { MailLab } from "../../../../tools/lab/mailLab/mailLab";
import { renderTable } from "../../../../tools/lab/mailLab/report";

// ssl-enum-ciphers against the lab host (nmap 7.93), trimmed to two ports.
const cipherScan = `PORT    STATE SERVICE
25/tcp  open  smtp
| ssl-enum-ciphers: 
|   TLSv1.0: 
|     ciphers: 
|       TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (ecdh_x25519) - A
|     compressors: 
|       NULL
|     cipher preference: server
|   TLSv1.2: 
|     ciphers: 
|       TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (ecdh_x25519) - A
|       TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA (secp256r1) - C
|     compressors: 
|       NULL
|     cipher preference: server
|_  least strength: C
443/tcp open  https
| ssl-enum-ciphers: 
|   TLSv1.3: 
|     ciphers: 
|       TLS_AKE_WITH_AES_128_GCM_SHA256 (ecdh_x25519) - A
|     cipher preference: client
|_  least strength: A
MAC Address: 22:B5:0B:37:68:1A (Unknown)
`;

const portScan = `Not shown: 65529 filtered tcp ports (no-response)
PORT     STATE  SERVICE
25/tcp   open   smtp
443/tcp  open   https
8080/tcp closed http-proxy
`;

describe("parseNmapPorts", () => {
  it("reads each port's protocols, suites with their grades, and least strength", () => {
    const [smtp, https] = parseNmapPorts(cipherScan);
    expect(smtp).toMatchObject({ port: 25, state: "open", protocols: ["TLSv1.0", "TLSv1.2"], leastStrength: "C" });
    expect(smtp!.ciphers).toEqual([
      { protocol: "TLSv1.0", name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", grade: "A" },
      { protocol: "TLSv1.2", name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", grade: "A" },
      { protocol: "TLSv1.2", name: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", grade: "C" },
    ]);
    expect(https).toMatchObject({ port: 443, protocols: ["TLSv1.3"], leastStrength: "A" });
  });

  it("counts a closed port as reachable: only a filtered one is shut", () => {
    expect(reachablePorts(parseNmapPorts(portScan))).toEqual([25, 443, 8080]);
  });
});

describe("unexpectedLines", () => {
  const pair = (last: number) => ({ v4: `198.51.100.${last}`, v6: `fd42:1ab::${last.toString(16)}` });
  const lab = {
    internet: { addresses: { scanner: pair(3), tlsProber: pair(11), connectionProber: pair(10), attacker: pair(8), relayProber: pair(9) } },
  } as unknown as MailLab;
  const log = (line: string) => ({ source: "/var/log/mail.log", line });

  it("passes a probe's expected echo from its own address, and only from it", () => {
    const lines = [
      log("Nov 29 22:35:47 mail postfix/smtpd[1589]: connect from unknown[198.51.100.11]"),
      log("Nov 29 22:35:47 mail postfix/smtpd[1589]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol"),
      log("Nov 29 22:35:48 mail postfix/smtpd[1589]: connect from unknown[198.51.100.7]"),
      log("Nov 29 22:35:48 mail postfix/smtpd[1589]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol"),
      log("Nov 29 22:35:49 mail postfix/submission/smtpd[1600]: warning: unknown[198.51.100.8]: SASL PLAIN authentication failed:"),
      log("Nov 29 22:35:49 mail postfix/submission/smtpd[1601]: warning: unknown[198.51.100.3]: SASL PLAIN authentication failed:"),
      log("Nov 29 22:35:50 mail postfix/smtpd[1602]: warning: Connection rate limit exceeded: 51 from unknown[198.51.100.10] for service smtp"),
      log("Nov 29 22:35:51 mail postfix/smtpd[1603]: warning: connect to Milter service unix:rspamd/milter.sock: No such file or directory"),
      log("Nov 29 22:35:52 mail postfix/smtpd[1603]: connect from unknown[198.51.100.7]"),
    ];
    expect(unexpectedLines(lab, lines)).toEqual([
      `/var/log/mail.log: ${lines[3]!.line}`,
      `/var/log/mail.log: ${lines[5]!.line}`,
      `/var/log/mail.log: ${lines[7]!.line}`,
    ]);
  });
});

describe("renderTable", () => {
  it("lists every check with its result and time, shortens long details, and sums up", () => {
    const table = renderTable([
      { name: "mail.in", ok: true, detail: "delivered", ms: 1234 },
      { name: "tls.25", ok: false, detail: "x".repeat(200), ms: 50 },
    ]);
    expect(table).toMatch(/^mail\.in\s+ok\s+1\.2 s\s+delivered$/m);
    expect(table).toMatch(/^tls\.25\s+FAILED\s+0\.1 s\s+x{109}…$/m);
    expect(table).toMatch(/1 of 2 checks FAILED$/);
  });
});
