// The disk alert as it runs on the host: the rendered script, in a private mount namespace whose
// mail store, queue and log directories are small tmpfs filesystems this test fills, with a
// sendmail stand-in that records what would be mailed. The unit files pass systemd's own check.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  diskAlertServicePath,
  diskAlertStatePath,
  diskAlertTimerPath,
  renderDiskAlertScript,
  renderDiskAlertService,
  renderDiskAlertTimer,
} from "../../../../../hostBundle/render/system/diskAlert";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { makeTempDir, removeTempDir, run } from "./hostCommands";

const ctx = systemTestContext();
const dir = makeTempDir("pm-disk-alert");
afterAll(() => removeTempDir(dir));

const script = join(dir, "penguinmails-disk-alert");
writeFileSync(script, renderDiskAlertScript(ctx), { mode: 0o755 });
const stateDir = join(dir, "state");
mkdirSync(stateDir);
const mailLog = join(dir, "mails.log");
const sendmail = join(dir, "sendmail");
writeFileSync(sendmail, `#!/bin/bash\n{ printf 'ARGV:'; printf ' [%s]' "$@"; printf '\\n'; cat; printf '\\n--END--\\n'; } >>'${mailLog}'\n`);
chmodSync(sendmail, 0o755);

/** Each watched directory a 10 MB tmpfs filled with `fill` MB; the state directory kept between runs. */
function runAlert(fill: { vmail?: number; spool?: number; log?: number }): { status: number | null; stderr: string; mails: string[] } {
  const before = existsSync(mailLog) ? readFileSync(mailLog, "utf8") : "";
  const mounts = [
    ["/var/vmail", fill.vmail ?? 0],
    ["/var/spool/postfix", fill.spool ?? 0],
    ["/var/log", fill.log ?? 0],
  ] as const;
  const setup = [
    "set -euo pipefail",
    "mount --make-rprivate /",
    // A scratch /var: the host's own stays untouched, and every path the script reads is ours.
    "mount -t tmpfs -o size=64m tmpfs /var",
    "mkdir -p /var/lib/penguinmails",
    `mount --bind '${stateDir}' /var/lib/penguinmails`,
    `mount --bind '${sendmail}' /usr/sbin/sendmail`,
    ...mounts.flatMap(([path, mb]) => [`mkdir -p ${path}`, `mount -t tmpfs -o size=10m tmpfs ${path}`, `head -c ${mb * 1024 * 1024} /dev/zero >${path}/fill`]),
    `'${script}'`,
  ].join("\n");
  const result = run("unshare", ["--mount", "bash", "-c", setup]);
  const after = existsSync(mailLog) ? readFileSync(mailLog, "utf8") : "";
  const mails = after.slice(before.length).split("--END--\n").filter((m) => m.trim() !== "");
  return { status: result.status, stderr: result.stderr, mails };
}

const stateFile = join(stateDir, diskAlertStatePath.split("/").pop()!);

describe("the disk alert script (as root, in a private mount namespace)", () => {
  it("stays quiet while every filesystem is below the warning level", () => {
    const result = runAlert({ vmail: 5, spool: 1, log: 2 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.mails).toEqual([]);
  });

  it("mails the alert address once when the mail store passes 80%, from the tenant domain, with every filesystem's numbers", () => {
    const result = runAlert({ vmail: 8.5 });
    expect(result.status).toBe(0);
    expect(result.mails).toHaveLength(1);
    const [mail] = result.mails;
    expect(mail.split("\n")[0]).toBe("ARGV: [-i] [-f] [disk-alert@tenant-one.example] [--] [ops@tenant-one.example]");
    expect(mail).toMatch(/^Subject: \[disk warning\] mail\.tenant-one\.example: 8[5-7]% used under \/var\/vmail$/m);
    expect(mail).toMatch(/^To: <ops@tenant-one\.example>$/m);
    expect(mail).toMatch(/^\/var\/spool\/postfix: 0% used, 10 MB free/m);
    expect(readFileSync(stateFile, "utf8")).toMatch(/^warning \d+\n$/);
    expect(runAlert({ vmail: 8.5 }).mails, "the same level within a day mails nothing").toEqual([]);
  });

  it("mails again when the level rises to critical, under whichever filesystem is fullest", () => {
    const result = runAlert({ vmail: 8.5, log: 9.5 });
    expect(result.mails).toHaveLength(1);
    expect(result.mails[0]).toMatch(/^Subject: \[disk critical\] mail\.tenant-one\.example: 9[5-7]% used under \/var\/log$/m);
    expect(result.mails[0]).toMatch(/Postfix refuses new mail \(452, senders retry\)/);
  });

  it("reminds once a day while the disk stays full, and resets when it is freed", () => {
    writeFileSync(stateFile, `critical ${Math.floor(Date.now() / 1000) - 2 * 86400}\n`);
    expect(runAlert({ log: 9.5 }).mails).toHaveLength(1);
    expect(runAlert({ log: 1 }).mails).toEqual([]);
    expect(readFileSync(stateFile, "utf8")).toMatch(/^ok \d+\n$/);
    expect(runAlert({ vmail: 8.5 }).mails, "a new rise after the reset is news again").toHaveLength(1);
  });
});

describe("the disk alert's systemd units", () => {
  it("pass systemd-analyze verify with the script in place, and fail it without", () => {
    const unitDir = join(dir, "units");
    mkdirSync(unitDir);
    const service = join(unitDir, diskAlertServicePath.split("/").pop()!);
    const timer = join(unitDir, diskAlertTimerPath.split("/").pop()!);
    writeFileSync(service, renderDiskAlertService(ctx));
    writeFileSync(timer, renderDiskAlertTimer(ctx));
    const verify = `systemd-analyze verify '${service}' '${timer}'`;
    const withScript = run("unshare", ["--mount", "bash", "-c", `mount --make-rprivate / && mount -t tmpfs tmpfs /usr/local/sbin && cp '${script}' /usr/local/sbin/ && ${verify}`]);
    expect(withScript.stderr).toBe("");
    expect(withScript.status).toBe(0);
    const without = run("unshare", ["--mount", "bash", "-c", `mount --make-rprivate / && mount -t tmpfs tmpfs /usr/local/sbin && ${verify}`]);
    expect(without.stderr).toMatch(/penguinmails-disk-alert is not executable/);
  });
});
