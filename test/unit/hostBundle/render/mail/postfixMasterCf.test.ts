import { describe, expect, it } from "vitest";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderPostfixMainCf, submissionCleanupService } from "../../../../../hostBundle/render/mail/postfixMainCf";
import { renderPostfixMasterCf } from "../../../../../hostBundle/render/mail/postfixMasterCf";
import { originatingDaemonName, renderRspamdPolicyLua } from "../../../../../hostBundle/render/mail/rspamd/rspamdPolicyLua";
import { parsePostfixMainCf, parsePostfixMasterCf, postfixList, type PostfixService } from "../../../../../hostBundle/parsers/postfix";
import { mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const ctx = mailTestContext();
const master = parsePostfixMasterCf(renderPostfixMasterCf(ctx));
const services = master.services;
const mainCf = parsePostfixMainCf(renderPostfixMainCf(ctx)).settings;

function inetService(name: string): PostfixService {
  const matches = services.filter((s) => s.name === name && s.type === "inet");
  expect(matches, name).toHaveLength(1);
  return matches[0] as PostfixService;
}

/** An override's value with `$name` references to main.cf resolved, as Postfix resolves them. */
function effective(service: PostfixService, name: string): string | undefined {
  const value = service.overrides.has(name) ? service.overrides.get(name) : mainCf.get(name);
  const reference = /^\$([a-z0-9_]+)$/.exec(value ?? "");
  return reference ? mainCf.get(reference[1] as string) : value;
}

describe("renderPostfixMasterCf", () => {
  it("is master.cf Postfix reads without a problem", () => {
    expect(master.problems).toEqual([]);
  });

  it("listens on exactly 25, 587 and 465", () => {
    expect(services.filter((s) => s.type === "inet").map((s) => s.name)).toEqual(["smtp", "submission", "submissions"]);
  });

  it("keeps port 25 free of AUTH and of submission overrides", () => {
    const smtp = inetService("smtp");
    expect(smtp.overrides.size).toBe(0);
    expect(effective(smtp, "smtpd_sasl_auth_enable")).toBe("no");
    expect(effective(smtp, "smtpd_tls_security_level")).toBe("may");
  });

  for (const name of ["submission", "submissions"]) {
    it(`${name}: TLS required, AUTH on, relay and submission only after login, rate-limited, signed`, () => {
      const service = inetService(name);
      expect(effective(service, "smtpd_tls_security_level")).toBe("encrypt");
      expect(effective(service, "smtpd_sasl_auth_enable")).toBe("yes");
      expect(effective(service, "smtpd_tls_auth_only")).toBe("yes");
      expect(postfixList(effective(service, "smtpd_relay_restrictions"))).toEqual(["permit_sasl_authenticated", "reject"]);
      expect(postfixList(effective(service, "smtpd_client_restrictions"))).toEqual(["permit_sasl_authenticated", "reject"]);
      expect(postfixList(effective(service, "smtpd_sender_restrictions"))).toContain("reject_sender_login_mismatch");
      expect(postfixList(effective(service, "smtpd_data_restrictions"))).toEqual(["check_policy_service", "inet:127.0.0.1:10040"]);
      expect(effective(service, "smtpd_recipient_restrictions")).toBe("");
      // TLS floor and ciphers are not overridden: the main.cf values hold here too.
      expect(effective(service, "smtpd_tls_mandatory_protocols")).toBe(">=TLSv1.2");
      expect(service.overrides.has("smtpd_tls_mandatory_protocols")).toBe(false);
      expect(service.overrides.has("smtpd_tls_mandatory_ciphers")).toBe(false);
    });
  }

  it("runs 465 in wrapper mode (implicit TLS) and 587 with STARTTLS", () => {
    expect(inetService("submissions").overrides.get("smtpd_tls_wrappermode")).toBe("yes");
    expect(inetService("submission").overrides.has("smtpd_tls_wrappermode")).toBe(false);
  });

  it("tags only the cleanup service ORIGINATING, the daemon_name rspamd.local.lua signs; no listener carries it", () => {
    const cleanup = services.filter((s) => s.name === "cleanup" && s.type === "unix");
    expect(cleanup).toHaveLength(1);
    expect(cleanup[0]?.overrides.get("milter_macro_daemon_name")).toBe(originatingDaemonName);
    expect(renderRspamdPolicyLua(ctx)).toContain(`local ORIGINATING = '${originatingDaemonName}'`);
    // Submission is recognised by its SASL login: a listener tagged ORIGINATING would let an
    // unauthenticated client on it be signed.
    for (const name of ["smtp", "submission", "submissions"]) {
      expect(effective(inetService(name), "milter_macro_daemon_name"), name).toBe(ctx.mailHostname);
    }
    expect(services.filter((s) => s.overrides.get("milter_macro_daemon_name") === originatingDaemonName).map((s) => s.name)).toEqual(["cleanup"]);
  });

  it("hands submitted mail to a cleanup service of its own, whose header checks touch only the top-level headers", () => {
    for (const name of ["submission", "submissions"]) expect(inetService(name).overrides.get("cleanup_service_name"), name).toBe(submissionCleanupService);
    expect(effective(inetService("smtp"), "cleanup_service_name")).toBeUndefined();
    const own = services.filter((s) => s.name === submissionCleanupService);
    expect(own).toHaveLength(1);
    const service = own[0] as PostfixService;
    // public (private n): smtpd reaches cleanup services through the public class.
    expect(service).toMatchObject({ type: "unix", private: "n", command: "cleanup" });
    expect(effective(service, "header_checks")).toBe(`regexp:${hostLayout.postfixSubmissionHeaderChecks}`);
    // MIME part and attached message headers are in the DKIM body hash: never rewritten.
    expect(service.overrides.get("mime_header_checks")).toBe("");
    expect(service.overrides.get("nested_header_checks")).toBe("");
    expect(service.overrides.has("milter_macro_daemon_name")).toBe(false);
  });

  it("runs postlogd unchrooted, so maillog_file receives every line", () => {
    const postlog = services.find((s) => s.name === "postlog");
    expect(postlog).toMatchObject({ type: "unix-dgram", chroot: "n", command: "postlogd" });
  });

  it("refers only to restriction lists that main.cf defines", () => {
    const references = services.flatMap((s) => [...s.overrides.values()]).flatMap((v) => [...v.matchAll(/\$([a-z0-9_]+)/g)].map((m) => m[1] as string));
    const unresolved = references.filter((name) => name !== "service_name" && !mainCf.has(name));
    expect(references.length).toBeGreaterThan(0);
    expect(unresolved).toEqual([]);
  });

  it("has the internal services Postfix needs and none of the unused pipe transports", () => {
    const names = services.map((s) => s.name);
    for (const needed of ["pickup", "cleanup", "qmgr", "rewrite", "bounce", "defer", "trace", "smtp", "lmtp", "anvil", "tlsmgr", "postlog", "local"]) {
      expect(names).toContain(needed);
    }
    expect(services.filter((s) => s.command === "pipe")).toEqual([]);
  });
});
