import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { findContainerInit, nsenterArgs } from "./container";
import { attachDebianHost, startDebianHost, type DebianHost } from "./debianHost";
import { DEFAULT_EXTRA_PACKAGES } from "./packages";
import { isAlive } from "./processes";
import { isStale, listRunNames, loadState, teardownRunSync } from "./runState";

const USAGE = `Usage: npx tsx tools/lab/debianHost/cli.ts <command>

  up [--name NAME] [--hostname FQDN] [--packages PKG,PKG] [--no-default-packages] [--copy]
        Boot a Debian 12 lab host and keep it until Ctrl-C (or \`down\` from another terminal).
        --packages adds to the default mail packages; --copy copies the rootfs instead of overlaying it.
  ssh NAME [--user USER] [-- COMMAND...]
        SSH into it with the run's key (default user: admin).
  exec NAME -- COMMAND...
        Run a command as root inside it without SSH (for when SSH itself is broken).
  list
        Show lab hosts, including stale ones left by killed runs.
  down NAME | --all
        Stop a host (or all of them) and remove everything it created.
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "up":
      return up(rest);
    case "ssh":
      return ssh(rest);
    case "exec":
      return exec(rest);
    case "list":
      return list();
    case "down":
      return down(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function up(args: string[]): Promise<number> {
  const { values } = parsed(() =>
    parseArgs({
      args,
      strict: true,
      options: {
        name: { type: "string" },
        hostname: { type: "string" },
        packages: { type: "string" },
        "no-default-packages": { type: "boolean" },
        copy: { type: "boolean" },
      },
    }),
  );
  const extra = values.packages?.split(",").map((p) => p.trim()).filter(Boolean) ?? [];
  const host = await startDebianHost({
    name: values.name,
    hostname: values.hostname,
    extraPackages: values["no-default-packages"] ? extra : [...DEFAULT_EXTRA_PACKAGES, ...extra],
    rootMode: values.copy ? "copy" : "auto",
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
  const cli = "npx tsx tools/lab/debianHost/cli.ts";
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

async function ssh(args: string[]): Promise<number> {
  const { values, positionals } = parsed(() => parseArgs({ args, strict: true, allowPositionals: true, options: { user: { type: "string" } } }));
  const [name, ...command] = positionals;
  if (!name) throw new UsageError("ssh needs the host's name (see `list`)");
  const host = await attachDebianHost(name);
  const sshArgs = [...host.sshArgs(values.user ?? host.adminUser), ...(command.length ? ["--", ...command] : [])];
  return spawnSync("ssh", sshArgs, { stdio: "inherit" }).status ?? 255;
}

/** Interactive, unlike DebianHost.exec(): the terminal is handed through. */
function exec(args: string[]): number {
  const { positionals } = parsed(() => parseArgs({ args, strict: true, allowPositionals: true, options: {} }));
  const [name, ...command] = positionals;
  if (!name || command.length === 0) throw new UsageError("exec needs the host's name and a command");
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

async function down(args: string[]): Promise<number> {
  const { values, positionals } = parsed(() => parseArgs({ args, strict: true, allowPositionals: true, options: { all: { type: "boolean" } } }));
  const names = values.all ? listRunNames() : positionals;
  if (names.length === 0) {
    if (values.all) return 0;
    throw new UsageError("down needs a host's name, or --all");
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

/** parseArgs' own messages ("Unknown option '--nme'") are clear; they only need the usage text. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
