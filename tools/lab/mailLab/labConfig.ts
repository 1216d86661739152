/**
 * What the lab changes in a stack's config before planning it, each change said out loud: the
 * lab's own admin account, key and address (so the plan's firewall, sshd and authorized keys admit
 * the lab's SSH, as they admit the tenant's admins), passwords the lab knows for every mailbox (the stack holds only
 * hashes), and a lower per-account recipient limit, so the check reaches it with a few recipients
 * instead of hundreds.
 */

import { randomBytes } from "node:crypto";
import type { AddressPair } from "../net/addressPlan";
import { runChecked } from "../net/run";
import { configNamespace } from "../../../tenant/tenantConfig";
import { namespaceConfig, type StackConfig } from "../../mockRuntime/stackConfig";

/** The per-account recipient limit in the lab: low enough to reach with one message. */
export const labRecipientsPerHourPerAccount = 10;

export interface LabMailbox {
  readonly address: string;
  /** Held in memory only: passed to the probes through their environment, never printed or written. */
  readonly password: string;
}

export interface LabConfig {
  /** `namespace:key` -> engine-encoded value, for the mock runtime's configOverrides. */
  readonly overrides: Record<string, string>;
  /** One line per change, for the run's header. */
  readonly changes: string[];
  readonly mailboxes: readonly LabMailbox[];
}

export interface LabConfigInputs {
  readonly adminUser: string;
  /** The OpenSSH public key of the lab's SSH (as Pulumi's deploy key, it must stay authorized). */
  readonly adminPublicKey: string;
  /** Where the lab's ssh and scp come from. */
  readonly adminAddress: AddressPair;
}

/** A stand-in for the ACME DNS token: the lab's DNS-01 goes to its own knot, never to Cloudflare. */
const labDnsTokenStandIn = "lab-stand-in-never-sent-to-cloudflare";
/** For a mailbox whose hash is not set yet (the hash of a discarded random password); labConfig replaces every hash. */
const labPasswordHashStandIn = "{BLF-CRYPT}$2y$12$vzeiksn3xnyQN9tRdRYeA.YwQdKXXy1x2S3ad1WO8/a2EodLUOxoO";

/**
 * The stack's raw config with stand-ins for the secrets a new stack may not have yet (tenant:new
 * writes none; they are set with `pulumi config set --secret`): the lab needs neither the
 * Cloudflare token nor the mailbox hashes it replaces, so it runs before any account exists.
 */
export function withLabSecretStandIns(raw: Readonly<Record<string, unknown>>): { config: Record<string, unknown>; filled: string[] } {
  const config: Record<string, unknown> = { ...raw };
  const filled: string[] = [];
  if (config.acmeDnsApiToken === undefined) {
    config.acmeDnsApiToken = labDnsTokenStandIn;
    filled.push("acmeDnsApiToken");
  }
  if (Array.isArray(config.mailboxes)) {
    config.mailboxes = config.mailboxes.map((m: unknown, i) => {
      if (typeof m !== "object" || m === null || (m as { passwordHash?: unknown }).passwordHash !== undefined) return m;
      filled.push(`mailboxes[${i}].passwordHash`);
      return { ...m, passwordHash: labPasswordHashStandIn };
    });
  }
  return { config, filled };
}

export async function labConfig(stackConfig: StackConfig, inputs: LabConfigInputs): Promise<LabConfig> {
  const raw = namespaceConfig(stackConfig, configNamespace);
  const key = (name: string) => `${configNamespace}:${name}`;
  const overrides: Record<string, string> = {};
  const changes: string[] = [];

  if (raw.acmeDnsApiToken === undefined) {
    overrides[key("acmeDnsApiToken")] = labDnsTokenStandIn;
    changes.push("acmeDnsApiToken (not set yet) -> a stand-in: the lab's DNS-01 challenges go to its own DNS, never to Cloudflare");
  }
  overrides[key("adminUser")] = inputs.adminUser;
  changes.push(`adminUser ${JSON.stringify(raw.adminUser ?? "(default)")} -> "${inputs.adminUser}" (the lab host's cloud-init user)`);
  const plannedKeys = Array.isArray(raw.adminSshPublicKeys) ? raw.adminSshPublicKeys : [];
  overrides[key("adminSshPublicKeys")] = JSON.stringify([...plannedKeys, inputs.adminPublicKey]);
  changes.push(`adminSshPublicKeys + the lab's own key (${inputs.adminPublicKey.split(/\s+/)[0]}), the one its SSH logs in with`);
  const adminCidrs = [`${inputs.adminAddress.v4}/32`, `${inputs.adminAddress.v6}/128`];
  overrides[key("adminCidrs")] = JSON.stringify(adminCidrs);
  overrides[key("deployCidrs")] = "[]";
  changes.push(`adminCidrs -> ${adminCidrs.join(", ")} and deployCidrs -> [] (the lab's SSH comes from its own link)`);

  const planned = Array.isArray(raw.mailboxes) ? (raw.mailboxes as { address?: unknown }[]) : [];
  const addresses = planned.map((m) => m.address).filter((a): a is string => typeof a === "string");
  if (addresses.length === 0) throw new Error(`the stack ${stackConfig.stack} configures no mailboxes (${key("mailboxes")}): the lab needs one to send and read mail`);
  const mailboxes: LabMailbox[] = addresses.map((address) => ({ address, password: randomBytes(18).toString("base64url") }));
  const hashed = await Promise.all(mailboxes.map(async (m) => ({ address: m.address, passwordHash: await blfCrypt(m.password) })));
  overrides[key("mailboxes")] = JSON.stringify(planned.map((m, i) => ({ ...m, passwordHash: hashed[i]!.passwordHash })));
  changes.push(`mailboxes[*].passwordHash -> hashes of random passwords only this run knows (${addresses.join(", ")})`);

  const limits = typeof raw.limits === "object" && raw.limits !== null ? (raw.limits as Record<string, unknown>) : {};
  overrides[key("limits")] = JSON.stringify({ ...limits, recipientsPerHourPerAccount: labRecipientsPerHourPerAccount });
  changes.push(`limits.recipientsPerHourPerAccount ${String(limits.recipientsPerHourPerAccount ?? "500 (default)")} -> ${labRecipientsPerHourPerAccount} (LOWERED for the lab's check)`);
  return { overrides, changes, mailboxes };
}

/** Dovecot's own hasher, the command the config's error messages name; the password goes in on stdin. */
async function blfCrypt(password: string): Promise<string> {
  const hashed = await runChecked("doveadm", ["pw", "-s", "BLF-CRYPT", "-r", "12"], { input: `${password}\n${password}\n`, timeoutMs: 30_000 });
  const hash = hashed.stdout.trim();
  if (!/^\{BLF-CRYPT\}\$2[aby]\$12\$/.test(hash)) throw new Error("doveadm pw printed no BLF-CRYPT hash");
  return hash;
}
