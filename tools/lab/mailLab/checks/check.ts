/** What a check is: a named probe of the running lab that passes or fails with a detail. */

import * as path from "node:path";
import type { AddressPair } from "../../net/addressPlan";
import type { MailLab } from "../mailLab";
import type { CheckName } from "./checkNames";

export interface CheckOutcome {
  readonly ok: boolean;
  /** What was seen: on success the evidence, on failure what is wrong. */
  readonly detail: string;
}

export interface LabCheck {
  readonly name: CheckName;
  /** One line for the table's legend and --help. */
  readonly proves: string;
  run(lab: MailLab, shared: SharedProbes): Promise<CheckOutcome>;
}

/** Probes more than one check reads (one nmap cipher scan per family serves five TLS checks). */
export interface SharedProbes {
  once<T>(key: string, probe: () => Promise<T>): Promise<T>;
}

export function sharedProbes(): SharedProbes {
  const memo = new Map<string, Promise<unknown>>();
  return {
    once: <T>(key: string, probe: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, probe());
      return memo.get(key) as Promise<T>;
    },
  };
}

export const pass = (detail: string): CheckOutcome => ({ ok: true, detail });
export const fail = (detail: string): CheckOutcome => ({ ok: false, detail });

/** Collects problems; passes with the evidence when there are none. */
export function verdict(problems: readonly string[], evidence: string): CheckOutcome {
  return problems.length === 0 ? pass(evidence) : fail(problems.join("; "));
}

export const families = ["v4", "v6"] as const;
export type Family = (typeof families)[number];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value, or undefined after `timeoutMs`. */
export async function waitFor<T>(timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 500): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

const CLIENT_SCRIPT = path.join(__dirname, "..", "probes", "internetClient.py");
const PYTHON = "/usr/bin/python3";

export interface ClientCall {
  /** The role's address the client binds to, and the family it speaks. */
  readonly from: AddressPair;
  readonly family?: Family;
  /** Option -> value; `true` adds the bare flag, an array repeats the option. */
  readonly options?: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
  /** The mailbox password, passed in the environment. */
  readonly password?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs probes/internetClient.py in the lab's internet namespace, from one role's address, against
 * the lab host unless `server` says otherwise. Its JSON answer; an error when it printed none.
 */
export async function internetClient<T>(lab: MailLab, command: string, call: ClientCall & { server?: AddressPair }): Promise<T> {
  const family = call.family ?? "v4";
  const args = [CLIENT_SCRIPT, command, "--source", call.from[family], "--server", (call.server ?? lab.host.address)[family]];
  for (const [option, value] of Object.entries(call.options ?? {})) {
    if (value === undefined || value === false) continue;
    if (value === true) args.push(`--${option}`);
    else if (Array.isArray(value)) for (const v of value) args.push(`--${option}`, v);
    else args.push(`--${option}`, String(value));
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: "C.UTF-8", ...(call.password ? { LAB_PASSWORD: call.password } : {}) };
  const result = await lab.internet.run(PYTHON, args, { env, timeoutMs: call.timeoutMs ?? 120_000 });
  const line = result.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`internetClient.py ${command} ${result.timedOut ? "timed out" : `exited ${result.code}`}: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ")}`);
  }
}

/** The mailbox the lab logs in as for a tenant address (its own, or the first). */
export function labMailbox(lab: MailLab, address?: string) {
  const mailbox = lab.mailboxes.find((m) => m.address === address) ?? lab.mailboxes[0];
  if (!mailbox) throw new Error("the lab knows no mailbox");
  return mailbox;
}
