// The booted Debian 12 host (debootstrap, systemd-nspawn, network namespaces; needs root). The
// lab's pure parts are tested in test/unit/lab/debianHost.test.ts.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_EXTRA_PACKAGES, ensureRootfs, startDebianHost, type DebianHost } from "../../../tools/lab/debianHost";
import { remainingTraces, type RunState } from "../../../tools/lab/debianHost/runState";

// A cold rootfs build (debootstrap + the mail packages) took 110 s on a quiet machine and 450 s
// under heavy load, and builds take turns: another test file's build with other packages may come first.
const FIRST_BOOT_TIMEOUT_MS = 30 * 60_000;
const STEP_TIMEOUT_MS = 60_000;

/** Stock Debian packages that cannot start before the apply script configures them. */
const EXPECTED_FAILED_UNITS = [
  // sshd jail reads /var/log/auth.log, which nothing writes without rsyslog.
  "fail2ban.service",
  // "No configuration" leaves no main.cf.
  "postfix@-.service",
];

describe("booted Debian 12 host", () => {
  let host: DebianHost | undefined;
  let state: RunState;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "debianhost-test-"));
  const rootForwarding = fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");

  beforeAll(async () => {
    host = await startDebianHost({ log: (line) => console.log(line) });
    state = JSON.parse(JSON.stringify(host.runState)) as RunState;
    console.log(`timings: ${JSON.stringify(host.timings)}`);
  }, FIRST_BOOT_TIMEOUT_MS);

  afterAll(async () => {
    try {
      await host?.stop();
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }, STEP_TIMEOUT_MS);

  const h = (): DebianHost => {
    if (!host) throw new Error("the host did not start");
    return host;
  };

  it("boots systemd to degraded with exactly the expected failed units", async () => {
    expect(h().boot.state).toBe("degraded");
    expect(h().boot.failedUnits).toEqual(EXPECTED_FAILED_UNITS);
    const now = await h().exec("systemctl is-system-running; systemctl is-active ssh.service nginx.service rspamd.service dovecot.service unbound.service");
    expect(now.stdout.trim().split("\n")).toEqual(["degraded", "active", "active", "active", "active", "active"]);
    expect((await h().exec("cat /proc/1/comm")).stdout.trim()).toBe("systemd");
  });

  it("is the cached rootfs from the default package list, reused rather than rebuilt", async () => {
    const again = await ensureRootfs(DEFAULT_EXTRA_PACKAGES);
    expect(again.buildSeconds).toBe(0);
    expect(again.path).toBe(h().rootfsPath);
    expect((await h().exec("dpkg-query -W -f='${Status}\\n' postfix rspamd python3-systemd | sort -u")).stdout.trim()).toBe("install ok installed");
    expect(fs.existsSync(path.join(h().rootfsPath, "usr/sbin/policy-rc.d"))).toBe(false);
  });

  it("starts from a droplet's resolv.conf, whose resolvers are out of reach, with a droplet's dhclient-script", async () => {
    expect((await h().exec("cat /etc/resolv.conf")).stdout).toBe("nameserver 67.207.67.2\nnameserver 67.207.67.3\n");
    expect((await h().exec("getent hosts deb.debian.org; echo rc=$?")).stdout.trim()).toBe("rc=2");
    expect((await h().exec("test -x /sbin/dhclient-script && echo present")).stdout.trim()).toBe("present");
  });

  it("accepts the run's key over real SSH for root and for admin, who has passwordless sudo", async () => {
    const root = await h().ssh("id -un; echo $SSH_CONNECTION", { user: "root" });
    expect(root.code).toBe(0);
    const [user, connection] = root.stdout.trim().split("\n");
    expect(user).toBe("root");
    expect(connection?.split(" ")).toEqual([h().runnerAddress.v4, expect.any(String), h().address.v4, "22"]);

    const admin = await h().ssh("id -un; sudo -n id -u", { family: "v6" });
    expect(admin).toMatchObject({ code: 0, stdout: "admin\n0\n" });

    expect(h().connection()).toEqual({
      host: h().address.v4,
      port: 22,
      user: "admin",
      privateKey: expect.stringMatching(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/),
    });
  });

  it("refuses password login and keys it does not know", async () => {
    const base = ["-F", "/dev/null", "-o", `UserKnownHostsFile=${h().knownHostsPath}`, "-o", `BindInterface=${h().rootInterface}`, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];
    const password = spawnSync(
      "ssh",
      [...base, "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive", `admin@${h().address.v4}`, "true"],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(password.status).toBe(255);
    // The server lists the methods it would accept: publickey only.
    expect(password.stderr).toContain("Permission denied (publickey).");

    const otherKey = path.join(scratch, "other_ed25519");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const stranger = spawnSync("ssh", [...base, "-i", otherKey, "-o", "IdentitiesOnly=yes", `root@${h().address.v4}`, "true"], { encoding: "utf8", timeout: 30_000 });
    expect(stranger.status).toBe(255);
    expect(stranger.stderr).toContain("Permission denied (publickey).");
  });

  it("gives the host's services CAP_NET_ADMIN for nftables, as a droplet's root has", async () => {
    const nft = await h().ssh("sudo nft add table inet labcheck && sudo nft list tables");
    expect(nft).toMatchObject({ code: 0, stdout: expect.stringContaining("table inet labcheck") });
  });

  it("copies files and directories over SSH into place", async () => {
    const bundle = path.join(scratch, "bundle");
    fs.mkdirSync(path.join(bundle, "etc"), { recursive: true });
    fs.writeFileSync(path.join(bundle, "etc", "main.cf"), "myhostname = mail.lab.example\n");
    fs.writeFileSync(path.join(scratch, "apply.sh"), "#!/bin/sh\necho applied\n", { mode: 0o755 });
    await h().copyTo(bundle, "/tmp/bundle");
    await h().copyTo(path.join(scratch, "apply.sh"), "/tmp/apply.sh");
    const result = await h().ssh("cat /tmp/bundle/etc/main.cf && /tmp/apply.sh && stat -c %U /tmp/apply.sh");
    expect(result).toMatchObject({ code: 0, stdout: "myhostname = mail.lab.example\napplied\nadmin\n" });
    await expect(h().copyTo(path.join(scratch, "missing"), "/tmp/x")).rejects.toThrow(/does not exist/);
  });

  it("keeps the cached rootfs pristine while the host writes", async () => {
    expect((await h().ssh("sudo touch /etc/written-by-test && echo ok")).stdout).toBe("ok\n");
    expect(fs.existsSync(path.join(h().rootDir, "etc/written-by-test"))).toBe(true);
    expect(fs.existsSync(path.join(h().rootfsPath, "etc/written-by-test"))).toBe(false);
    expect(fs.readFileSync(path.join(h().rootfsPath, "etc/machine-id"), "utf8")).toBe("");
  });

  it("lets the client namespace reach the host's sshd on both address families", async () => {
    for (const address of [h().address.v4, h().address.v6]) {
      const banner = await h().clientExec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${address}/22; head -c 8 <&3'`);
      expect(banner).toMatchObject({ code: 0, stdout: "SSH-2.0-" });
    }
    const source = await h().clientExec(`ip -br address show dev eth0`);
    expect(source.stdout).toContain(`${h().clientAddress.v4}/27`);
  });

  it("has no way out of the lab: no default route, no forwarding, outside addresses unroutable", async () => {
    // `ip route get` only consults the routing table; it sends nothing.
    const outside = ["9.9.9.9", "192.0.2.1", "2620:fe::fe", "fd00::1"];
    for (const run of [(c: string) => h().exec(c), (c: string) => h().clientExec(c)]) {
      const routes = await run("ip -4 route show default; ip -6 route show default; cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding");
      expect(routes.stdout).toBe("0\n0\n");
      for (const address of outside) {
        const lookup = await run(`ip route get ${address}`);
        expect(lookup.code, `${address} must be unroutable`).not.toBe(0);
        expect(lookup.stderr).toMatch(/unreachable/i);
      }
    }
    expect(fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8")).toBe(rootForwarding);
    // This side reaches the lab through its own link only, and only the lab's prefixes go there.
    const prefixes = ["-4", "-6"]
      .flatMap((family) => JSON.parse(spawnSync("ip", ["-j", family, "route", "show", "dev", h().rootInterface], { encoding: "utf8" }).stdout) as { dst: string }[])
      .map((r) => r.dst)
      .filter((d) => !d.startsWith("fe80:"));
    expect(prefixes.sort()).toEqual([h().subnet.cidr.v4, h().subnet.cidr.v6].sort());
    expect(fs.readFileSync(`/proc/sys/net/ipv6/conf/${h().rootInterface}/accept_ra`, "utf8")).toBe("0\n");
  });

  it("leaves no namespace, link, cgroup, mount, process or file behind after stop()", async () => {
    const netnsInodes = Object.values(h().namespaces).map((ns) => fs.statSync(`/run/netns/${ns}`).ino);
    expect(remainingTraces(state)).not.toEqual([]);
    await h().stop();

    expect(remainingTraces(state)).toEqual([]);
    const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    for (const ns of Object.values(state.network.namespaces)) expect(namespaces).not.toContain(ns);
    expect(fs.existsSync(`/sys/class/net/${state.network.rootInterface}`)).toBe(false);
    expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(state.runDir);
    expect(fs.existsSync(state.runDir)).toBe(false);
    expect(processesInNetns(netnsInodes)).toEqual([]);
    expect(processesMentioning(state.runDir)).toEqual([]);
    await expect(h().ssh("true")).rejects.toThrow(/was stopped/);
  }, STEP_TIMEOUT_MS);
});

function processesInNetns(inodes: number[]): number[] {
  const wanted = new Set(inodes.map((i) => `net:[${i}]`));
  return pids().filter((pid) => {
    try {
      return wanted.has(fs.readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      return false;
    }
  });
}

function processesMentioning(text: string): number[] {
  return pids().filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
    } catch {
      return false;
    }
  });
}

function pids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}
