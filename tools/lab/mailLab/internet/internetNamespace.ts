/**
 * The lab's "internet": the lab host's client namespace with one address per role, and a
 * resolv.conf naming the lab's validating resolver for every program started there.
 *
 * `ip netns exec NS` bind-mounts the files of /etc/netns/NS over /etc, so a program run in the
 * namespace (Postfix, curl, python) resolves through the lab resolver with no option of its own.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { registerExitCleanup } from "../../debianHost/exitCleanup";
import type { AddressPair, LabSubnet } from "../../net/addressPlan";
import { run, runChecked, type RunOptions, type RunResult } from "../../net/run";
import { addedRoles, type InternetAddresses } from "./internetAddresses";

export interface InternetNamespace {
  readonly name: string;
  readonly addresses: InternetAddresses;
  /** Runs a program in the namespace; never rejects on a non-zero exit. */
  run(program: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Removes the resolv.conf directory (the addresses go with the namespace). */
  remove(): void;
}

/** Where `ip netns exec` finds the namespace's own /etc files. */
export function netnsEtcDir(namespace: string): string {
  return path.join("/etc/netns", namespace);
}

export async function prepareInternetNamespace(namespace: string, subnet: LabSubnet, addresses: InternetAddresses): Promise<InternetNamespace> {
  const etcDir = netnsEtcDir(namespace);
  // Also when the process ends without remove() (Ctrl-C during set-up, a crash).
  const unregister = registerExitCleanup(() => fs.rmSync(etcDir, { recursive: true, force: true }));
  const remove = () => {
    fs.rmSync(etcDir, { recursive: true, force: true });
    unregister();
  };
  try {
    for (const role of addedRoles(addresses)) await addAddress(namespace, role, subnet);
    fs.mkdirSync(etcDir, { recursive: true });
    fs.writeFileSync(path.join(etcDir, "resolv.conf"), `# the lab's validating resolver\nnameserver ${addresses.resolver.v4}\nnameserver ${addresses.resolver.v6}\noptions edns0 trust-ad\n`);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    name: namespace,
    addresses,
    run: (program, args, opts) => run("ip", ["netns", "exec", namespace, program, ...args], opts),
    remove,
  };
}

async function addAddress(namespace: string, address: AddressPair, subnet: LabSubnet): Promise<void> {
  await runChecked("ip", ["-n", namespace, "address", "add", `${address.v4}/${subnet.prefixLength.v4}`, "dev", "eth0"]);
  // nodad: the address is ours alone on the lab link, and duplicate detection would cost seconds.
  await runChecked("ip", ["-n", namespace, "address", "add", `${address.v6}/${subnet.prefixLength.v6}`, "dev", "eth0", "nodad"]);
}
