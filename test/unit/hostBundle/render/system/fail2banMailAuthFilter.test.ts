// fail2ban-regex runs the rendered filter over the same lines in test/system/hostBundle/render/system/fail2banMailAuthFilter.test.ts.
import { describe, expect, it } from "vitest";
import { renderDovecotConf } from "../../../../../hostBundle/render/mail/dovecotConf";
import { fail2banMailAuthFailRegexes, fail2banMailAuthFilterPath, renderFail2banMailAuthFilter } from "../../../../../hostBundle/render/system/fail2banMailAuthFilter";
import { mailAuthLogLines } from "../../../../support/hostBundle/render/system/mailAuthLogLines";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext();
const filter = renderFail2banMailAuthFilter(ctx);

/** A failregex in JavaScript: fail2ban's <HOST> as an IPv4 or IPv6 address (usedns = no). */
function javascriptRegex(failregex: string): RegExp {
  return new RegExp(failregex.replace("<HOST>", String.raw`(?<host>(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)`));
}

describe("the mail-auth filter", () => {
  it("lists its two failregexes, one per log, and nothing for fail2ban's interpolation to expand", () => {
    const failregex = /^failregex = ([^\n]*)\n((?: {12}[^\n]*\n)*)/m.exec(filter);
    const lines = [failregex?.[1], ...(failregex?.[2] ?? "").split("\n").filter(Boolean).map((l) => l.trim())];
    expect(lines).toEqual([...fail2banMailAuthFailRegexes]);
    expect(filter).not.toMatch(/%/);
    expect(filter).toMatch(/^ignoreregex =$/m);
    expect(filter).toMatch(/^datepattern = \{\^LN-BEG\}$/m);
    expect(fail2banMailAuthFilterPath).toBe("/etc/fail2ban/filter.d/penguinmails-mail-auth.local");
  });

  it.each(mailAuthLogLines.map((l) => [l.counts ?? "nothing", l.why, l] as const))("counts %s for %s", (_counts, _why, line) => {
    // fail2ban cuts the timestamp off the line before its failregexes run.
    const hosts = fail2banMailAuthFailRegexes.flatMap((r) => {
      const host = javascriptRegex(r).exec(` ${line.text}`)?.groups?.host;
      return host ? [host] : [];
    });
    expect(hosts).toEqual(line.counts ? [line.counts] : []);
  });
});

describe("Dovecot's log as the filter reads it", () => {
  const dovecot = renderDovecotConf(ctx);

  it("logs every failed password check with the client's address and session, never the password", () => {
    expect(dovecot).toMatch(/^auth_verbose = yes$/m);
    expect(dovecot).toMatch(/^auth_verbose_passwords = no$/m);
    expect(dovecot).not.toMatch(/^auth_debug(_passwords)? = yes$/m);
  });
});
