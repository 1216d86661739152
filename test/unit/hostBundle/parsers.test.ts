// The config-file parsers the policies and the renderer tests share, against the syntax rules of
// each daemon's own documentation.
import { describe, expect, it } from "vitest";
import { dovecotBlockSettings, parseDovecotConf } from "../../../hostBundle/parsers/dovecot";
import { nftablesChains, nftablesPorts } from "../../../hostBundle/parsers/nftables";
import { nginxDirectives } from "../../../hostBundle/parsers/nginx";
import { offeredForbiddenClasses } from "../../../hostBundle/parsers/opensslCipherString";
import { parsePostfixMainCf, parsePostfixMasterCf, postfixEnabledProtocols, postfixList, postfixSmtpdListeners } from "../../../hostBundle/parsers/postfix";

describe("parsePostfixMainCf (postconf(5))", () => {
  it("continues a logical line on lines that start with whitespace, across comment and blank lines", () => {
    const { settings, problems } = parsePostfixMainCf("a = one,\n  two\n# a comment\n   # an indented comment\n\n  three\nb=x\n");
    expect(problems).toEqual([]);
    expect(settings.get("a")).toBe("one, two three");
    expect(settings.get("b")).toBe("x");
  });

  it("keeps the last of two values, as Postfix does, and says so", () => {
    const { settings, problems } = parsePostfixMainCf("a = 1\na = 2\n");
    expect(settings.get("a")).toBe("2");
    expect(problems).toEqual(["line 2: a is set again (Postfix keeps the last value)"]);
  });

  it("names a stray continuation and a line that is no setting", () => {
    expect(parsePostfixMainCf("  orphan\nnot a setting\n").problems).toEqual([
      "line 1: a continuation line with no setting before it",
      'line 2: not a "name = value" setting',
    ]);
  });

  it("expands $name and ${name} references in lists, through main.cf", () => {
    const main = parsePostfixMainCf("x = a, $y\ny = b ${z}\nz = c\n").settings;
    expect(postfixList(main.get("x"), main)).toEqual(["a", "b", "c"]);
    expect(postfixList(main.get("x"))).toEqual(["a", "$y"]);
  });
});

describe("parsePostfixMasterCf (master(5))", () => {
  const text = [
    "smtp      inet  n       -       y       -       -       smtpd",
    "submission inet n       -       y       -       -       smtpd",
    "  -o smtpd_tls_security_level=encrypt",
    "  -osmtpd_sasl_auth_enable=yes",
    "# a comment between continuation lines",
    "  -o smtpd_tls_wrappermode=yes",
    "pickup    unix  n       -       y       60      1       pickup",
  ].join("\n");

  it("reads services with their fields and every -o override, joined or not", () => {
    const { services, problems } = parsePostfixMasterCf(text);
    expect(problems).toEqual([]);
    expect(services.map((s) => [s.name, s.type, s.chroot, s.command])).toEqual([
      ["smtp", "inet", "y", "smtpd"],
      ["submission", "inet", "y", "smtpd"],
      ["pickup", "unix", "y", "pickup"],
    ]);
    expect(Object.fromEntries(services[1]!.overrides)).toEqual({ smtpd_tls_security_level: "encrypt", smtpd_sasl_auth_enable: "yes", smtpd_tls_wrappermode: "yes" });
  });

  it("gives each smtpd listener main.cf's settings under its own overrides", () => {
    const main = new Map([["smtpd_tls_security_level", "may"]]);
    const listeners = postfixSmtpdListeners(main, parsePostfixMasterCf(text).services);
    expect(listeners.map((l) => [l.label, l.settings.get("smtpd_tls_security_level")])).toEqual([
      ["the smtp listener (master.cf)", "may"],
      ["the submission listener (master.cf)", "encrypt"],
    ]);
  });

  it("names a service with too few fields and an override that is not name=value", () => {
    expect(parsePostfixMasterCf("smtp inet n - y smtpd\nx unix - - y - - cleanup\n  -o broken\n").problems).toEqual([
      "line 1: a service needs 8 fields, this one has 6",
      'line 2: x: "-o broken" is not name=value',
    ]);
  });
});

describe("Postfix protocol lists and OpenSSL cipher strings", () => {
  it("read the versions a protocol value enables", () => {
    expect(postfixEnabledProtocols(">=TLSv1.2")).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1")).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols(">=TLSv1")).toEqual(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols("TLSv1.1 TLSv1.2")).toEqual(["TLSv1.1", "TLSv1.2"]);
  });

  it("find the weak classes a cipher string may offer", () => {
    expect(offeredForbiddenClasses("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305", ["aNULL", "eNULL"])).toEqual([]);
    expect(offeredForbiddenClasses("HIGH:!aNULL", ["aNULL", "eNULL"])).toEqual(["eNULL"]);
    expect(offeredForbiddenClasses("HIGH", ["aNULL", "eNULL"], ["aNULL", "eNULL"])).toEqual([]);
    expect(offeredForbiddenClasses("ADH-AES128-SHA:DES-CBC3-SHA:RC4-MD5", ["aNULL", "3DES", "RC4", "MD5"])).toEqual(["aNULL", "3DES", "RC4", "MD5"]);
  });
});

describe("parseDovecotConf", () => {
  const text = "ssl = required\nservice imap-login {\n  inet_listener imaps {\n    port = 993\n    ssl = yes\n  }\n}\n";

  it("reads top-level settings and each block's own, with the block path", () => {
    const conf = parseDovecotConf(text);
    expect(conf.problems).toEqual([]);
    expect(Object.fromEntries(conf.topLevel)).toEqual({ ssl: "required" });
    expect(Object.fromEntries(dovecotBlockSettings(conf, /^inet_listener imaps$/))).toEqual({ port: "993", ssl: "yes" });
    expect(conf.settings.find((s) => s.name === "port")).toMatchObject({ blocks: ["service imap-login", "inet_listener imaps"], line: 4 });
  });

  it("names unbalanced braces and a setting given twice in one block", () => {
    expect(parseDovecotConf("a = 1\na = 2\nx {\n").problems).toEqual(["line 2: a is set twice in the same block", 'the block "x" is never closed']);
    expect(parseDovecotConf("}\n").problems).toEqual(['line 1: "}" closes no block']);
  });
});

describe("nginx and nftables", () => {
  it("finds nginx directives outside comments, with their lines", () => {
    expect(nginxDirectives("server {\n\tlisten 443 ssl; # listen 80;\n\tssl_protocols TLSv1.2 TLSv1.3;\n}\n", "listen")).toEqual([{ line: 2, args: ["443", "ssl"] }]);
  });

  it("finds nftables chains with their hooks and the ports a dport operand names", () => {
    const chains = nftablesChains("table inet t {\n\tchain input {\n\t\ttype filter hook input priority 0; # x\n\t\ttcp dport { 25, 465 } accept\n\t}\n\tchain mine {\n\t}\n}\n");
    expect(chains.map((c) => [c.name, c.hook])).toEqual([["input", "input"], ["mine", undefined]]);
    expect(nftablesPorts("{ 25, 465 }")).toEqual({ ports: [25, 465], invalid: [] });
    expect(nftablesPorts("8000-8002")).toEqual({ ports: [8000, 8001, 8002], invalid: [] });
    expect(nftablesPorts("{ smtp, 70000, 9-1 }")).toEqual({ ports: [], invalid: ["smtp", "70000", "9-1"] });
  });
});
