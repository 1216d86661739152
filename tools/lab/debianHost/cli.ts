import { spawnSync } from "node:child_process";
import { Command, parseCommandLine, toolCommand } from "../../cli/command";
import { findContainerInit, nsenterArgs } from "./container";
import { attachDebianHost, startDebianHost, type DebianHost } from "./debianHost";
import { DEFAULT_EXTRA_PACKAGES } from "./packages";
import { isAlive } from "./processes";
import { isStale, listRunNames, loadState, teardownRunSync } from "./runState";

const cliName = "npx tsx tools/lab/debianHost/cli.ts";

/** What a subcommand's action settles with: its exit code. */
let outcome: Promise<number> = Promise.resolve(0);

function action<A extends unknown[]>(run: (...args: A) => Promise<number> | number): (...args: A) => void {
  return (...args) => {
    outcome = Promise.resolve().then(() => run(...args));
  };
}

function cli(): Command {
  const program = toolCommand(cliName, "A booted Debian 12 lab host in network namespaces of its own, reached over SSH like a droplet.");
  const sub = (name: string, description: string): Command => toolCommandFrom(program, name, description);
  sub("up", "Boot a Debian 12 lab host and keep it until Ctrl-C (or `down` from another terminal).")
    .option("--name <name>", "the run's name (default dh-<random>)")
    .option("--hostname <fqdn>", "the host's FQDN (default mail.lab.example)")
    .option("--packages <list>", "comma-separated packages on top of the default mail packages")
    .option("--no-default-packages", "only the base packages and --packages")
    .option("--copy", "copy the rootfs instead of overlaying it", false)
    .action(action((options: { name?: string; hostname?: string; packages?: string; defaultPackages: boolean; copy: boolean }) => up(options)));
  sub("ssh", "SSH into it with the run's key.")
    .argument("<name>", "the host's name (see `list`)")
    .argument("[command...]", "a command to run instead of a shell")
    .option("--user <user>", "the user to log in as (default: admin)")
    .action(action((name: string, command: string[], options: { user?: string }) => ssh(name, command, options.user)));
  sub("exec", "Run a command as root inside it without SSH (for when SSH itself is broken).")
    .argument("<name>", "the host's name")
    .argument("<command...>", "the command")
    .action(action((name: string, command: string[]) => exec(name, command)));
  sub("list", "Show lab hosts, including stale ones left by killed runs.").action(action(() => list()));
  sub("down", "Stop a host (or all of them) and remove everything it created.")
    .argument("[names...]", "the hosts' names")
    .option("--all", "every lab host, also those other runs are using", false)
    .action(action((names: string[], options: { all: boolean }) => down(names, options.all)));
  return program;
}

/** A subcommand that reports usage errors like its parent: one line, and where the help is. */
function toolCommandFrom(parent: Command, name: string, description: string): Command {
  const child = toolCommand(`${cliName} ${name}`, description).name(name);
  parent.addCommand(child);
  return child;
}

async function main(argv: string[]): Promise<number> {
  const program = cli();
  const parsed = parseCommandLine(program, argv.length === 0 ? ["--help"] : argv, 2);
  if (!parsed.ok) return argv.length === 0 ? 2 : parsed.exitCode;
  return outcome;
}

async function up(options: { name?: string; hostname?: string; packages?: string; defaultPackages: boolean; copy: boolean }): Promise<number> {
  const extra = options.packages?.split(",").map((p) => p.trim()).filter(Boolean) ?? [];
  const host = await startDebianHost({
    name: options.name,
    hostname: options.hostname,
    extraPackages: options.defaultPackages ? [...DEFAULT_EXTRA_PACKAGES, ...extra] : extra,
    rootMode: options.copy ? "copy" : "auto",
    log: (line) => console.log(line),
  });
  printSummary(host);

  const reason = await new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => resolve(signal));
    const nspawn = host.runState.nspawn;
    setInterval(() => {
      if (!nspawn || !isAlive(nspawn)) resolve("the host powered off or was stopped elsewhere");
    }, 1000);
  });
  console.log(`${reason}: stopping ${host.name}...`);
  await host.stop();
  console.log(`${host.name} stopped and removed`);
  return 0;
}

