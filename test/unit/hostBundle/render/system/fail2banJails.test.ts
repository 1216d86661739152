// fail2ban's own check and dump of the rendered jails are in test/system/hostBundle/render/system/fail2banJails.test.ts.
import { describe, expect, it } from "vitest";
import { fail2ban } from "../../../../../baseline/abuse";
import { publicInboundPorts, sshPort } from "../../../../../baseline/network";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { fail2banBanMailActionName, renderFail2banBanMailAction } from "../../../../../hostBundle/render/system/fail2banBanMailAction";
import { fail2banJailNames, fail2banSender, renderFail2banJails } from "../../../../../hostBundle/render/system/fail2banJails";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

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
