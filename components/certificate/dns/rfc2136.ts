/**
 * DNS-01 through RFC 2136 dynamic updates signed with TSIG (RFC 8945), sent by Knot DNS's
 * `knsupdate`: no maintained npm package signs updates with TSIG, and knsupdate reads the
 * whole update, key included, from stdin, so the secret never shows in a process list.
 */

import { retryTransient, TransientError, transientRetryPolicy } from "../retry";
import type { Dns01Solver, Rfc2136SolverConfig } from "./solver";
import { assertChallengeValue, isDnsName, isInZone } from "./txtRecord";

export const rfc2136DefaultPort = 53;
export const updateProgram = "knsupdate";
const challengeTtlSeconds = 60;
const updateTimeoutSeconds = 10;

interface PendingChange {
  readonly line: string;
  readonly label: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export function createRfc2136Solver(config: Rfc2136SolverConfig): Dns01Solver {
  const port = config.port ?? rfc2136DefaultPort;
  const zone = config.zone.replace(/\.$/, "");
  // Changes asked for in the same turn of the event loop go out as one UPDATE message: one
  // process, one zone version, and fewer updates for servers that pace them (Knot 3.2 can hold an
  // update until the NOTIFY it plans a second after the previous one).
  let pending: PendingChange[] = [];

  function flush(): void {
    const batch = pending;
    pending = [];
    const script = [
      `server ${config.server} ${port}`,
      `zone ${zone}.`,
      `key ${config.tsigAlgorithm ?? "hmac-sha256"}:${config.tsigKeyName} ${config.tsigSecret}`,
      ...batch.map((change) => change.line),
      "send",
      "quit",
      "",
    ].join("\n");
    const what = `RFC 2136 update (${batch.map((change) => change.label).join(", ")}) at ${config.server} port ${port}`;
    retryTransient(transientRetryPolicy, () => runUpdate(script, what, config.tsigSecret)).then(
      () => batch.forEach((change) => change.resolve()),
      (error: unknown) => batch.forEach((change) => change.reject(error)),
    );
  }

  function update(name: string, value: string, operation: "add" | "delete"): Promise<void> {
    return new Promise((resolve, reject) => {
      assertChallengeValue(value);
      if (!isDnsName(name) || !isInZone(name, zone)) throw new Error(`${name} is not a name in the zone ${zone} that the RFC 2136 solver updates`);
      const record = operation === "add" ? `${name}. ${challengeTtlSeconds} TXT "${value}"` : `${name}. TXT "${value}"`;
      if (pending.length === 0) setImmediate(flush);
      pending.push({ line: `update ${operation} ${record}`, label: `${operation} TXT ${name}`, resolve, reject });
    });
  }

  return {
    publishTxt: (name, value) => update(name, value, "add"),
    removeTxt: (name, value) => update(name, value, "delete"),
    defaultNameservers: async () => [config.server.includes(":") ? `[${config.server}]:${port}` : `${config.server}:${port}`],
  };
}

function runUpdate(script: string, what: string, secret: string): Promise<void> {
  const { spawn }: typeof import("node:child_process") = require("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(updateProgram, ["-v", "-t", String(updateTimeoutSeconds)], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? new Error(`${what}: the RFC 2136 solver needs \`${updateProgram}\` (Debian package knot-dnsutils), which is not installed`)
          : new Error(`${what}: ${error.message}`),
      );
    });
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const reason = summarize(output.split(secret).join("<secret>"));
      // Timeouts and refused connections may pass; a refusal by the server (NOTAUTH, REFUSED, BADKEY...) will not.
      if (/can't connect|timeout|timed out/i.test(reason)) {
        reject(new TransientError(`${what}: ${reason}`));
      } else {
        reject(new Error(`${what}: ${reason}`));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(script);
  });
}

/** knsupdate prints the server's whole answer; the status and error lines say what went wrong. */
function summarize(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const status = lines.find((l) => /status: /.test(l))?.replace(/.*status: ([A-Z]+).*/, "server answered $1");
  const errors = lines.filter((l) => /^;; (ERROR|WARNING):/.test(l)).map((l) => l.replace(/^;; (ERROR|WARNING):\s*/, ""));
  return [status, ...new Set(errors)].filter(Boolean).join("; ") || output.trim() || "knsupdate failed without a message";
}
