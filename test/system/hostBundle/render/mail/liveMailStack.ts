import { existsSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { runOnTerminal, startDaemon } from "./processRunner";
import type { StagedMailConfig, StagePorts } from "./stagedMailConfig";

/** Free loopback TCP ports, asked from the kernel. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function stagePorts(): Promise<StagePorts> {
  const [smtp, submission, submissions, imaps, policy] = (await freePorts(5)) as [number, number, number, number, number];
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

/** Stops one daemon this test started, by the pid it wrote, and waits until it is gone. */
async function stopByPidFile(file: string): Promise<void> {
  const pid = pidFrom(file);
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  await waitFor(`pid ${pid} to exit`, () => !alive(pid), 10_000).catch(() => process.kill(pid, "SIGKILL"));
}

const dovecotPidFile = (staged: StagedMailConfig): string => `${staged.dovecot.baseDir}/master.pid`;
const postfixPidFile = (staged: StagedMailConfig): string => `${staged.postfix.queueDir}/pid/master.pid`;

/**
 * Starts the staged daemons in the host's order: the signer and the policy service before Postfix
 * (which connects to them), Dovecot after it (its sockets live in Postfix's spool).
 */
export async function startMailStack(staged: StagedMailConfig): Promise<void> {
  const opendkim = await startDaemon("opendkim", ["-x", staged.opendkim.conf], `${staged.root}/opendkim.out`);
  if (opendkim.code !== 0) throw new Error(`opendkim did not start: ${opendkim.output}`);
  await waitFor("OpenDKIM's socket", () => existsSync(`${staged.postfix.queueDir}/opendkim/opendkim.sock`));

  const postfwd = await startDaemon("postfwd2", staged.postfwd.args, `${staged.root}/postfwd.out`);
  if (postfwd.code !== 0) throw new Error(`postfwd did not start: ${postfwd.output}`);
  await waitFor("postfwd's port", () => accepts(staged.ports.policy));

  const postfix = await runOnTerminal(["postfix", "-c", staged.postfix.configDir, "start"]);
  if (postfix.code !== 0) throw new Error(`postfix did not start: ${postfix.output}`);
  for (const port of [staged.ports.smtp, staged.ports.submission, staged.ports.submissions]) await waitFor(`Postfix on ${port}`, () => accepts(port));

  const dovecot = await startDaemon("dovecot", ["-c", staged.dovecot.conf], `${staged.root}/dovecot.out`);
  if (dovecot.code !== 0) throw new Error(`dovecot did not start: ${dovecot.output}`);
  await waitFor("Dovecot's IMAPS port", () => accepts(staged.ports.imaps));
  await waitFor("Dovecot's auth socket", () => existsSync(`${staged.postfix.queueDir}/private/auth`));
}

/** Stops everything startMailStack started; safe to call after a partial start. */
export async function stopMailStack(staged: StagedMailConfig): Promise<void> {
  if (pidFrom(postfixPidFile(staged)) !== undefined) {
    await runOnTerminal(["postfix", "-c", staged.postfix.configDir, "stop"]);
    await stopByPidFile(postfixPidFile(staged));
  }
  // Each takes seconds to wind down (OpenDKIM the longest); none depends on another any more.
  await Promise.all([dovecotPidFile(staged), staged.opendkim.pidFile, staged.postfwd.pidFile].map(stopByPidFile));
  // postfwd's cache process outlives its master for a moment and removes its socket last.
  await waitFor("postfwd's cache process to exit", () => !existsSync(staged.postfwd.cacheSocket), 15_000).catch(() => undefined);
}
