/**
 * The rendered mail-auth filter under fail2ban's own regex engine (fail2ban-regex 1.0.2), over the
 * lines Postfix and Dovecot wrote in the brute-force lab: each failed password check counts once,
 * for the right address, and nothing else counts. The packaged filters the jail replaces are run
 * over the same lines to show what they get wrong. The JavaScript check of the same lines is in
 * test/unit/hostBundle/render/system/fail2banMailAuthFilter.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSystemFiles } from "../../../../../hostBundle/render/system";
import { mailAuthLogLines } from "../../../../support/hostBundle/render/system/mailAuthLogLines";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";
import { writeFail2banConfig } from "./fail2banHarness";
import { makeTempDir, removeTempDir, runOk } from "./hostCommands";

const dir = makeTempDir("pm-f2b-regex");
afterAll(() => removeTempDir(dir));
const configDir = writeFail2banConfig(dir, renderSystemFiles(systemTestContext()).filter((f) => f.service === "fail2ban"));

/** The lines with a current timestamp, as the daemons would write them now. */
const now = new Date();
const pad = (n: number) => String(n).padStart(2, "0");
const stamp = `${now.toLocaleString("en-US", { month: "short" })} ${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
const logFile = join(dir, "mail-and-dovecot.log");
writeFileSync(logFile, mailAuthLogLines.map((l) => `${stamp} ${l.text}\n`).join(""));

/** Address -> matched line text (timestamp cut), one entry per match, as fail2ban-regex reports them. */
function matches(filter: string): { address: string; text: string }[] {
  const out = runOk("fail2ban-regex", ["-c", configDir, "--out", "<ip>\t<msg>", logFile, filter]).stdout;
  return out.split("\n").filter(Boolean).map((line) => {
    const [address = "", message = ""] = line.split("\t");
    return { address, text: message.slice(stamp.length + 1) };
  });
}

describe("fail2ban-regex with the rendered penguinmails-mail-auth filter", () => {
  let found: { address: string; text: string }[] = [];
  beforeAll(() => {
    found = matches("penguinmails-mail-auth");
  });

  it.each(mailAuthLogLines.map((l) => [l.counts ?? "nothing", l.why, l] as const))("counts %s for %s", (_counts, _why, line) => {
    expect(found.filter((m) => m.text === line.text).map((m) => m.address)).toEqual(line.counts ? [line.counts] : []);
  });

  it("matches nothing beyond those lines", () => {
    expect(found).toHaveLength(mailAuthLogLines.filter((l) => l.counts).length);
  });
});

describe("the packaged filters the mail-auth jail replaces, over the same lines", () => {
  const line = (fragment: string) => mailAuthLogLines.find((l) => l.text.includes(fragment))?.text ?? "";

  it("postfix[mode=auth] misses the AUTH that Dovecot's penalty delayed past Postfix's SASL timeout", () => {
    const texts = matches("postfix[mode=auth]").map((m) => m.text);
    expect(texts).not.toContain(line("Connection lost to authentication server"));
  });

  it("dovecot[mode=normal] counts SMTP AUTH a second time and IMAP per connection", () => {
    const texts = matches("dovecot[mode=normal]").map((m) => m.text);
    expect(texts).toContain(line("passwd-file(alice@tenant-one.example,198.51.100.7): Password mismatch"));
    expect(texts).toContain(line("auth failed, 4 attempts"));
  });
});
