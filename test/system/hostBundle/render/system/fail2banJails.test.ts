// The rendered jails under fail2ban's own checker (-t) and dump (-d), with Debian's /etc/fail2ban.
// The text assertions are in test/unit/hostBundle/render/system/fail2banJails.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { fail2ban } from "../../../../../baseline/abuse";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { fail2banBanMailActionName } from "../../../../../hostBundle/render/system/fail2banBanMailAction";
import { fail2banJailNames, fail2banJailPath, fail2banSender } from "../../../../../hostBundle/render/system/fail2banJails";
import { fail2banMailAuthFailRegexes } from "../../../../../hostBundle/render/system/fail2banMailAuthFilter";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { fail2banConfigTest, fail2banDump, writeFail2banConfig } from "./fail2banHarness";
import { makeTempDir, removeTempDir } from "./hostCommands";

const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const fail2banFiles = renderSystemFiles(ctx).filter((f) => f.service === "fail2ban");
const dir = makeTempDir("pm-f2b-check");
afterAll(() => removeTempDir(dir));

describe("fail2ban 1.0.2 with Debian's configuration and ours", () => {
  const configDir = writeFail2banConfig(dir, fail2banFiles);

  it("passes fail2ban-client -t without a single warning", () => {
    const check = fail2banConfigTest(configDir);
    console.info(`fail2ban-client -t: ${check.ms.toFixed(0)} ms`);
    expect(check.output).not.toMatch(/WARNING|ERROR/);
    expect(check.ok).toBe(true);
  });

  it("the check fails on a value fail2ban only warns about (the checker catches a bad maxretry)", () => {
    const badDir = writeFail2banConfig(makeTempDir("pm-f2b-bad"), fail2banFiles.map((f) =>
      f.path === fail2banJailPath ? { ...f, content: f.content.replace(`maxretry = ${fail2ban.maxRetry}`, "maxretry = five") } : f,
    ));
    const check = fail2banConfigTest(badDir);
    expect(check.output).toMatch(/WARNING/);
    expect(check.ok).toBe(false);
    removeTempDir(badDir.replace(/\/fail2ban$/, ""));
  });

  const commands = fail2banDump(configDir);
  const has = (...command: unknown[]) => commands.some((c) => JSON.stringify(c) === JSON.stringify(command));

  it("starts exactly our three jails, overriding Debian's defaults-debian.conf; no packaged postfix or dovecot jail", () => {
    expect(commands.filter((c) => c[0] === "start").map((c) => c[1]).sort()).toEqual([...fail2banJailNames].sort());
    expect(has("add", "sshd", "systemd")).toBe(true);
    expect(has("add", "mail-auth", "polling")).toBe(true);
    expect(has("add", "recidive", "polling")).toBe(true);
    expect(commands.filter((c) => c[0] === "add").map((c) => c[1]).sort()).toEqual([...fail2banJailNames].sort());
  });

  it("gives the server the baseline's numbers and our log files", () => {
    for (const jail of ["sshd", "mail-auth"]) {
      expect(has("set", jail, "maxretry", fail2ban.maxRetry)).toBe(true);
      expect(has("set", jail, "findtime", String(fail2ban.findTimeSeconds))).toBe(true);
      expect(has("set", jail, "bantime", String(fail2ban.banTimeSeconds))).toBe(true);
      expect(has("set", jail, "addignoreip", "127.0.0.1/8", "::1")).toBe(true);
      expect(has("set", jail, "addaction", "nftables-multiport")).toBe(true);
    }
    expect(has("set", "recidive", "maxretry", fail2ban.recidiveMaxRetry)).toBe(true);
    expect(has("set", "recidive", "findtime", String(fail2ban.recidiveFindTimeSeconds))).toBe(true);
    expect(has("set", "recidive", "bantime", String(fail2ban.recidiveBanTimeSeconds))).toBe(true);
    expect(has("set", "recidive", "addaction", "nftables-allports")).toBe(true);
    expect(has("set", "mail-auth", "addlogpath", hostLayout.postfixLog, "head")).toBe(true);
    expect(has("set", "mail-auth", "addlogpath", hostLayout.dovecotLog, "head")).toBe(true);
    expect(has("set", "recidive", "addlogpath", hostLayout.fail2banLog, "head")).toBe(true);
    expect(has("set", "logtarget", hostLayout.fail2banLog)).toBe(true);
  });

  it("wires the mail action into every jail, addressed to the tenant, quoted, and sent by sendmail", () => {
    for (const jail of fail2banJailNames) {
      const action = commands.find((c) => c[0] === "multi-set" && c[1] === jail && c[3] === fail2banBanMailActionName);
      const options = Object.fromEntries((action?.[4] as [string, unknown][] | undefined) ?? []);
      expect(options).toMatchObject({ dest: "alerts@ops.tenant-one.example", sender: fail2banSender("tenant-one.example"), actionstart: "", norestored: true });
      // sendmail-common.conf is not included: no <mailcmd>, and the values arrive single-quoted.
      expect(options.mailcmd).toBeUndefined();
      expect(options.actionban).toMatch(new RegExp(`\\| /usr/sbin/sendmail -i -f '${fail2banSender("tenant-one.example")}' -- 'alerts@ops\\.tenant-one\\.example'$`));
    }
  });

  it("gives the mail-auth jail the rendered filter's two failregexes, as written", () => {
    const failregex = commands.find((c) => c[0] === "multi-set" && c[1] === "mail-auth" && c[2] === "addfailregex");
    expect(failregex?.[3]).toEqual([...fail2banMailAuthFailRegexes]);
    expect(has("set", "mail-auth", "datepattern", "{^LN-BEG}")).toBe(true);
  });
});
