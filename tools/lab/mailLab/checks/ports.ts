/**
 * What the internet can reach: a full TCP scan from the scanner finds exactly the baseline's public
 * ports, over IPv4 and over IPv6; SSH answers the admin address (where the lab's SSH comes from)
 * and nobody else.
 */

import { portNumbers, publicInboundPorts, sshPort } from "../../../../baseline/network";
import { families, internetClient, verdict, type Family, type LabCheck } from "./check";
import type { CheckName } from "./checkNames";
import { parseNmapPorts, reachablePorts, type NmapPort } from "./nmapOutput";

function stateOf(ports: readonly NmapPort[], port: number): string {
  return ports.find((x) => x.port === port)?.state ?? "filtered";
}

function portScan(family: Family): LabCheck {
  const expected = portNumbers(publicInboundPorts, "tcp").sort((a, b) => a - b);
  return {
    name: `ports.${family}` as CheckName,
    proves: `a full TCP scan (1-65535) over ${family === "v4" ? "IPv4" : "IPv6"} from the internet finds exactly ${expected.join(", ")} open`,
    async run(lab) {
      const scan = async (portList: string, pace: readonly string[]) => {
        const result = await lab.internet.run("nmap", [
          ...(family === "v6" ? ["-6"] : []),
          "-Pn", "-n", "-sS", "-S", lab.internet.addresses.scanner[family], "-e", "eth0",
          "-p", portList, ...pace,
          lab.host.address[family],
        ], { timeoutMs: 300_000 });
        if (result.code !== 0) throw new Error(`nmap -sS over ${family} failed: ${result.stderr.trim()}`);
        return { stdout: result.stdout, ports: parseNmapPorts(result.stdout) };
      };
      // A local link: answers come within a millisecond, so short timeouts lose nothing and the
      // scan of 65535 ports takes seconds instead of a minute and a half.
      const full = await scan("1-65535", ["--min-rate", "20000", "--max-rtt-timeout", "100ms", "--initial-rtt-timeout", "50ms", "--max-retries", "1"]);
      const { ports } = full;
      const reachable = reachablePorts(ports);
      const problems: string[] = [];
      const extra = reachable.filter((p) => !expected.includes(p));
      if (extra.length > 0) problems.push(`reachable beyond the baseline: ${extra.map((p) => `${p} (${ports.find((x) => x.port === p)?.state})`).join(", ")}`);
      const missedAtSpeed = expected.filter((p) => stateOf(ports, p) !== "open");
      // A scanner short of CPU can miss an answer at that rate; speed cannot invent an open port,
      // so only the missed ones are asked again, at nmap's own pace.
      const rescanned = missedAtSpeed.length > 0 ? (await scan(missedAtSpeed.join(","), [])).ports : [];
      const missed = missedAtSpeed.filter((p) => stateOf(rescanned, p) !== "open");
      if (missed.length > 0) problems.push(`not open: ${missed.map((p) => `${p} (${stateOf(rescanned, p)})`).join(", ")}`);
      const filtered = /Not shown: (\d+) filtered/.exec(full.stdout)?.[1];
      const recovered = missedAtSpeed.filter((p) => !missed.includes(p));
      const open = [...reachable, ...recovered].sort((a, b) => a - b);
      const slower = recovered.length > 0 ? ` (${recovered.join(", ")} answered only a second, slower scan)` : "";
      return verdict(problems, `open: ${open.join(", ")}${slower}; ${filtered ?? "all other"} ports filtered`);
    },
  };
}

export const sshAdminOnly: LabCheck = {
  name: "ssh.admin-only",
  proves: "SSH logs in from the admin address over v4 and v6, and port 22 is closed to an address on the internet",
  async run(lab) {
    const problems: string[] = [];
    const seen: string[] = [];
    for (const family of families) {
      // A real login, as Pulumi's deploy makes it: a bare TCP probe would leave sshd an "error" in its log.
      const login = await lab.host.ssh("true", { family, timeoutMs: 30_000 });
      const admin = login.code === 0 ? "logs in" : `fails (${login.stderr.trim().split("\n").pop() ?? `exit ${login.code}`})`;
      if (login.code !== 0) problems.push(`${family}: SSH from the admin address ${lab.host.runnerAddress[family]} ${admin}`);
      const outside = await internetClient<Record<string, string>>(lab, "connect", { from: lab.internet.addresses.sender, family, options: { ports: [String(sshPort.port)], timeout: 3 } });
      if (outside[String(sshPort.port)] === "open") problems.push(`${family}: ${lab.internet.addresses.sender[family]} on the internet connects to port 22`);
      seen.push(`${family}: admin ${admin}, internet ${outside[String(sshPort.port)]}`);
    }
    return verdict(problems, seen.join("; "));
  },
};

export const portChecks: LabCheck[] = [portScan("v4"), portScan("v6")];
