import { afterAll, describe, expect, it } from "vitest";
import { fail2ban } from "../../../../baseline/abuse";
import { publicInboundPorts, sshPort } from "../../../../baseline/network";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { fail2banBanMailActionName, renderFail2banBanMailAction } from "../../../../hostBundle/render/system/fail2banBanMailAction";
import { fail2banJailNames, fail2banJailPath, fail2banSender, renderFail2banJails } from "../../../../hostBundle/render/system/fail2banJails";
import { renderSystemFiles } from "../../../../hostBundle/render/system";
import { fail2banConfigTest, fail2banDump, writeFail2banConfig } from "./fail2banHarness";
import { makeTempDir, removeTempDir } from "./hostCommands";
import { systemTestContext } from "./systemRenderFixture";

/** `key = value` lines of one `[section]` of an INI text (continuation lines ignored). */
function section(text: string, name: string): Record<string, string> {
  const body = new RegExp(`^\\[${name}\\]\\n([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, "m").exec(text)?.[1] ?? "";
  return Object.fromEntries(
    body.split("\n").flatMap((line) => {
      const m = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
      return m?.[1] ? [[m[1], m[2] ?? ""]] : [];
    }),
  );
}

const ctx = systemTestContext({ alertEmail: "alerts@ops.tenant-one.example" });
const jails = renderFail2banJails(ctx);
const fail2banFiles = renderSystemFiles(ctx).filter((f) => f.service === "fail2ban");
const dir = makeTempDir("pm-f2b-check");
afterAll(() => removeTempDir(dir));

describe("renderFail2banJails", () => {
  it("enables exactly sshd, postfix, dovecot and recidive", () => {
    const enabled = [...jails.matchAll(/^\[([a-z-]+)\]\nenabled = true$/gm)].map((m) => m[1]);
    expect(enabled).toEqual([...fail2banJailNames]);
  });

  it("bans after the baseline's failures within its window, and repeat offenders for a day", () => {
    for (const jail of ["sshd", "postfix", "dovecot"]) {
      expect(section(jails, jail)).toMatchObject({
        maxretry: String(fail2ban.maxRetry),
        findtime: String(fail2ban.findTimeSeconds),
        bantime: String(fail2ban.banTimeSeconds),
      });
    }
    expect(section(jails, "recidive")).toMatchObject({
      maxretry: String(fail2ban.recidiveMaxRetry),
      findtime: String(fail2ban.recidiveFindTimeSeconds),
      bantime: String(fail2ban.recidiveBanTimeSeconds),
      banaction: "%(banaction_allports)s",
    });
  });

  it("bans through nftables and mails each ban to the tenant's alert address", () => {
    const defaults = section(jails, "DEFAULT");
    expect(defaults).toMatchObject({
      banaction: "nftables-multiport",
      banaction_allports: "nftables-allports",
      destemail: "alerts@ops.tenant-one.example",
      sender: fail2banSender("tenant-one.example"),
      ignoreip: "127.0.0.1/8 ::1",
    });
    expect(jails).toMatch(new RegExp(`^action = %\\(action_\\)s\\n\\s+${fail2banBanMailActionName}\\[dest="%\\(destemail\\)s", sender="%\\(sender\\)s"\\]$`, "m"));
  });

  it("reads each jail from a source that receives lines on Debian 12", () => {
    expect(section(jails, "sshd")).toMatchObject({ backend: "systemd" });
    expect(section(jails, "sshd").logpath).toBeUndefined();
    expect(section(jails, "postfix")).toMatchObject({ logpath: hostLayout.postfixLog, backend: "polling", filter: "postfix[mode=auth]" });
    expect(section(jails, "dovecot")).toMatchObject({ logpath: hostLayout.dovecotLog, backend: "polling" });
    expect(section(jails, "recidive")).toMatchObject({ logpath: hostLayout.fail2banLog, backend: "polling" });
  });

  it("bans SSH offenders from the SSH port and mail offenders from every public port", () => {
    expect(section(jails, "sshd").port).toBe(String(sshPort.port));
    const publicPorts = publicInboundPorts.map((r) => r.port).join(",");
    expect(section(jails, "postfix").port).toBe(publicPorts);
    expect(section(jails, "dovecot").port).toBe(publicPorts);
  });
});

describe("the ban mail action", () => {
  const action = renderFail2banBanMailAction(ctx);

  it("sends with the local sendmail, runs no whois lookup and mails nothing on start or stop", () => {
    expect(action).toMatch(/^before = sendmail-common\.conf$/m);
    expect(action).toMatch(/\| <mailcmd>$/m);
    expect(action).not.toMatch(/whois/);
    expect(section(action, "Definition")).toMatchObject({ actionstart: "", actionstop: "", norestored: "1" });
  });

  it("prints the attacker-controlled log lines with %s, never as a printf format or %b argument", () => {
    expect(action).toContain(`printf '%%s\\n' "<matches>"`);
    expect(action.split("\n").filter((l) => l.includes("<matches>") && !l.startsWith("#"))).toHaveLength(1);
  });
});

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

  it("starts exactly our four jails, overriding Debian's defaults-debian.conf", () => {
    expect(commands.filter((c) => c[0] === "start").map((c) => c[1])).toEqual([...fail2banJailNames]);
    expect(has("add", "sshd", "systemd")).toBe(true);
    expect(has("add", "postfix", "polling")).toBe(true);
    expect(has("add", "dovecot", "polling")).toBe(true);
    expect(has("add", "recidive", "polling")).toBe(true);
  });

  it("gives the server the baseline's numbers and our log files", () => {
    for (const jail of ["sshd", "postfix", "dovecot"]) {
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
    expect(has("set", "postfix", "addlogpath", hostLayout.postfixLog, "head")).toBe(true);
    expect(has("set", "dovecot", "addlogpath", hostLayout.dovecotLog, "head")).toBe(true);
    expect(has("set", "recidive", "addlogpath", hostLayout.fail2banLog, "head")).toBe(true);
    expect(has("set", "logtarget", hostLayout.fail2banLog)).toBe(true);
  });

  it("wires the mail action into every jail, addressed to the tenant and sent by sendmail", () => {
    for (const jail of fail2banJailNames) {
      const action = commands.find((c) => c[0] === "multi-set" && c[1] === jail && c[3] === fail2banBanMailActionName);
      const options = Object.fromEntries((action?.[4] as [string, unknown][] | undefined) ?? []);
      expect(options).toMatchObject({
        dest: "alerts@ops.tenant-one.example",
        sender: fail2banSender("tenant-one.example"),
        mailcmd: '/usr/sbin/sendmail -f "<sender>" "<dest>"',
        actionstart: "",
        norestored: true,
      });
    }
  });

  it("uses the postfix filter's SASL AUTH failure regex (mode auth), not the journal match alone", () => {
    const failregex = commands.find((c) => c[0] === "multi-set" && c[1] === "postfix" && c[2] === "addfailregex") ?? commands.find((c) => c[0] === "set" && c[1] === "postfix" && c[2] === "addfailregex");
    expect(JSON.stringify(failregex)).toContain("SASL");
    expect(JSON.stringify(failregex)).toContain("authentication failed");
  });
});
