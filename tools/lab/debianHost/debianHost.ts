import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AddressPair, LabSubnet } from "../net/addressPlan";
import { createLabNetwork, labNetworkNames, linkExists } from "../net/labNetwork";
import { run, type RunResult } from "../net/run";
import { createCgroups, runCgroupDirs } from "./cgroups";
import { containerExec, currentBootState, findContainerInit, spawnContainer, waitForBoot, type BootResult } from "./container";
import { registerExitCleanup } from "./exitCleanup";
import { assertHostname, writeIdentity } from "./hostIdentity";
import { DEFAULT_EXTRA_PACKAGES } from "./packages";
import { networkLockPath, runsDir } from "./paths";
import { assertPrerequisites } from "./prerequisites";
import { isAlive, killIfAlive, processRef, waitUntilDead } from "./processes";
import { ensureRootfs } from "./rootfsCache";
import { prepareRootDir, type RootMode } from "./rootDir";
import { loadState, reapStaleRuns, runDirFor, saveState, teardownRunSync, type RunState } from "./runState";
import { authorizeKey, generateClientKey, generateHostKeys, knownHostsText, lookupUser, sshOptions } from "./sshAccess";

export interface DebianHostOptions {
  /** Run name, unique among running lab hosts; default `dh-<random>`. Lowercase letters, digits, dashes. */
  name?: string;
  /** Packages on top of the base set; default DEFAULT_EXTRA_PACKAGES. Another list is another cached rootfs. */
  extraPackages?: readonly string[];
  /** The host's FQDN, as the droplet is named; default `mail.lab.example`. */
  hostname?: string;
  /** "auto" (default) uses overlayfs and falls back to a copy. */
  rootMode?: RootMode | "auto";
  /** Boot deadline after nspawn starts; default 120 s. */
  bootTimeoutMs?: number;
  /** Progress lines (rootfs builds take minutes); default silent. */
  log?: (line: string) => void;
}

export interface CommandResult {
  /** Exit code; null when killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string | Buffer;
  /** Default 120 s; the command is killed after it. */
  timeoutMs?: number;
}

export interface SshCommandOptions extends CommandOptions {
  /** Default "admin", the user Pulumi connects as; "root" also works until the host's sshd config forbids it. */
  user?: string;
  /** Address family to connect over; default v4. */
  family?: "v4" | "v6";
}

/** The fields of @pulumi/command's remote ConnectionArgs that reach this host. */
export interface SshConnection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
}

export interface Timings {
  rootfsBuildSeconds: number;
  rootPrepareSeconds: number;
  networkSeconds: number;
  bootSeconds: number;
  sshReadySeconds: number;
  totalSeconds: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const ADMIN_USER = "admin";
const RUN_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A booted Debian 12 system in its own network namespace, reached over real SSH. See README.md. */
export class DebianHost {
  readonly adminUser = ADMIN_USER;
  private stopped = false;

  constructor(
    private readonly state: RunState & { subnet: LabSubnet },
    /** How the boot went (for an attached host: the state when attached). */
    readonly boot: BootResult,
    /** Where the start-up time went; undefined for an attached host. */
    readonly timings: Timings | undefined,
    private readonly unregisterExitCleanup: () => void = () => undefined,
  ) {}

  get name(): string {
    return this.state.name;
  }
  get hostname(): string {
    return this.state.hostname;
  }
  /** The host's addresses (sshd and every daemon listen here). */
  get address(): AddressPair {
    return this.state.subnet.host;
  }
  /** The client namespace's addresses: where probes come from. */
  get clientAddress(): AddressPair {
    return this.state.subnet.client;
  }
  /** This process's side, in the root namespace: where ssh, scp and Pulumi come from. */
  get runnerAddress(): AddressPair {
    return this.state.subnet.runner;
  }
  get subnet(): LabSubnet {
    return this.state.subnet;
  }
  get namespaces(): { host: string; client: string; switch: string } {
    return this.state.network.namespaces;
  }
  get rootInterface(): string {
    return this.state.network.rootInterface;
  }
  get sshPrivateKeyPath(): string {
    return path.join(this.state.runDir, "id_ed25519");
  }
  get knownHostsPath(): string {
    return path.join(this.state.runDir, "known_hosts");
  }
  get consoleLogPath(): string {
    return path.join(this.state.runDir, "console.log");
  }
  /** The host's root directory, seen from here; for reading files, prefer exec/ssh for writing. */
  get rootDir(): string {
    return this.state.rootDir;
  }
  /** The cached rootfs this run is layered on; it must stay untouched. */
  get rootfsPath(): string {
    return this.state.rootfs.path;
  }
  get rootMode(): RootMode {
    return this.state.rootfs.mode;
  }
  /** Everything this run created; for leak checks. */
  get runState(): Readonly<RunState> {
    return this.state;
  }

