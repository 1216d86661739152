import * as fs from "node:fs";
import { chooseLabSubnet, type LabSubnet } from "./addressPlan";
import { withFileLock } from "./fileLock";
import { describeFailure, run, runSync } from "./run";

/**
 * Three network namespaces joined by one bridge:
 *
 *   root namespace (test runner, ssh/scp, Pulumi)   pml-<id>  --veth--+
 *   <prefix>-host   (the Debian host)                eth0     --veth--+-- br0 in <prefix>-switch
 *   <prefix>-client (probes, "the internet")         eth0     --veth--+
 *
 * The bridge lives in its own namespace so no namespace that runs code also forwards frames,
 * and deleting the namespaces removes every link, including the root namespace's end.
 * No namespace has a default route and nothing enables forwarding, so a packet addressed
 * outside the lab subnet has no way out: the lab's traffic stays inside what it created.
 */
export interface LabNetworkNames {
  /** Short unique id; interface names are limited to 15 characters. */
  id: string;
  namespaces: { host: string; client: string; switch: string };
  /** The veth end in the root namespace. */
  rootInterface: string;
}

export interface LabNetwork extends LabNetworkNames {
  subnet: LabSubnet;
}

export function labNetworkNames(id: string): LabNetworkNames {
  if (!/^[a-z0-9]{1,10}$/.test(id)) throw new Error(`lab network id "${id}" must be 1-10 lowercase letters or digits`);
  const prefix = `pml-${id}`;
  return {
    id,
    namespaces: { host: `${prefix}-host`, client: `${prefix}-client`, switch: `${prefix}-switch` },
    rootInterface: prefix,
  };
}

/**
 * Creates the namespaces and links and gives them addresses from a subnet no other run and
 * nothing on this machine uses. The subnet is claimed by the root-side address itself, so
 * the choice and the claim happen under one lock shared by all runs.
 */
export async function createLabNetwork(names: LabNetworkNames, lockPath: string): Promise<LabNetwork> {
  return withFileLock(lockPath, async () => {
    const subnet = chooseLabSubnet(await occupiedPrefixes());
    const { host, client, switch: sw } = names.namespaces;
    const v4 = (a: { v4: string }) => `${a.v4}/${subnet.prefixLength.v4}`;
    const v6 = (a: { v6: string }) => `${a.v6}/${subnet.prefixLength.v6}`;
    const steps: string[][] = [
      ["netns", "add", host],
      ["netns", "add", client],
      ["netns", "add", sw],
      ["-n", sw, "link", "add", "br0", "type", "bridge"],
      ["-n", sw, "link", "add", "to-host", "type", "veth", "peer", "name", "eth0", "netns", host],
      ["-n", sw, "link", "add", "to-client", "type", "veth", "peer", "name", "eth0", "netns", client],
      ["link", "add", names.rootInterface, "type", "veth", "peer", "name", "to-runner", "netns", sw],
      ...["to-host", "to-client", "to-runner"].map((port) => ["-n", sw, "link", "set", port, "master", "br0", "up"]),
      ["-n", sw, "link", "set", "br0", "up"],
      ...endpointSteps(host, v4(subnet.host), v6(subnet.host)),
      ...endpointSteps(client, v4(subnet.client), v6(subnet.client)),
      ["address", "add", v4(subnet.runner), "dev", names.rootInterface],
      // nodad: the addresses are ours alone, and waiting for duplicate detection costs seconds.
      ["address", "add", v6(subnet.runner), "dev", names.rootInterface, "nodad"],
      ["link", "set", names.rootInterface, "up"],
    ];
    for (const args of steps) {
      const result = await run("ip", args);
      if (result.code !== 0) {
        destroyLabNetworkSync(names);
        throw new Error(`setting up the lab network failed: ${describeFailure("ip", args, result)}`);
      }
    }
    // A router advertisement from inside the lab (a test's radvd) must never become this
    // machine's default route.
    fs.writeFileSync(`/proc/sys/net/ipv6/conf/${names.rootInterface}/accept_ra`, "0");
    return { ...names, subnet };
  });
}

function endpointSteps(namespace: string, v4: string, v6: string): string[][] {
  return [
    ["-n", namespace, "link", "set", "lo", "up"],
    ["-n", namespace, "address", "add", v4, "dev", "eth0"],
    ["-n", namespace, "address", "add", v6, "dev", "eth0", "nodad"],
    ["-n", namespace, "link", "set", "eth0", "up"],
  ];
}

/** Every prefix and address the root namespace routes somewhere, in every table, except defaults. */
async function occupiedPrefixes(): Promise<string[]> {
  const out: string[] = [];
  for (const family of ["-4", "-6"]) {
    const routes = await run("ip", ["-j", family, "route", "show", "table", "all"]);
    const addrs = await run("ip", ["-j", family, "address", "show"]);
    if (routes.code !== 0 || addrs.code !== 0) throw new Error(`cannot read this machine's routes: ${routes.stderr}${addrs.stderr}`);
    for (const r of JSON.parse(routes.stdout || "[]") as { dst?: string }[]) {
      if (r.dst && r.dst !== "default") out.push(r.dst);
    }
    for (const link of JSON.parse(addrs.stdout || "[]") as { addr_info?: { local?: string; prefixlen?: number }[] }[]) {
      for (const a of link.addr_info ?? []) if (a.local) out.push(`${a.local}/${a.prefixlen ?? ""}`.replace(/\/$/, ""));
    }
  }
  return out;
}

/** Process ids with a namespace's network stack; empty when the namespace is gone. */
export function pidsInNamespace(namespace: string): number[] {
  const result = runSync("ip", ["netns", "pids", namespace]);
  if (result.code !== 0) return [];
  return result.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Removes everything createLabNetwork made, whatever state a crash left it in. Synchronous so
 * it also works from an exit handler. Processes still inside the namespaces are killed first:
 * a namespace (and its links) lives on as long as any process is in it.
 */
export function destroyLabNetworkSync(names: LabNetworkNames): void {
  const namespaces = [names.namespaces.host, names.namespaces.client, names.namespaces.switch];
  for (const ns of namespaces) {
    for (const pid of pidsInNamespace(ns)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const ns of namespaces) {
    if (fs.existsSync(`/run/netns/${ns}`)) runSync("ip", ["netns", "delete", ns]);
  }
  const deadline = Date.now() + 5000;
  while (linkExists(names.rootInterface) && Date.now() < deadline) runSync("sleep", ["0.1"]);
  if (linkExists(names.rootInterface)) runSync("ip", ["link", "delete", names.rootInterface]);
}

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}
