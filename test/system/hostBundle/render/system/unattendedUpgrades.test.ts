// apt's own parser (apt-config dump) and unattended-upgrade's dry run with the rendered files. Where
// the files go is tested in test/unit/hostBundle/render/system/unattendedUpgrades.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import {
  debianSecurityOriginPatterns,
  unattendedUpgradesPath,
  unattendedUpgradesSender,
} from "../../../../../hostBundle/render/system/unattendedUpgrades";
import { makeTempDir, removeTempDir, run } from "./hostCommands";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const files = renderSystemFiles(ctx).filter((f) => f.service === "unattended-upgrades");
const dir = makeTempDir("pm-apt");
afterAll(() => removeTempDir(dir));

/**
 * An apt configuration that reads only Debian's 50unattended-upgrades and our files, in name order
 * as on the host; its dpkg state and logs live in the temporary directory.
 */
function aptConfig(parts: readonly { path: string; content: string }[]): string {
  const root = mkdtempSync(join(dir, "conf-"));
  const partsDir = join(root, "apt.conf.d");
  mkdirSync(partsDir);
  copyFileSync("/etc/apt/apt.conf.d/50unattended-upgrades", join(partsDir, "50unattended-upgrades"));
  for (const part of parts) writeFileSync(join(partsDir, basename(part.path)), part.content);
  for (const sub of ["dpkg/updates", "dpkg/info", "cache", "log"]) mkdirSync(join(root, sub), { recursive: true });
  writeFileSync(join(root, "dpkg/status"), "");
  const file = join(root, "apt.conf");
  writeFileSync(file, [
    'Dir::Etc::main "/dev/null";',
    `Dir::Etc::parts "${partsDir}";`,
    `Dir::State::status "${root}/dpkg/status";`,
    `Dir::Cache "${root}/cache";`,
    `Unattended-Upgrade::LogDir "${root}/log";`,
    "",
  ].join("\n"));
  return file;
}

/** `apt-config dump` under that configuration: apt's own parser reads our files. */
function aptConfigDump(configFile: string) {
  const result = run("apt-config", ["dump"], { env: { ...process.env, APT_CONFIG: configFile } });
  const values = new Map<string, string[]>();
  for (const line of result.stdout.split("\n")) {
    const m = /^(\S+) "(.*)";$/.exec(line);
    if (!m?.[1]) continue;
    const key = m[1].replace(/::$/, "");
    values.set(key, [...(values.get(key) ?? []), m[2] ?? ""]);
  }
  return { status: result.status, stderr: result.stderr, ms: result.ms, get: (key: string) => values.get(key)?.filter((v) => v !== "") ?? [] };
}

describe("unattended-upgrades configuration, as apt reads it", () => {
  const dump = aptConfigDump(aptConfig(files));

  it("parses without an error", () => {
    console.info(`apt-config dump: ${dump.ms.toFixed(0)} ms`);
    expect(dump.stderr).toBe("");
    expect(dump.status).toBe(0);
  });

  it("updates the lists and runs unattended-upgrade daily", () => {
    expect(dump.get("APT::Periodic::Update-Package-Lists")).toEqual(["1"]);
    expect(dump.get("APT::Periodic::Unattended-Upgrade")).toEqual(["1"]);
  });

  it("takes Debian's security origins only, replacing Debian's own list", () => {
    expect(dump.get("Unattended-Upgrade::Origins-Pattern")).toEqual([...debianSecurityOriginPatterns]);
  });

  it("never reboots by itself and mails the tenant's alert address on errors", () => {
    expect(dump.get("Unattended-Upgrade::Automatic-Reboot")).toEqual(["false"]);
    expect(dump.get("Unattended-Upgrade::Mail")).toEqual(["alerts@ops.tenant-one.example"]);
    expect(dump.get("Unattended-Upgrade::MailReport")).toEqual(["only-on-error"]);
    expect(dump.get("Unattended-Upgrade::Sender")).toEqual([unattendedUpgradesSender("tenant-one.example")]);
  });

  it("keeps replaced config files on upgrade, so no security update waits for a prompt", () => {
    expect(dump.get("DPkg::Options")).toEqual(["--force-confdef", "--force-confold"]);
  });

  it("apt-config rejects a broken file (the check is not a no-op)", () => {
    const broken = files.map((f) => (f.path === unattendedUpgradesPath ? { ...f, content: f.content.replace('"false";', '"false"') } : f));
    const result = aptConfigDump(aptConfig(broken));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Syntax error/);
  });
});

describe("unattended-upgrade 2.9 with our configuration", () => {
  it("allows exactly the security origins of the running release (dry run)", async () => {
    const configFile = aptConfig(files);
    // A dry run takes over a minute to evaluate every package; its origin list comes first, then it is stopped.
    const child = spawn("unattended-upgrade", ["--dry-run", "--debug"], { env: { ...process.env, APT_CONFIG: configFile }, stdio: ["ignore", "pipe", "pipe"] });
    const start = performance.now();
    const origins = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`no origin list after 20 s:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split("\n").find((l) => l.startsWith("Allowed origins are: "));
        if (line !== undefined && output.includes(`${line}\n`)) {
          clearTimeout(timer);
          resolve(line.slice("Allowed origins are: ".length));
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => reject(new Error(`unattended-upgrade exited ${code} early:\n${output}`)));
    }).finally(async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    });
    console.info(`unattended-upgrade --dry-run: origin list after ${(performance.now() - start).toFixed(0)} ms`);
    const codename = run("sh", ["-c", ". /etc/os-release && echo $VERSION_CODENAME"]).stdout.trim();
    expect(origins.split(", ")).toEqual(debianSecurityOriginPatterns.map((p) => p.replace("${distro_codename}", codename)));
  }, 30_000);
});
