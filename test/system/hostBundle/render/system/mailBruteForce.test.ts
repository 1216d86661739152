/**
 * Password guessing against the rendered mail server from foreign addresses, end to end: real
 * Postfix 3.7 (587 STARTTLS, 465 TLS, SASL through Dovecot), Dovecot 2.3 (993) with its auth
 * penalty at the defaults (a failed address waits 2, 4, 8, then 15 s; Postfix gives up on its SASL
 * server after a fixed 10 s and the attempt fails as "Connection lost to authentication server"),
 * fail2ban 1.0.2 and nftables, each with the rendered files (bruteForceLab.ts). Four guessers run
 * at once: on 587, on 465 (with a correct password in between), on 993 (two guesses per
 * connection) and one IPv6 guesser that moves between the three services. The first then comes
 * back twice and meets recidive. Bans are lifted with `unbanip` (as the hour-long bantime would),
 * so the rendered bantimes stay as they are.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fail2ban } from "../../../../../baseline/abuse";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderMailDaemonFiles } from "../../../../../hostBundle/render/mail";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { canonicalAddress, startBruteForceLab, type Attempt, type BruteForceLab } from "./bruteForceLab";
import { sentMails } from "./fail2banHarness";
import { freeTestAddressRanges } from "./testAddressRanges";

const ranges = freeTestAddressRanges();
const v4 = (host: number) => `${ranges.ipv4Prefix}.${host}`;
const v6 = (host: number) => canonicalAddress(`${ranges.ipv6Prefix}::${host}`);
const guesser = {
  submission: v4(7),
  submissions: v4(8),
  imaps: v4(9),
  mixed6: v6(7),
};
const bystanders = [v4(10), v6(10)];
const mailPorts = [25, 465, 587, 993];
const sshPortNumber = 22;

// The first guesser sits in an admin network: only recidive shuts it out of SSH too.
const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example", adminCidrs: [`${v4(0)}/28`] });
const mailbox = ctx.config.mailboxes[0]?.address ?? "";
/** The fixture's mailboxes carry the hash of "test" (test/support/tenant/tenantConfigFixture.ts). */
const correctPassword = "test";
const jail = "mail-auth";

type Port = 587 | 465 | 993;
interface Connection {
  readonly port: Port;
  readonly passwords: readonly string[];
}

/** One round of guessing up to a ban: what the server showed after the 4th failure and after the 5th. */
interface Round {
  readonly source: string;
  readonly attempts: (Attempt & { port: Port })[];
  readonly errors: string[];
  /** Once fail2ban has counted the 4th failed attempt, and a second later. */
  afterFourth?: { banned: boolean; found: number };
  /** From the 5th failure's reply until the address is in one of fail2ban's sets. */
  banMs?: number;
  /** Mail ports (and SSH) from the source right after the ban. */
  reachableAfterBan?: Record<number, boolean>;
}

let lab: BruteForceLab;
const rounds: Record<string, Round> = {};
let recidive: { banMs?: number; reachable?: Record<number, boolean>; rule?: string; error?: string } = {};
let bystandersAfter: Record<number, boolean>[] = [];
let failure: unknown;
const started = performance.now();

const wrong = (n: number) => `wrong-${n}`;
const isBanned = (source: string) => Object.values(lab.bans()).some((list) => list.includes(canonicalAddress(source)));
const found = (source: string) => lab.foundCounts().get(canonicalAddress(source)) ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Guesses over `before` (four failures in all), checks the server, then makes the fifth failure
 * over `fifth` and waits for the ban. Never throws: what happened is recorded for the assertions.
 */
async function round(name: string, source: string, before: readonly Connection[], fifth: Connection, foundBefore = 0): Promise<Round> {
  const result: Round = { source, attempts: [], errors: [] };
  rounds[name] = result;
  const connect = async (c: Connection) => {
    const r = await lab.guess(c.port, source, mailbox, c.passwords);
    result.attempts.push(...r.attempts.map((a) => ({ ...a, port: c.port })));
    if (r.error) result.errors.push(`${c.port}: ${r.error}`);
  };
  for (const c of before) await connect(c);
  // fail2ban polls the logs: wait until it has seen the four (or gives up at 30 s), then one more
  // polling cycle, so that a line counted twice or a premature ban would show too.
  const seen = performance.now();
  while (found(source) - foundBefore < fail2ban.maxRetry - 1 && performance.now() - seen < 30_000) await sleep(100);
  await sleep(1_000);
  result.afterFourth = { banned: isBanned(source), found: found(source) - foundBefore };
  await connect(fifth);
  const start = performance.now();
  while (performance.now() - start < 15_000) {
    if (isBanned(source)) {
      result.banMs = performance.now() - start;
      break;
    }
    await sleep(100);
  }
  if (result.banMs !== undefined) result.reachableAfterBan = await lab.reachable(source, [...mailPorts, sshPortNumber]);
  console.info(`${name} from ${source}: ${result.attempts.map((a) => `${a.port}:${a.reply.slice(0, 3)}(${(a.ms / 1000).toFixed(1)}s)`).join(" ")}; ban ${result.banMs === undefined ? "none" : `${result.banMs.toFixed(0)} ms`} after the 5th failure`);
  return result;
}