function printSummary(host: DebianHost): void {
  const failed = host.boot.failedUnits.length ? ` (failed units: ${host.boot.failedUnits.join(", ")})` : "";
  const cli = cliName;
  console.log(
    [
      `lab host ${host.name} (${host.hostname}) is ${host.boot.state}${failed}`,
      `  host address    ${host.address.v4}  ${host.address.v6}`,
      `  client address  ${host.clientAddress.v4}  ${host.clientAddress.v6}   (namespace ${host.namespaces.client})`,
      `  this side       ${host.runnerAddress.v4}  ${host.runnerAddress.v6}   (link ${host.rootInterface})`,
      `  ssh             ${cli} ssh ${host.name}   or   ssh ${host.sshArgs().join(" ")}`,
      `  root shell      ${cli} exec ${host.name} -- bash`,
      `  client shell    ip netns exec ${host.namespaces.client} bash`,
      `  console log     ${host.consoleLogPath}`,
      `Ctrl-C (or \`${cli} down ${host.name}\`) powers it off and removes everything.`,
    ].join("\n"),
  );
}

async function ssh(name: string, command: string[], user: string | undefined): Promise<number> {
  const host = await attachDebianHost(name);
  const sshArgs = [...host.sshArgs(user ?? host.adminUser), ...(command.length ? ["--", ...command] : [])];
  return spawnSync("ssh", sshArgs, { stdio: "inherit" }).status ?? 255;
}

/** Interactive, unlike DebianHost.exec(): the terminal is handed through. */
function exec(name: string, command: string[]): number {
  const state = loadState(name);
  if (!state) throw new Error(`no lab host named ${name} is running (see \`list\`)`);
  const initPid = findContainerInit(state.network.namespaces.host);
  if (initPid === undefined) throw new Error(`lab host ${name} is not running`);
  return spawnSync("nsenter", nsenterArgs(initPid, command), { stdio: "inherit" }).status ?? 1;
}

function list(): number {
  const names = listRunNames();
  if (names.length === 0) console.log("no lab hosts");
  for (const name of names) {
    const state = loadState(name);
    if (!state) {
      console.log(`${name}  (no state: a start that died early; \`down --all\` removes it)`);
      continue;
    }
    const status = isStale(state) ? `stale, owner pid ${state.owner.pid} is gone` : `owner pid ${state.owner.pid}`;
    const address = state.subnet ? `${state.subnet.host.v4} ${state.subnet.host.v6}` : "no address yet";
    console.log(`${name}  ${address}  ${state.hostname}  started ${state.createdAt}  (${status})`);
  }
  return 0;
}

async function down(given: string[], all: boolean): Promise<number> {
  const names = all ? listRunNames() : given;
  if (names.length === 0) {
    if (all) return 0;
    console.error(`error: down needs a host's name, or --all (${cliName} down --help for usage)`);
    return 2;
  }
  let failures = 0;
  for (const name of names) {
    try {
      await stopByName(name);
      console.log(`${name} stopped and removed`);
    } catch (err) {
      failures++;
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures ? 1 : 0;
}

/** Orderly when the host is intact; a plain teardown when its start died halfway. */
async function stopByName(name: string): Promise<void> {
  const state = loadState(name);
  if (state && !state.subnet) {
    const leftovers = teardownRunSync(state);
    if (leftovers.length) throw new Error(`these remain: ${leftovers.join(", ")}`);
    return;
  }
  if (!state && listRunNames().includes(name)) throw new Error("it has no state file; remove its directory by hand if it is not starting right now");
  await (await attachDebianHost(name)).stop();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
