/** Connects to one listener, completes the TLS handshake and reads the certificate it presents. */

import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import { expiryLevel, type Level } from "./levels";
import type { Service } from "./services";
import { negotiateStarttls } from "./smtpStarttls";

export interface ProbeTarget {
  /** The host name the certificate must carry; also the SNI name. */
  readonly host: string;
  /** Where to connect; default the host name. */
  readonly address?: string;
  readonly service: Service;
  readonly timeoutMs: number;
  /** Extra trust anchors (PEM), for lab CAs. */
  readonly caPem?: string;
}

export interface ProbeResult {
  readonly service: string;
  /** The name asked for (SNI) and checked on the certificate. */
  readonly serverName: string;
  readonly port: number;
  readonly mode: Service["mode"];
  readonly level: Level;
  readonly reachable: boolean;
  /** Why the listener could not be checked (when unreachable). */
  readonly error?: string;
  readonly subjectNames?: readonly string[];
  readonly issuer?: string;
  readonly notAfter?: string;
  /** Whole days left, rounded down; negative once expired. */
  readonly daysToExpiry?: number;
  readonly tlsVersion?: string;
  readonly trusted?: boolean;
  readonly trustError?: string;
  readonly nameMatches?: boolean;
  /** What besides expiry makes the level critical. */
  readonly problems?: readonly string[];
}

const dayMs = 24 * 60 * 60 * 1000;

export async function probe(target: ProbeTarget, now = new Date()): Promise<ProbeResult> {
  const { service } = target;
  const base = { service: service.name, serverName: target.host, port: service.port, mode: service.mode };
  let socket: tls.TLSSocket | undefined;
  let plain: net.Socket | undefined;
  const timer = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${target.timeoutMs / 1000} s`)), target.timeoutMs);
    t.unref();
  });
  try {
    socket = await Promise.race([handshake(target, (s) => (plain = s)), timer]);
    return { ...base, ...inspect(socket, target.host, now) };
  } catch (error) {
    return { ...base, level: "unreachable", reachable: false, error: describeError(error) };
  } finally {
    socket?.destroy();
    plain?.destroy();
  }
}

async function handshake(target: ProbeTarget, onSocket: (s: net.Socket) => void): Promise<tls.TLSSocket> {
  const address = target.address ?? target.host;
  const tlsOptions: tls.ConnectionOptions = {
    // Checked and reported below, so that an untrusted certificate is still read; the name is
    // checked on its own so that "trusted" speaks of the chain alone.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ...(net.isIP(target.host) ? {} : { servername: target.host }),
    ...(target.caPem ? { ca: [...tls.rootCertificates, target.caPem] } : {}),
  };
  if (target.service.mode === "tls") {
    return secureConnect(tls.connect({ ...tlsOptions, host: address, port: target.service.port }), onSocket);
  }
  const plain = net.connect({ host: address, port: target.service.port });
  onSocket(plain);
  await new Promise<void>((resolve, reject) => {
    plain.once("connect", resolve);
    plain.once("error", reject);
  });
  const failed = new Promise<never>((_, reject) => plain.once("error", reject));
  await Promise.race([negotiateStarttls(plain, os.hostname()), failed]);
  return secureConnect(tls.connect({ ...tlsOptions, socket: plain }), onSocket);
}

function secureConnect(socket: tls.TLSSocket, onSocket: (s: net.Socket) => void): Promise<tls.TLSSocket> {
  onSocket(socket);
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function inspect(socket: tls.TLSSocket, host: string, now: Date): Omit<ProbeResult, "service" | "serverName" | "port" | "mode"> {
  const certificate = socket.getPeerX509Certificate();
  if (!certificate) return { level: "critical", reachable: true, problems: ["the server presented no certificate"] };
  const subjectNames = (certificate.subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4));
  const notAfter = new Date(certificate.validTo);
  const days = (notAfter.getTime() - now.getTime()) / dayMs;
  const nameMatches = certificate.checkHost(host) !== undefined || (net.isIP(host) !== 0 && certificate.checkIP(host) !== undefined);
  const trusted = socket.authorized;
  const problems = [
    ...(trusted ? [] : [`the certificate is not trusted (${String(socket.authorizationError)})`]),
    ...(nameMatches ? [] : [`the certificate is not valid for ${host}`]),
  ];
  const level = problems.length > 0 ? "critical" : expiryLevel(days);
  return {
    level,
    reachable: true,
    subjectNames,
    issuer: certificate.issuer.replace(/\n/g, ", "),
    notAfter: notAfter.toISOString(),
    daysToExpiry: Math.floor(days),
    tlsVersion: socket.getProtocol() ?? "unknown",
    trusted,
    ...(trusted ? {} : { trustError: String(socket.authorizationError) }),
    nameMatches,
    ...(problems.length > 0 ? { problems } : {}),
  };
}

function describeError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const messages: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset",
    ENOTFOUND: "the host name does not resolve",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
  };
  if (code !== undefined && messages[code]) return messages[code]!;
  return error instanceof Error ? error.message : String(error);
}