/** The first guesser: banned on 587, back on 465, back on 587 again, then recidive. */
async function repeatOffender(): Promise<void> {
  const source = guesser.submission;
  const first = await round("587", source, [{ port: 587, passwords: [wrong(1), wrong(2)] }, { port: 587, passwords: [wrong(3)] }, { port: 587, passwords: [wrong(4)] }], { port: 587, passwords: [wrong(5)] });
  if (first.banMs === undefined) return;
  // The hour-long ban ends (unbanip stands in for it); the guesser comes back.
  lab.sandbox.runOk("fail2ban-client", ["unban", source]);
  const second = await round("587 again on 465", source, [6, 7, 8, 9].map((n) => ({ port: 465 as const, passwords: [wrong(n)] })), { port: 465, passwords: [wrong(10)] }, 5);
  if (second.banMs === undefined) return;
  lab.sandbox.runOk("fail2ban-client", ["unban", source]);
  const third = await round("587 third time", source, [11, 12, 13, 14].map((n) => ({ port: 587 as const, passwords: [wrong(n)] })), { port: 587, passwords: [wrong(15)] }, 10);
  if (third.banMs === undefined) return;
  const start = performance.now();
  while (performance.now() - start < 15_000) {
    if (lab.bans()["addr-set-recidive"]?.includes(source)) {
      recidive.banMs = performance.now() - start;
      break;
    }
    await sleep(100);
  }
  // Only recidive holds it now: the mail jail's own ban is lifted.
  const unban = lab.sandbox.run("fail2ban-client", ["set", jail, "unbanip", source]);
  if (unban.status !== 0) recidive.error = unban.stdout + unban.stderr;
  recidive.reachable = await lab.reachable(source, [...mailPorts, sshPortNumber]);
  recidive.rule = lab.sandbox.run("nft", ["list", "chain", "inet", "f2b-table", "f2b-chain"]).stdout.split("\n").find((l) => l.includes("@addr-set-recidive"));
}