  /** ssh options plus destination, for callers that run ssh themselves (interactive shells). */
  sshArgs(user: string = ADMIN_USER, family: "v4" | "v6" = "v4"): string[] {
    return [...this.sshOptions(), `${user}@${this.address[family]}`];
  }

  /** For a @pulumi/command remote.Command or CopyToRemote pointed at the lab host. */
  connection(user: string = ADMIN_USER): SshConnection {
    return { host: this.address.v4, port: 22, user, privateKey: fs.readFileSync(this.sshPrivateKeyPath, "utf8") };
  }

  /** Runs a shell command over real SSH, from this process's namespace, as Pulumi would. */
  async ssh(command: string, opts: SshCommandOptions = {}): Promise<CommandResult> {
    this.assertRunning();
    return this.result(run("ssh", [...this.sshArgs(opts.user, opts.family), "--", command], withTimeout(opts)));
  }

  /** Copies a local file or directory to the host over SSH (scp), like command:remote:CopyToRemote. */
  async copyTo(localPath: string, remotePath: string, opts: { user?: string; timeoutMs?: number } = {}): Promise<void> {
    if (!fs.existsSync(localPath)) throw new Error(`copyTo: ${localPath} does not exist`);
    this.assertRunning();
    const args = [...this.sshOptions(), "-q", "-r", "-p", localPath, `${opts.user ?? ADMIN_USER}@${this.address.v4}:${remotePath}`];
    const result = await run("scp", args, withTimeout(opts));
    if (result.code !== 0) throw new Error(`copyTo ${localPath} -> ${remotePath} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
  }

  /** Runs a shell command as root inside the host without SSH (nsenter into its init's namespaces): for setup and debugging. */
  async exec(command: string, opts: CommandOptions = {}): Promise<CommandResult> {
    this.assertRunning();
    const initPid = findContainerInit(this.namespaces.host);
    if (initPid === undefined) throw new Error(`lab host ${this.name} is not running`);
    return this.result(containerExec(initPid, command, withTimeout(opts)));
  }

  /** Runs a shell command in the client namespace ("the internet"), with this machine's programs. */
  async clientExec(command: string, opts: CommandOptions = {}): Promise<CommandResult> {
    this.assertRunning();
    return this.result(run("ip", ["netns", "exec", this.namespaces.client, "sh", "-c", command], withTimeout(opts)));
  }

  /**
   * Powers the host off (killing it if it does not stop within 20 s), then removes its
   * namespaces, links, cgroups, mount and files. Safe to call twice. Throws if anything of
   * the run is left, naming it.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const nspawn = this.state.nspawn;
    if (nspawn && isAlive(nspawn)) {
      // nspawn answers SIGTERM by sending the container's systemd SIGRTMIN+3: an orderly poweroff.
      killIfAlive(nspawn, "SIGTERM");
      if (!(await waitUntilDead(nspawn, 20_000))) killIfAlive(nspawn, "SIGKILL");
    }
    const leftovers = teardownRunSync(this.state);
    this.stopped = true;
    this.unregisterExitCleanup();
    if (leftovers.length) throw new Error(`lab host ${this.name} stopped, but these remain: ${leftovers.join(", ")}`);
  }

  private sshOptions(): string[] {
    return sshOptions(this.sshPrivateKeyPath, this.knownHostsPath, this.rootInterface);
  }

  /** Checked before anything is sent: after teardown the lab's addresses would route to the internet. */
  private assertRunning(): void {
    if (this.stopped) throw new Error(`lab host ${this.name} was stopped`);
    if (!linkExists(this.rootInterface)) throw new Error(`lab host ${this.name} has no network any more (was it stopped elsewhere?)`);
  }

  private async result(pending: Promise<RunResult>): Promise<CommandResult> {
    const { code, stdout, stderr } = await pending;
    return { code, stdout, stderr };
  }
}

function withTimeout(opts: CommandOptions): CommandOptions {
  return { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

/**
 * Builds (or reuses) the rootfs, creates the lab network, boots the host and returns once
 * SSH with the run's key works. If the calling process exits without stop(), an exit hook
 * tears the run down.
 */
export async function startDebianHost(opts: DebianHostOptions = {}): Promise<DebianHost> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  assertPrerequisites();
  const id = randomBytes(3).toString("hex");
  const name = opts.name ?? `dh-${id}`;
  if (!RUN_NAME.test(name)) throw new Error(`lab host name "${name}" must be 1-40 lowercase letters, digits or dashes, starting with a letter or digit`);
  const hostname = opts.hostname ?? "mail.lab.example";
  assertHostname(hostname);

  reapStaleRuns(log);
  const rootfs = await ensureRootfs(opts.extraPackages ?? DEFAULT_EXTRA_PACKAGES, log);

  const runDir = runDirFor(name);
  fs.mkdirSync(runsDir(), { recursive: true });
  try {
    fs.mkdirSync(runDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    throw new Error(`a lab host named ${name} is already running; stop it with: npx tsx tools/lab/debianHost/cli.ts down ${name}`);
  }
  const owner = processRef(process.pid);
  if (!owner) throw new Error("cannot read this process's start time from /proc");
  const state: RunState = {
    name,
    owner,
    createdAt: new Date().toISOString(),
    runDir,
    rootDir: path.join(runDir, "root"),
    rootfs: { path: rootfs.path, hash: rootfs.hash, mode: "overlay" },
    network: labNetworkNames(id),
    cgroups: runCgroupDirs(name),
    hostname,
  };
  saveState(state);
  const unregister = registerExitCleanup(() => teardownRunSync(state));

  try {
    const t0 = Date.now();
    const root = await prepareRootDir(rootfs.path, runDir, opts.rootMode ?? "auto", log);
    state.rootfs.mode = root.mode;
    saveState(state);
    const t1 = Date.now();
    const network = await createLabNetwork(state.network, networkLockPath());
    const subnet = network.subnet;
    state.subnet = subnet;
    saveState(state);
    const t2 = Date.now();

    writeIdentity(state.rootDir, hostname);
    const hostKeys = await generateHostKeys(state.rootDir);
    fs.writeFileSync(path.join(runDir, "known_hosts"), knownHostsText([subnet.host.v4, subnet.host.v6], hostKeys));
    const key = await generateClientKey(runDir, `penguinmails-lab ${name}`);
    for (const user of ["root", ADMIN_USER]) {
      const { uid, gid, home } = lookupUser(state.rootDir, user);
      authorizeKey(state.rootDir, home, uid, gid, key.publicKey);
    }

    createCgroups(state.cgroups);
    const t3 = Date.now();
    const nspawn = spawnContainer({
      rootDir: state.rootDir,
      machineName: name,
      hostname,
      netns: state.network.namespaces.host,
      cgroups: state.cgroups,
      consoleLogPath: path.join(runDir, "console.log"),
    });
    // The host's lifetime follows this process's (see exitCleanup.ts), not the other way round.
    nspawn.unref();
    if (nspawn.pid === undefined) throw new Error("systemd-nspawn did not start");
    state.nspawn = processRef(nspawn.pid);
    saveState(state);
    log(`booting lab host ${name} (${subnet.host.v4}, ${subnet.host.v6})`);
    const { initPid, ...boot } = await waitForBoot(state.network.namespaces.host, nspawn, opts.bootTimeoutMs ?? DEFAULT_TIMEOUT_MS);
    const t4 = Date.now();
    await waitForSsh(state.runDir, state.network.rootInterface, subnet.host.v4, initPid);
    const t5 = Date.now();
    const timings: Timings = {
      rootfsBuildSeconds: rootfs.buildSeconds,
      rootPrepareSeconds: (t1 - t0) / 1000,
      networkSeconds: (t2 - t1) / 1000,
      bootSeconds: (t4 - t3) / 1000,
      sshReadySeconds: (t5 - t4) / 1000,
      totalSeconds: (t5 - started) / 1000,
    };
    log(`lab host ${name} is ${boot.state}${boot.failedUnits.length ? ` (failed: ${boot.failedUnits.join(", ")})` : ""} after ${timings.bootSeconds.toFixed(1)} s`);
    return new DebianHost({ ...state, subnet }, boot, timings, unregister);
  } catch (err) {
    const consoleTail = tail(path.join(runDir, "console.log"), 25);
    teardownRunSync(state);
    unregister();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`starting lab host ${name} failed: ${message}${consoleTail ? `\nlast console lines:\n${consoleTail}` : ""}`);
  }
}

/** sshd is started by then, but give it a moment to accept connections. */
async function waitForSsh(runDir: string, labInterface: string, address: string, initPid: number): Promise<void> {
  const options = sshOptions(path.join(runDir, "id_ed25519"), path.join(runDir, "known_hosts"), labInterface);
  const deadline = Date.now() + 30_000;
  let last: RunResult | undefined;
  while (Date.now() < deadline) {
    last = await run("ssh", [...options, `root@${address}`, "true"], { timeoutMs: 15_000 });
    if (last.code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const sshd = await containerExec(initPid, "systemctl status --no-pager ssh.service", { timeoutMs: 10_000 });
  throw new Error(`SSH to the lab host never worked: ${last?.stderr.trim()}\n${sshd.stdout}`);
}

/** A handle on a host started by another process (the CLI's `ssh`, `exec` and `down`). */
export async function attachDebianHost(name: string): Promise<DebianHost> {
  const state = loadState(name);
  if (!state) throw new Error(`no lab host named ${name} is running (see: npx tsx tools/lab/debianHost/cli.ts list)`);
  if (!state.subnet) throw new Error(`lab host ${name} is still starting or failed to start`);
  const initPid = findContainerInit(state.network.namespaces.host);
  const boot: BootResult = initPid === undefined ? { state: "stopped", failedUnits: [], seconds: 0 } : await currentBootState(initPid);
  return new DebianHost({ ...state, subnet: state.subnet }, boot, undefined);
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
