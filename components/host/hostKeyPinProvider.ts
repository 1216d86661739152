/**
 * The dynamic provider behind HostKeyPin: reads a new droplet's SSH host key once, right after
 * creation (trust on first use), and keeps it. It never reads it again: a refresh returns the
 * state as it is, and a host that presents another key is refused by every connection until an
 * operator re-pins on purpose (`pulumi up --replace <the pin's URN>`).
 *
 * Serialized by closure: node modules are required inside functions.
 */

import type * as pulumi from "@pulumi/pulumi";

export interface HostKeyPinInputs {
  /** The address Pulumi connects to. */
  readonly host: string;
  readonly port: number;
  /** The droplet's id: a new droplet at the same address is a new host, pinned anew. */
  readonly hostId: string;
  /** How long to wait for sshd while the droplet boots. */
  readonly timeoutSeconds: number;
}

/**
 * The one key type pinned: ssh-ed25519. The command provider offers the pinned key's type as the
 * only host key algorithm, and Debian's sshd (and our hardening) offers RSA keys only as
 * rsa-sha2-*, never as the `ssh-rsa` the provider would ask for; NIST curves are not offered.
 */
export const pinnedHostKeyType = "ssh-ed25519";

const retryDelayMs = 5_000;
const keyscanTimeoutSeconds = 5;

/** `ssh-ed25519 <base64>` from ssh-keyscan's output, checked as an ed25519 key; undefined if none. */
export function hostKeyFromKeyscan(output: string): string | undefined {
  for (const line of output.split("\n")) {
    const [, type, data] = line.trim().split(/\s+/);
    if (type !== pinnedHostKeyType || data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) continue;
    const blob = Buffer.from(data, "base64");
    // string "ssh-ed25519", string <32-byte key>, and nothing else.
    const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    const embedded = blob.subarray(4, 4 + typeLength).toString("latin1");
    const keyLength = blob.length >= 8 + typeLength ? blob.readUInt32BE(4 + typeLength) : -1;
    if (embedded === pinnedHostKeyType && keyLength === 32 && blob.length === 8 + typeLength + 32) return `${type} ${data}`;
  }
  return undefined;
}

/** OpenSSH's SHA256 fingerprint (`ssh-keygen -lf`), for checking the pin out of band. */
export function hostKeyFingerprint(hostKey: string): string {
  const crypto: typeof import("node:crypto") = require("node:crypto");
  const blob = Buffer.from(hostKey.split(" ")[1] ?? "", "base64");
  return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

function keyscan(host: string, port: number): Promise<{ output: string; error?: string }> {
  const childProcess: typeof import("node:child_process") = require("node:child_process");
  return new Promise((resolve) => {
    childProcess.execFile(
      "ssh-keyscan",
      ["-T", String(keyscanTimeoutSeconds), "-p", String(port), "-t", "ed25519", "--", host],
      { timeout: (keyscanTimeoutSeconds + 5) * 1000, maxBuffer: 64 * 1024 },
      (error, stdout, stderr) => {
        const missing = (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
        resolve({ output: String(stdout), ...(error || stderr.trim() ? { error: missing ? "ssh-keyscan is not installed (Debian: openssh-client)" : stderr.trim().split("\n").pop() ?? String(error) } : {}) });
      },
    );
  });
}

async function fetchHostKey(inputs: HostKeyPinInputs): Promise<string> {
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  let last = "no answer";
  for (;;) {
    const { output, error } = await keyscan(inputs.host, inputs.port);
    const key = hostKeyFromKeyscan(output);
    if (key !== undefined) return key;
    last = error ?? (output.trim() === "" ? "sshd did not answer" : `sshd offered no ${pinnedHostKeyType} host key`);
    if (last.startsWith("ssh-keyscan is not installed") || Date.now() + retryDelayMs > deadline) {
      throw new Error(`could not read the SSH host key of ${inputs.host}:${inputs.port} within ${inputs.timeoutSeconds} s: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  }
}

export const hostKeyPinProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
    const inputs: Record<string, unknown> = { ...news, port: news.port ?? 22, timeoutSeconds: news.timeoutSeconds ?? 600 };
    const failures: { property: string; reason: string }[] = [];
    const net: typeof import("node:net") = require("node:net");
    const unknown = (v: unknown) => v === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    if (!unknown(inputs.host) && !(typeof inputs.host === "string" && net.isIP(inputs.host) !== 0)) failures.push({ property: "host", reason: "must be the host's IP address" });
    if (!unknown(inputs.port) && !(Number.isInteger(inputs.port) && (inputs.port as number) > 0 && (inputs.port as number) < 65536)) failures.push({ property: "port", reason: "must be a port number" });
    if (!unknown(inputs.hostId) && !(typeof inputs.hostId === "string" && inputs.hostId !== "")) failures.push({ property: "hostId", reason: "must be the host's id" });
    if (!unknown(inputs.timeoutSeconds) && !(Number.isInteger(inputs.timeoutSeconds) && (inputs.timeoutSeconds as number) >= 1 && (inputs.timeoutSeconds as number) <= 3600)) {
      failures.push({ property: "timeoutSeconds", reason: "must be 1 to 3600 seconds" });
    }
    return { inputs, failures };
  },

  /** Another host (address, port or id) is pinned anew; the wait is no part of the pin. */
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = ["host", "port", "hostId"].filter((key) => olds[key] !== news[key]);
    return { changes: replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds, replaces, deleteBeforeReplace: true };
  },

  async create(raw: Record<string, unknown>) {
    const inputs = raw as unknown as HostKeyPinInputs;
    const hostKey = await fetchHostKey(inputs);
    const outs: Record<string, unknown> = { ...raw, hostKey, fingerprint: hostKeyFingerprint(hostKey) };
    delete outs.__provider;
    return { id: `${inputs.hostId}:${hostKeyFingerprint(hostKey)}`, outs };
  },

  async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const outs: Record<string, unknown> = { ...news, hostKey: olds.hostKey, fingerprint: olds.fingerprint };
    delete outs.__provider;
    return { outs };
  },
};