beforeAll(async () => {
  const files = [...renderMailDaemonFiles(ctx), ...renderSystemFiles(ctx)];
  lab = await startBruteForceLab({
    files,
    ipv4Prefix: ranges.ipv4Prefix,
    ipv6Prefix: ranges.ipv6Prefix,
    attackers: [...Object.values(guesser), ...bystanders],
  });
  console.info(`lab started in ${(performance.now() - started).toFixed(0)} ms`);
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  console.info(`brute-force test: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
}, 60_000);

describe("password guessing from foreign addresses against the rendered mail server", () => {
  it("reaches every mail port from every address before anyone guesses", async () => {
    for (const source of [...Object.values(guesser), ...bystanders]) {
      expect(await lab.reachable(source, mailPorts), source).toEqual(Object.fromEntries(mailPorts.map((p) => [p, true])));
    }
    expect((await lab.reachable(guesser.submission, [sshPortNumber]))[sshPortNumber]).toBe(true);
  });

  it("runs the guessers (587, 465, 993, IPv6 across all three) at once, and the first one three times", async () => {
    try {
      await Promise.all([
        repeatOffender(),
        round("465", guesser.submissions, [
          { port: 465, passwords: [wrong(1)] },
          { port: 465, passwords: [wrong(2)] },
          { port: 465, passwords: [correctPassword] },
          { port: 465, passwords: [wrong(3)] },
          { port: 465, passwords: [wrong(4)] },
        ], { port: 465, passwords: [wrong(5)] }),
        round("993", guesser.imaps, [{ port: 993, passwords: [wrong(1), wrong(2)] }, { port: 993, passwords: [wrong(3), wrong(4)] }], { port: 993, passwords: [wrong(5)] }),
        round("IPv6 across services", guesser.mixed6, [
          { port: 587, passwords: [wrong(1)] },
          { port: 993, passwords: [wrong(2)] },
          { port: 465, passwords: [wrong(3)] },
          { port: 993, passwords: [wrong(4)] },
        ], { port: 587, passwords: [wrong(5)] }),
      ]);
      bystandersAfter = await Promise.all(bystanders.map((b) => lab.reachable(b, mailPorts)));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeUndefined();
  }, 420_000);

  describe.each(["587", "465", "993", "IPv6 across services", "587 again on 465", "587 third time"])("the guesser of round %s", (name) => {
    const get = () => rounds[name];

    it("is not banned after 4 failures, each counted exactly once", () => {
      expect(get()?.errors).toEqual([]);
      expect(get()?.afterFourth).toEqual({ banned: false, found: fail2ban.maxRetry - 1 });
    });

    it("is banned right after the 5th failure, from every mail port", () => {
      expect(get()?.errors).toEqual([]);
      expect(get()?.attempts.filter((a) => !a.ok)).toHaveLength(fail2ban.maxRetry);
      expect(get()?.banMs).toBeLessThan(5_000);
      const reachable = get()?.reachableAfterBan ?? {};
      expect(mailPorts.map((p) => reachable[p])).toEqual(mailPorts.map(() => false));
    });
  });

  it("counts a failure that Dovecot's penalty pushed past Postfix's 10 s SASL timeout", () => {
    const smtp = Object.values(rounds).flatMap((r) => r.attempts).filter((a) => a.port !== 993);
    const timedOut = smtp.filter((a) => a.reply.startsWith("454") && a.reply.includes("Connection lost to authentication server"));
    console.info(`SMTP attempts answered "Connection lost": ${timedOut.length} of ${smtp.length}`);
    expect(timedOut.length).toBeGreaterThan(0);
    // Every round still banned at exactly its 5th failure (above), these included.
  });

  it("does not count a correct password between failures", () => {
    const attempts = rounds["465"]?.attempts ?? [];
    expect(attempts.filter((a) => a.ok).map((a) => a.reply.slice(0, 3))).toEqual(["235"]);
    expect(attempts).toHaveLength(fail2ban.maxRetry + 1);
  });

  it("has fail2ban's Total failed equal to the number of failed attempts", () => {
    const failed = Object.values(rounds).flatMap((r) => r.attempts).filter((a) => !a.ok).length;
    const mailJails = lab.jails().filter((j) => j !== "sshd" && j !== "recidive");
    const total = mailJails.reduce((sum, j) => sum + Number(lab.jailStatus(j)["Total failed"]), 0);
    console.info(`failed attempts ${failed}; Total failed ${total} (${mailJails.join(", ")})`);
    expect(mailJails).toEqual([jail]);
    expect(total).toBe(failed);
    expect(Object.fromEntries(lab.foundCounts())).toEqual({
      [guesser.submission]: 3 * fail2ban.maxRetry,
      [guesser.submissions]: fail2ban.maxRetry,
      [guesser.imaps]: fail2ban.maxRetry,
      [guesser.mixed6]: fail2ban.maxRetry,
    });
  });

  it("leaves the SSH port to an admin address the mail jail banned (the ban covers mail ports only)", () => {
    expect(rounds["587"]?.reachableAfterBan?.[sshPortNumber]).toBe(true);
  });

  it("bans the repeat offender from every port through recidive after its third ban", () => {
    expect(recidive.error).toBeUndefined();
    expect(recidive.banMs).toBeLessThan(5_000);
    expect(recidive.rule).toBeDefined();
    expect(recidive.rule).not.toMatch(/dport/);
    const ports = [...mailPorts, sshPortNumber];
    expect(ports.map((p) => recidive.reachable?.[p])).toEqual(ports.map(() => false));
    console.info(`recidive: ban ${recidive.banMs?.toFixed(0)} ms after the third ban`);
  });

  it("leaves everyone else alone", () => {
    expect(bystandersAfter).toEqual(bystanders.map(() => Object.fromEntries(mailPorts.map((p) => [p, true]))));
  });

  it("mails each ban with the failures that caused it, and logs no fail2ban error", () => {
    const mails = sentMails(lab.mailDir);
    const mailBans = mails.filter((m) => m.includes(`seconds after ${fail2ban.maxRetry} failures in jail ${jail}.`));
    expect(mailBans).toHaveLength(6);
    expect(mails.filter((m) => m.includes(`failures in jail recidive.`))).toHaveLength(1);
    for (const m of mails) expect(m.split("\n")[0]).toBe("ARGS: [-i] [-f] [fail2ban@tenant-one.example] [--] [alerts@ops.tenant-one.example]");
    const log = readFileSync(lab.sandbox.path(hostLayout.fail2banLog), "utf8");
    expect(log.split("\n").filter((l) => /\b(ERROR|CRITICAL)\b/.test(l))).toEqual([]);
  });
});
