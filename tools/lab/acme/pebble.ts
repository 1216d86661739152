/**
 * Pebble, Let's Encrypt's test CA, on loopback: it validates DNS-01 by asking the lab's DNS
 * server, never sleeps, never rejects a good nonce and never reuses an authorization, so every
 * order is a real validation.
 */

import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { startDaemon, waitUntilReady } from "./daemon";
import { createListenerCertificate } from "./listenerCertificate";
import { findProgram } from "./packages";
import { freeLoopbackPorts } from "./ports";

export interface PebbleOptions {
  /** "ip:port" of the DNS server Pebble asks for challenge records. */
  readonly dnsServer: string;
}

export interface CertificateStatus {
  readonly status: "Valid" | "Revoked";
  readonly reason?: number;
}

export interface PebbleServer {
  readonly directoryUrl: string;
  /** The CA of Pebble's own HTTPS listeners: trust it to talk ACME (not the issuing root). */
  readonly caPem: string;
  /** The root that signs issued certificates; Pebble makes a new one on every start. */
  readonly issuingRootPem: string;
  /** Whether Pebble holds a certificate as valid or revoked, by serial (hex). */
  certificateStatus(serial: string): Promise<CertificateStatus>;
  stop(): Promise<void>;
}

const startTimeoutMs = 20_000;

export async function startPebble(options: PebbleOptions): Promise<PebbleServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "acme-lab-pebble-"));
  try {
    const listener = createListenerCertificate(dir);
    const [acmePort, managementPort, httpPort, tlsPort] = (await freeLoopbackPorts(4)) as [number, number, number, number];
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: listener.certificateFile,
        privateKey: listener.keyFile,
        // Targets of http-01 and tls-alpn-01, which the lab never uses; free ports so nothing answers.
        httpPort,
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    };
    fs.writeFileSync(path.join(dir, "pebble.json"), JSON.stringify(config));
    const daemon = startDaemon("pebble", dir, findProgram("pebble") ?? "pebble", ["-config", path.join(dir, "pebble.json"), "-dnsserver", options.dnsServer], {
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
      PEBBLE_AUTHZREUSE: "0",
    });
    const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
    const management = `https://127.0.0.1:${managementPort}`;
    const get = (url: string) => httpsGet(url, listener.caPem);
    try {
      await waitUntilReady(daemon, async () => (await get(directoryUrl)).status === 200 && (await get(`${management}/roots/0`)).status === 200, startTimeoutMs);
      const issuingRootPem = (await get(`${management}/roots/0`)).body;
      return {
        directoryUrl,
        caPem: listener.caPem,
        issuingRootPem,
        certificateStatus: async (serial) => {
          const response = await get(`${management}/cert-status-by-serial/${serial}`);
          if (response.status !== 200) throw new Error(`Pebble knows no certificate with serial ${serial} (HTTP ${response.status})`);
          const parsed = JSON.parse(response.body) as { Status: "Valid" | "Revoked"; Reason?: number };
          return { status: parsed.Status, ...(parsed.Reason !== undefined ? { reason: parsed.Reason } : {}) };
        },
        stop: () => daemon.stop(),
      };
    } catch (error) {
      await daemon.stop();
      throw error;
    }
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function httpsGet(url: string, caPem: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca: caPem, agent: false, timeout: 2_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}
