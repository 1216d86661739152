// nginx 1.22 with Debian's nginx.conf and the rendered site: nginx -t, then serving the policy in a
// network namespace. The text assertions are in test/unit/hostBundle/render/system/nginxMtaStsSite.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { httpSecurityHeaders } from "../../../../../baseline/http";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { mtaStsPolicyUrlPath, nginxMtaStsSitePath } from "../../../../../hostBundle/render/system/nginxMtaStsSite";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import {
  addNamespace,
  deleteNamespace,
  inNamespace,
  makeTempDir,
  removeStaleNamespaces,
  removeTempDir,
  run,
  runOk,
  uniqueNamespaceName,
} from "./hostCommands";

const ctx = systemTestContext();
const files = renderSystemFiles(ctx).filter((f) => f.service === "nginx");
const mtaSts = ctx.mtaStsHostname;

/**
 * Debian's nginx.conf as shipped, with only its paths moved into a temporary directory: the
 * http-level defaults (ssl_protocols TLSv1 TLSv1.1 ..., mime types) apply to our site as on the host.
 */
function debianNginxConf(root: string): string {
  return readFileSync("/etc/nginx/nginx.conf", "utf8")
    .replace(/^pid .*;$/m, `pid ${root}/nginx.pid;`)
    .replace(/\/var\/log\/nginx\//g, `${root}/log/`)
    .replace("include /etc/nginx/conf.d/*.conf;", `include ${root}/etc/nginx/conf.d/*.conf;`)
    .replace("include /etc/nginx/sites-enabled/*;", `include ${root}/etc/nginx/sites-enabled/*;`);
}

describe("nginx 1.22 with Debian's nginx.conf and our files", () => {
  const root = makeTempDir("pm-nginx");
  const ns = uniqueNamespaceName("nginx");
  const certDir = join(root, "tls");
  const confFile = join(root, "nginx.conf");
  let started = false;

  beforeAll(() => {
    removeStaleNamespaces();
    mkdirSync(join(root, "log"));
    mkdirSync(certDir);
    // A throwaway self-signed certificate stands in for Let's Encrypt's.
    runOk("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", `/CN=${mtaSts}`, "-addext", `subjectAltName=DNS:${mtaSts}`,
      "-keyout", join(certDir, "privkey.pem"), "-out", join(certDir, "fullchain.pem"),
    ]);
    for (const file of files) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, file.content
        .replaceAll(hostLayout.tls.fullchain, join(certDir, "fullchain.pem"))
        .replaceAll(hostLayout.tls.privateKey, join(certDir, "privkey.pem"))
        .replaceAll(`root ${hostLayout.mtaStsWebRoot};`, `root ${join(root, hostLayout.mtaStsWebRoot)};`), { mode: 0o644 });
    }
    writeFileSync(confFile, debianNginxConf(root));
    addNamespace(ns);
  });

  afterAll(() => {
    if (started) inNamespace(ns, "nginx", ["-c", confFile, "-e", join(root, "log/error.log"), "-s", "stop"]);
    deleteNamespace(ns);
    removeTempDir(root);
  });

  it("passes nginx -t", () => {
    expect(readFileSync(join(root, nginxMtaStsSitePath), "utf8")).toContain(join(certDir, "fullchain.pem"));
    const check = run("nginx", ["-t", "-c", confFile, "-e", join(root, "log/error.log")]);
    console.info(`nginx -t: ${check.ms.toFixed(0)} ms`);
    expect(check.stderr).toMatch(/test is successful/);
    expect(check.stderr).not.toMatch(/\[warn\]|\[emerg\]/);
    expect(check.status).toBe(0);
  });

  it("nginx -t rejects a broken site (the check is not a no-op)", () => {
    const broken = join(root, "broken.conf");
    writeFileSync(broken, debianNginxConf(root).replace(`include ${root}/etc/nginx/conf.d/*.conf;`, `include ${root}/etc/nginx/conf.d/*.conf; ssl_protocols TLSv9;`));
    expect(run("nginx", ["-t", "-c", broken, "-e", join(root, "log/error.log")]).status).not.toBe(0);
  });

  describe("running in a network namespace", () => {
    beforeAll(() => {
      const start = inNamespace(ns, "nginx", ["-c", confFile, "-e", join(root, "log/error.log")]);
      if (start.status !== 0) throw new Error(start.stderr);
      started = true;
    });

    const curl = (args: readonly string[]) =>
      inNamespace(ns, "curl", ["-sS", "--max-time", "5", "--cacert", join(certDir, "fullchain.pem"), "--resolve", `${mtaSts}:443:127.0.0.1`, ...args]);

    /** Status line and headers (lowercased names) of a response, and its body. */
    function request(path: string, extra: readonly string[] = []): { status: number; headers: Record<string, string>; body: string } {
      const result = curl(["-i", ...extra, `https://${mtaSts}${path}`]);
      if (result.status !== 0) throw new Error(result.stderr);
      const [head = "", ...body] = result.stdout.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      return { status: Number(statusLine.split(" ")[1]), headers, body: body.join("\r\n\r\n") };
    }

    const expectedHeaders = Object.fromEntries(Object.entries(httpSecurityHeaders).map(([k, v]) => [k.toLowerCase(), v]));

    it("serves the policy byte for byte as text/plain, with every security header", () => {
      const response = request(mtaStsPolicyUrlPath);
      expect(response.status).toBe(200);
      expect(response.body).toBe(ctx.mtaStsPolicy);
      expect(response.headers["content-type"]).toBe("text/plain");
      expect(response.headers).toMatchObject(expectedHeaders);
      expect(response.headers.server).toBe("nginx");
    });

    it("answers 404 for anything else and refuses methods other than GET, headers included", () => {
      const missing = request("/index.html");
      expect(missing.status).toBe(404);
      expect(missing.headers).toMatchObject(expectedHeaders);
      expect(missing.body).not.toMatch(/nginx\/\d/);
      expect(request(mtaStsPolicyUrlPath, ["-X", "POST"]).status).toBe(403);
    });

    it("also serves over IPv6", () => {
      const v6 = inNamespace(ns, "curl", ["-sS", "--max-time", "5", "--cacert", join(certDir, "fullchain.pem"), "--resolve", `${mtaSts}:443:[::1]`, `https://${mtaSts}${mtaStsPolicyUrlPath}`]);
      expect(v6.stdout).toBe(ctx.mtaStsPolicy);
    });

    it("listens on nothing but 443 (Debian's port 80 site is gone)", () => {
      const ports = inNamespace(ns, "ss", ["-Htln"]).stdout.trim().split("\n").map((l) => l.trim().split(/\s+/)[3] ?? "");
      expect(ports.sort()).toEqual(["0.0.0.0:443", "[::]:443"].sort());
      expect(inNamespace(ns, "curl", ["-sS", "--max-time", "5", "http://127.0.0.1/"]).status).toBe(7);
    });

    it("refuses the TLS handshake for another name, and closes on a foreign Host header", () => {
      const otherName = inNamespace(ns, "curl", ["-sS", "-k", "--max-time", "5", "--resolve", "other.example:443:127.0.0.1", "https://other.example/"]);
      expect(otherName.stderr).toMatch(/unrecognized name/);
      const foreignHost = curl(["-H", "Host: other.example", `https://${mtaSts}${mtaStsPolicyUrlPath}`]);
      expect(foreignHost.stderr).toMatch(/Empty reply from server/);
    });

    it("negotiates TLS 1.2 and 1.3 but refuses TLS 1.1 even to a client that allows it", () => {
      const handshake = (flag: string) =>
        inNamespace(ns, "openssl", ["s_client", "-connect", "127.0.0.1:443", "-servername", mtaSts, flag, "-cipher", "DEFAULT@SECLEVEL=0"], { input: "" });
      expect(handshake("-tls1_3").stdout).toMatch(/^New, TLSv1\.3, Cipher is TLS_/m);
      expect(handshake("-tls1_2").stdout).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-ECDSA-/m);
      const tls11 = handshake("-tls1_1");
      expect(tls11.stdout + tls11.stderr).toMatch(/alert protocol version/);
      expect(tls11.stdout).toMatch(/^New, \(NONE\), Cipher is \(NONE\)/m);
    });
  });
});
