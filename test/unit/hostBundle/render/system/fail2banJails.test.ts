// fail2ban's own check and dump of the rendered jails are in test/system/hostBundle/render/system/fail2banJails.test.ts.
import { describe, expect, it } from "vitest";
import { fail2ban } from "../../../../../baseline/abuse";
import { publicInboundPorts, sshPort } from "../../../../../baseline/network";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { fail2banActionValueProblem, fail2banBanMailActionName, renderFail2banBanMailAction } from "../../../../../hostBundle/render/system/fail2banBanMailAction";
import { fail2banJailNames, fail2banSender, renderFail2banJails } from "../../../../../hostBundle/render/system/fail2banJails";
import { fail2banMailAuthFilterName } from "../../../../../hostBundle/render/system/fail2banMailAuthFilter";
import type { HostRenderContext } from "../../../../../hostBundle/renderContext";
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
  it("enables exactly sshd, mail-auth and recidive, and no packaged postfix or dovecot jail", () => {
    const enabled = [...jails.matchAll(/^\[([a-z-]+)\]\nenabled = true$/gm)].map((m) => m[1]);
    expect(enabled).toEqual([...fail2banJailNames]);
    expect([...jails.matchAll(/^\[([A-Za-z-]+)\]$/gm)].map((m) => m[1])).toEqual(["DEFAULT", ...fail2banJailNames]);
  });

  it("bans after the baseline's failures within its window, and repeat offenders for a day", () => {
    for (const jail of ["sshd", "mail-auth"]) {
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
    expect(section(jails, "mail-auth")).toMatchObject({ logpath: hostLayout.postfixLog, backend: "polling", filter: fail2banMailAuthFilterName });
    // One jail, both logs: SMTP AUTH failures from Postfix's, IMAP failures from Dovecot's.
    expect(jails).toContain(`logpath = ${hostLayout.postfixLog}\n          ${hostLayout.dovecotLog}\n`);
    expect(section(jails, "recidive")).toMatchObject({ logpath: hostLayout.fail2banLog, backend: "polling" });
  });

  it("bans SSH offenders from the SSH port and mail offenders from every public port", () => {
    expect(section(jails, "sshd").port).toBe(String(sshPort.port));
    const publicPorts = publicInboundPorts.map((r) => r.port).join(",");
    expect(section(jails, "mail-auth").port).toBe(publicPorts);
  });
});

describe("the ban mail action", () => {
  const action = renderFail2banBanMailAction(ctx);
  const actionban = /^actionban = [\s\S]*?(?=^\S)/m.exec(action)?.[0] ?? "";

  it("sends with the local sendmail, runs no whois lookup and mails nothing on start or stop", () => {
    expect(actionban).toMatch(/\| \/usr\/sbin\/sendmail -i -f '<sender>' -- '<dest>'\n$/);
    expect(action).not.toMatch(/whois/);
    expect(section(action, "Definition")).toMatchObject({ actionstart: "", actionstop: "", norestored: "1" });
  });

  it("includes no sendmail-common.conf, whose <mailcmd> pastes <sender> and <dest> unquoted", () => {
    const settings = action.split("\n").filter((l) => !l.startsWith("#")).join("\n");
    expect(settings).not.toMatch(/^before\s*=/m);
    expect(settings).not.toMatch(/^\[INCLUDES\]/m);
    expect(settings).not.toContain("<mailcmd>");
    expect(settings).not.toContain("<sendername>");
  });

  it("single-quotes every static tag and double-quotes every ticket value, each a %s argument of printf", () => {
    const tags = [...actionban.matchAll(/(.)<([a-z-]+)>(.)/g)].map(([, before, tag, after]) => ({ tag, quoted: `${before}${after}` }));
    for (const { tag, quoted } of tags) {
      const ticketValue = ["ip", "bantime", "failures", "matches"].includes(tag ?? "");
      expect(quoted, tag).toBe(ticketValue ? '""' : "''");
    }
    expect(new Set(tags.map((t) => t.tag))).toEqual(new Set(["name", "ip", "fq-hostname", "sender", "dest", "bantime", "failures", "matches"]));
    // printf's formats are literal single-quoted text: no tag is ever part of one.
    for (const format of actionban.matchAll(/printf '([^']*)'/g)) expect(format[1]).not.toMatch(/<[a-z-]+>/);
    expect(actionban).not.toMatch(/%b/);
  });

  it("refuses a value the action cannot quote, and quotes any other literally", () => {
    for (const bad of ["a'b@x.example", 'a"b@x.example', "a%b@x.example", "a\\b@x.example", "a b@x.example", "a\nb@x.example", ""]) {
      expect(fail2banActionValueProblem(bad), JSON.stringify(bad)).toBeDefined();
    }
    expect(fail2banActionValueProblem("`touch$IFS/tmp/pwned`$(id)@tenant.example")).toBeUndefined();
    const hostile: HostRenderContext = { ...ctx, config: { ...ctx.config, alertEmail: "x'$(id)'@tenant.example" } };
    expect(() => renderFail2banJails(hostile)).toThrow(/destemail .* has "'"/);
  });
});
