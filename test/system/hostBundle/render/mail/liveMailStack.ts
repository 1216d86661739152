import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { freeLoopbackPorts } from "../../../../../tools/lab/acme/ports";
import type { Zone } from "../../../../support/baseline/dns/memoryResolver";
import { runOnTerminal, shellQuote, startDaemon } from "./processRunner";
import { knotPidFile, mainPid, postfixKnotPidFile, processTree, rspamdMemory, startPostfixDns, startRspamdInNamespace } from "./rspamdNamespace";
import type { StagedMailConfig, StagePorts } from "./stagedMailConfig";

export async function stagePorts(): Promise<StagePorts> {
  const [smtp, submission, submissions, imaps, policy] = (await freeLoopbackPorts(5)) as [number, number, number, number, number];
  return { smtp, submission, submissions, imaps, policy };
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops one daemon this test started, by the pid it wrote, and waits until it and its children are gone. */
async function stopByPidFile(file: string): Promise<void> {
  const pid = pidFrom(file);
  if (pid === undefined || !alive(pid)) return;
  const tree = processTree(pid);
  process.kill(pid, "SIGTERM");
  await waitFor(`pid ${pid} to exit`, () => tree.every((p) => !alive(p)), 20_000).catch(() => tree.forEach((p) => alive(p) && process.kill(p, "SIGKILL")));
}

const dovecotPidFile = (staged: StagedMailConfig): string => `${staged.dovecot.baseDir}/master.pid`;
const postfixPidFile = (staged: StagedMailConfig): string => `${staged.postfix.queueDir}/pid/master.pid`;

/**
 * Samples every 200 ms the memory of rspamd's processes: those below a launcher (rspamd before it
 * daemonizes, where the configuration load peaks) and those of the daemonized main process (where
 * hs_helper compiles the hyperscan database after the start). Keeps the peak since the last reset.
 */
export class RspamdMemorySampler {
  private launcher: number | undefined;
  private peakRss = 0;
  private peakPss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly staged: StagedMailConfig) {
    this.timer = setInterval(() => this.sample(), 200);
  }

  launched(pid: number): void {
    this.launcher = pid;
  }

  sample(): void {
    const main = mainPid(this.staged);
    const pids = [...(this.launcher ? processTree(this.launcher) : []), ...(main ? processTree(main) : [])];
    const now = rspamdMemory([...new Set(pids)]);
    this.peakRss = Math.max(this.peakRss, now.reduce((sum, p) => sum + p.rssKiB, 0));
    this.peakPss = Math.max(this.peakPss, now.reduce((sum, p) => sum + p.pssKiB, 0));
  }

  /** The peak since the last reset, in KiB; then starts over. */
  reset(): { rssKiB: number; pssKiB: number } {
    this.sample();
    const peak = { rssKiB: this.peakRss, pssKiB: this.peakPss };
    this.peakRss = 0;
    this.peakPss = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Starts rspamd and Knot in their namespaces and waits for the milter socket; the milliseconds it took. */
export async function startRspamd(staged: StagedMailConfig, dns: Zone, onLaunch?: (pid: number) => void): Promise<number> {
  const began = Date.now();
  await startRspamdInNamespace(staged, dns, onLaunch);
  await waitFor("rspamd's milter socket", () => existsSync(staged.rspamd.milterSocket), 60_000);
  return Date.now() - began;
}

/**
 * Stops rspamd (all its processes) and Knot; their namespaces go with them. rspamd leaves its
 * milter socket behind (it unlinks a stale one only when it binds again): removed here, so that
 * the next start is waited for by the socket it creates, not the old file.
 */
export async function stopRspamd(staged: StagedMailConfig): Promise<void> {
  await Promise.all([staged.rspamd.pidFile, knotPidFile(staged)].map(stopByPidFile));
  rmSync(staged.rspamd.milterSocket, { force: true });
}

/** Where Postfix's own lookups go: a DNS server in the outside namespace, answering from the test's zone. */
export interface PostfixResolver {
  readonly netns: string;
  readonly address: string;
}

/**
 * Starts the staged daemons in the host's order: the milter and the policy service before Postfix
 * (which connects to them), Dovecot after it (its sockets live in Postfix's spool). rspamd runs in
 * its own namespaces with a DNS server answering from `dns`; it starts cold (an empty
 * /var/lib/rspamd, as on a new host), and the milliseconds until its socket appeared are returned.
 * With `postfixResolver`, Postfix runs in a mount namespace of its own whose /etc/resolv.conf
 * names a second server answering from `dns`, so its reverse lookups of clients are the test's.
 */
export async function startMailStack(staged: StagedMailConfig, dns: Zone, onRspamdLaunch?: (pid: number) => void, postfixResolver?: PostfixResolver): Promise<number> {
  const rspamdStartMs = await startRspamd(staged, dns, onRspamdLaunch);
  if (postfixResolver) await startPostfixDns(staged, dns, postfixResolver.netns, postfixResolver.address);

  const postfwd = await startDaemon("postfwd2", staged.postfwd.args, `${staged.root}/postfwd.out`);
  if (postfwd.code !== 0) throw new Error(`postfwd did not start: ${postfwd.output}`);
  await waitFor("postfwd's port", () => accepts(staged.ports.policy));

  const resolvConf = `${staged.root}/postfix-resolv.conf`;
  writeFileSync(resolvConf, postfixResolver ? `nameserver ${postfixResolver.address}\n` : "");
  const postfix = await runOnTerminal(
    postfixResolver
      ? ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", `mount --bind ${shellQuote(resolvConf)} /etc/resolv.conf && exec postfix -c ${shellQuote(staged.postfix.configDir)} start`]
      : ["postfix", "-c", staged.postfix.configDir, "start"],
  );
  if (postfix.code !== 0) throw new Error(`postfix did not start: ${postfix.output}`);
  for (const port of [staged.ports.smtp, staged.ports.submission, staged.ports.submissions]) await waitFor(`Postfix on ${port}`, () => accepts(port));

  const dovecot = await startDaemon("dovecot", ["-c", staged.dovecot.conf], `${staged.root}/dovecot.out`);
  if (dovecot.code !== 0) throw new Error(`dovecot did not start: ${dovecot.output}`);
  await waitFor("Dovecot's IMAPS port", () => accepts(staged.ports.imaps));
  await waitFor("Dovecot's auth socket", () => existsSync(`${staged.postfix.queueDir}/private/auth`));
  return rspamdStartMs;
}

/** Stops everything startMailStack started; safe to call after a partial start, and each step runs even when another fails. */
export async function stopMailStack(staged: StagedMailConfig): Promise<void> {
  const postfix = await Promise.allSettled([(async () => {
    if (pidFrom(postfixPidFile(staged)) === undefined) return;
    await runOnTerminal(["postfix", "-c", staged.postfix.configDir, "stop"]);
    await stopByPidFile(postfixPidFile(staged));
  })()]);
  // Each takes seconds to wind down; none depends on another any more. With rspamd and Knot gone,
  // their namespaces go too.
  const others = await Promise.allSettled([stopRspamd(staged), ...[dovecotPidFile(staged), staged.postfwd.pidFile, postfixKnotPidFile(staged)].map(stopByPidFile)]);
  // postfwd's cache process outlives its master for a moment and removes its socket last.
  await waitFor("postfwd's cache process to exit", () => !existsSync(staged.postfwd.cacheSocket), 15_000).catch(() => undefined);
  const failed = [...postfix, ...others].find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
