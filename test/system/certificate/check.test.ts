/**
 * `npm run check` against local TLS listeners on loopback: implicit TLS and SMTP STARTTLS servers
 * presenting a certificate that expires in 5 days (made by openssl), a closed port, and a server
 * that never speaks. The expiry levels alone are in test/unit/certificate/check.test.ts.
 */

import { execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe } from "../../../tools/check/probe";
import { freeLoopbackPort } from "../../../tools/lab/acme";

const projectDir = path.resolve(__dirname, "../../..");
const host = "mail.acme.test";
const mtaStsHost = "mta-sts.acme.test";
const dayMs = 24 * 60 * 60 * 1000;

let dir: string;
let caFile: string;
let key: string;
let cert: string;
const servers: net.Server[] = [];
const ports: Record<string, number> = {};
let closedPort: number;
let silentPort: number;

/** A CA and a leaf for mail.acme.test that expires in 5 days, made by openssl. */
function makeCertificates(): void {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=check test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
  openssl("req", "-new", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${host}`);
  fs.writeFileSync(file("leaf.ext"), `subjectAltName=DNS:${host},DNS:mta-sts.acme.test\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "5", "-extfile", "leaf.ext", "-out", "leaf.pem");
  caFile = file("ca.pem");
  key = fs.readFileSync(file("leaf.key"), "utf8");
  cert = fs.readFileSync(file("leaf.pem"), "utf8");
}

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  const port = await freeLoopbackPort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return port;
}

/** Just enough ESMTP for a client to reach STARTTLS, then TLS on the same socket. */
function smtpServer(offerStarttls = true): net.Server {
  return net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.write(`220 ${host} ESMTP test\r\n`);
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^EHLO /i.test(line)) {
          socket.write(`250-${host}\r\n250-PIPELINING\r\n${offerStarttls ? "250-STARTTLS\r\n" : ""}250 8BITMIME\r\n`);
        } else if (/^STARTTLS$/i.test(line)) {
          socket.off("data", onData);
          socket.write("220 2.0.0 Ready to start TLS\r\n", () => {
            const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
            secure.on("error", () => undefined);
          });
          return;
        } else {
          socket.write("502 5.5.2 command not recognized\r\n");
        }
      }
    };
    socket.on("data", onData);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-test-"));
  makeCertificates();
  const tlsServer = () => {
    const server = tls.createServer({ key, cert });
    server.on("tlsClientError", () => undefined);
    return server;
  };
  ports.smtp = await listen(smtpServer());
  ports.submission = await listen(smtpServer());
  ports.submissions = await listen(tlsServer());
  ports.imaps = await listen(tlsServer());
  // Like the host's nginx: a handshake for any name but the MTA-STS host is refused.
  const https = tls.createServer({
    key,
    cert,
    SNICallback: (name, done) => (name === mtaStsHost ? done(null, tls.createSecureContext({ key, cert })) : done(new Error(`no site for ${name}`))),
  });
  https.on("tlsClientError", () => undefined);
  ports.https = await listen(https);
  silentPort = await listen(net.createServer((socket) => socket.on("error", () => undefined)));
  closedPort = await freeLoopbackPort();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The CLI as a user runs it, through tsx. */
function runCheck(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectDir, "node_modules/tsx/dist/cli.mjs"), "tools/check/main.ts", ...args], {
      cwd: projectDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const portArgs = (overrides: Record<string, number> = {}) =>
  Object.entries({ ...ports, ...overrides }).flatMap(([service, port]) => ["--port", `${service}=${port}`]);

describe("npm run check", () => {
  it("reports every listener's names and days to expiry at the alert level, for monitoring as JSON", async () => {
    const { code, stdout, stderr } = await runCheck([host, "--json", "--address", "127.0.0.1", "--ca", caFile, "--timeout", "5", ...portArgs()]);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout) as { worst: string; exitCode: number; results: Record<string, unknown>[] };
    const leaf = new crypto.X509Certificate(cert);
    const expectedDays = Math.floor((Date.parse(leaf.validTo) - Date.now()) / dayMs);
    expect(expectedDays).toBe(4);
    expect(report.results.map((r) => [r.service, r.port, r.mode, r.serverName])).toEqual([
      ["smtp", ports.smtp, "starttls", host],
      ["submissions", ports.submissions, "tls", host],
      ["submission", ports.submission, "starttls", host],
      ["imaps", ports.imaps, "tls", host],
      ["https", ports.https, "tls", mtaStsHost],
    ]);
    for (const result of report.results) {
      expect(result).toMatchObject({
        level: "alert",
        reachable: true,
        subjectNames: [host, mtaStsHost],
        daysToExpiry: expectedDays,
        notAfter: new Date(leaf.validTo).toISOString(),
        trusted: true,
        nameMatches: true,
      });
    }
    expect(report).toMatchObject({ worst: "alert", exitCode: 2 });
    expect(code).toBe(2);
  }, 60_000);

  it("reports a port that does not answer as unreachable, and an untrusted certificate as critical", async () => {
    const { code, stdout } = await runCheck([host, "--address", "127.0.0.1", "--timeout", "5", ...portArgs({ https: closedPort })]);
    const line = (service: string) => stdout.split("\n").find((l) => l.trimStart().startsWith(`${service} `)) ?? "";
    expect(line("https")).toMatch(new RegExp(`https\\s+${closedPort}\\s+TLS\\s+unreachable\\s+connection refused`));
    expect(line("smtp")).toMatch(/STARTTLS\s+critical\s+4 days left/);
    expect(stdout).toMatch(/! the certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
    expect(stdout).toContain("worst: unreachable (exit 4)");
    expect(code).toBe(4);
  }, 60_000);

  it("asks HTTPS for the MTA-STS host it serves (nginx refuses the mail host's name), or the name given", async () => {
    const derived = await runCheck([host, "--address", "127.0.0.1", "--ca", caFile, "--timeout", "5", ...portArgs()]);
    expect(derived.stdout.split("\n").find((l) => l.trimStart().startsWith("https "))).toMatch(/alert\s+4 days left .*\(as mta-sts\.acme\.test\)$/);
    const wrong = await runCheck([host, "--json", "--mta-sts-host", host, "--address", "127.0.0.1", "--ca", caFile, "--timeout", "5", ...portArgs()]);
    const https = (JSON.parse(wrong.stdout) as { results: Array<Record<string, unknown>> }).results.find((r) => r.service === "https");
    expect(https).toMatchObject({ serverName: host, level: "unreachable", reachable: false });
  }, 60_000);

  it("says how to use it when the arguments are wrong", async () => {
    const { code, stderr } = await runCheck([host, "--port", "pop3=110"]);
    expect(stderr).toBe("error: option '--port <service=port>' argument 'pop3=110' is invalid. expected SERVICE=PORT with SERVICE one of smtp, submissions, submission, imaps, https and a port from 1 to 65535 (npm run check -- --help for usage)\n");
    expect(code).toBe(64);
  }, 60_000);
});

describe("probing one listener", () => {
  const smtp = (port: number) => ({ name: "smtp", port, mode: "starttls" as const, serverName: "mail" as const });

  it("gives up on a server that never greets, within the timeout", async () => {
    const started = Date.now();
    const result = await probe({ host, address: "127.0.0.1", service: smtp(silentPort), timeoutMs: 500 });
    expect(result).toMatchObject({ level: "unreachable", reachable: false, error: "no answer within 0.5 s" });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("reports an SMTP server without STARTTLS", async () => {
    const port = await listen(smtpServer(false));
    const result = await probe({ host, address: "127.0.0.1", service: smtp(port), timeoutMs: 5_000 });
    expect(result).toMatchObject({ level: "unreachable", error: "the server does not offer STARTTLS" });
  });

  it("flags a certificate that does not carry the host name", async () => {
    const result = await probe({
      host: "imap.other.test",
      address: "127.0.0.1",
      service: { name: "imaps", port: ports.imaps!, mode: "tls", serverName: "mail" },
      timeoutMs: 5_000,
      caPem: fs.readFileSync(caFile, "utf8"),
    });
    expect(result).toMatchObject({ level: "critical", nameMatches: false, trusted: true, problems: ["the certificate is not valid for imap.other.test"] });
  });
});
