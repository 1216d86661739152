import { describe, expect, it } from "vitest";
import { smtpLimits } from "../../../../../baseline/abuse";
import { forbiddenCipherClasses, tls12CipherSuites } from "../../../../../baseline/tls";
import { hostLayout } from "../../../../../hostBundle/hostLayout";
import { renderPostfixMainCf, submissionRestrictionParameters } from "../../../../../hostBundle/render/mail/postfixMainCf";
import { postfixSpoolSockets } from "../../../../../hostBundle/render/mail/mailDaemonWiring";
import { rspamdMilterSocket } from "../../../../../hostBundle/render/mail/rspamd";
import { renderFileHeader } from "../../../../../hostBundle/renderContext";
import { parsePostfixMainCf, postfixList } from "../../../../../hostBundle/parsers/postfix";
import { mailbox, mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

function mainCf(overrides: Record<string, unknown> = {}): ReadonlyMap<string, string> {
  const { settings, problems } = parsePostfixMainCf(renderPostfixMainCf(mailTestContext(overrides)));
  expect(problems).toEqual([]);
  return settings;
}

describe("renderPostfixMainCf", () => {
  const settings = mainCf();

  it("starts with the bundle header", () => {
    const ctx = mailTestContext();
    expect(renderPostfixMainCf(ctx).startsWith(renderFileHeader(ctx, "/etc/postfix/main.cf"))).toBe(true);
  });

  it("allows only TLS 1.2 and newer on every listener and outbound", () => {
    for (const name of ["smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_protocols"]) {
      expect(settings.get(name), name).toBe(">=TLSv1.2");
    }
  });

  it("offers exactly the baseline's six ECDHE AEAD suites, at both cipher grades, server order first", () => {
    expect(settings.get("smtpd_tls_ciphers")).toBe("high");
    expect(settings.get("smtpd_tls_mandatory_ciphers")).toBe("high");
    expect(settings.get("tls_high_cipherlist")?.split(":")).toEqual([...tls12CipherSuites]);
    expect(settings.get("tls_preempt_cipherlist")).toBe("yes");
  });

  it("excludes aNULL, eNULL and every other forbidden cipher class, inbound and outbound", () => {
    for (const name of ["smtpd_tls_exclude_ciphers", "smtp_tls_exclude_ciphers"]) {
      const excluded = postfixList(settings.get(name));
      expect(excluded, name).toEqual(expect.arrayContaining(["aNULL", "eNULL", ...forbiddenCipherClasses]));
    }
  });

  it("disables TLS compression and client renegotiation", () => {
    expect(postfixList(settings.get("tls_ssl_options"))).toEqual(["NO_COMPRESSION", "NO_RENEGOTIATION"]);
  });

  it("offers TLS on port 25 without requiring it, and AUTH only inside TLS", () => {
    expect(settings.get("smtpd_tls_security_level")).toBe("may");
    expect(settings.get("smtpd_tls_auth_only")).toBe("yes");
    // Port 25 never offers AUTH; master.cf enables it for submission only.
    expect(settings.get("smtpd_sasl_auth_enable")).toBe("no");
  });

  it("relays only for authenticated users", () => {
    expect(postfixList(settings.get("smtpd_relay_restrictions"))).toEqual(["permit_sasl_authenticated", "reject_unauth_destination"]);
    expect(postfixList(settings.get(submissionRestrictionParameters.relay))).toEqual(["permit_sasl_authenticated", "reject"]);
    expect(postfixList(settings.get(submissionRestrictionParameters.client))).toEqual(["permit_sasl_authenticated", "reject"]);
    expect(postfixList(settings.get(submissionRestrictionParameters.sender))).toContain("reject_sender_login_mismatch");
  });

  it("normalises bare newlines (SMTP smuggling) and refuses unauthorised pipelining", () => {
    expect(settings.get("smtpd_forbid_bare_newline")).toBe("normalize");
    expect(settings.get("smtpd_forbid_unauth_pipelining")).toBe("yes");
  });

  it("takes the anvil limits from the baseline", () => {
    expect(settings.get("anvil_rate_time_unit")).toBe(`${smtpLimits.clientLimitWindowSeconds}s`);
    expect(settings.get("anvil_rate_time_unit")).toBe("60s");
    expect(settings.get("smtpd_client_connection_rate_limit")).toBe("50");
    expect(settings.get("smtpd_client_connection_rate_limit")).toBe(String(smtpLimits.connectionsPerMinutePerClient));
    expect(settings.get("smtpd_client_new_tls_session_rate_limit")).toBe(String(smtpLimits.connectionsPerMinutePerClient));
    expect(settings.get("smtpd_client_auth_rate_limit")).toBe(String(smtpLimits.authAttemptsPerMinutePerClient));
  });

  it("asks the rate-limit policy service at DATA on submission", () => {
    expect(postfixList(settings.get(submissionRestrictionParameters.data))).toEqual(["check_policy_service", "inet:127.0.0.1:10040"]);
    // The main (port 25) service never asks it: mail from other servers has no account.
    expect(settings.has("smtpd_data_restrictions")).toBe(false);
  });

  it("sends with DANE through a validating resolver", () => {
    expect(settings.get("smtp_dns_support_level")).toBe("dnssec");
    expect(settings.get("smtp_tls_security_level")).toBe("dane");
  });

  it("has rspamd as its one milter, for SMTP, sendmail and its own bounces and notices, and holds mail when rspamd is down", () => {
    expect(settings.get("smtpd_milters")).toBe(`unix:${postfixSpoolSockets.rspamdMilter}`);
    expect(`${hostLayout.postfixSpoolDir}/${postfixSpoolSockets.rspamdMilter}`).toBe(rspamdMilterSocket);
    expect(settings.get("non_smtpd_milters")).toBe("$smtpd_milters");
    expect(postfixList(settings.get("internal_mail_filter_classes"))).toEqual(["bounce", "notify"]);
    expect(settings.get("milter_protocol")).toBe("6");
    // Never pass inbound mail unchecked or submitted mail unsigned.
    expect(settings.get("milter_default_action")).toBe("tempfail");
    expect(settings.get("milter_macro_daemon_name")).toBe("$myhostname");
    // Locally, only root may submit through sendmail (and so get mail signed).
    expect(settings.get("authorized_submit_users")).toBe("root");
  });

  it("names the submission header checks, which drop the client's address from Received:", () => {
    expect(settings.get(submissionRestrictionParameters.headerChecks)).toBe(`regexp:${hostLayout.postfixSubmissionHeaderChecks}`);
    expect(settings.get("smtpd_sasl_authenticated_header")).toBe("no");
  });

  it("authenticates through Dovecot's socket inside Postfix's spool", () => {
    expect(settings.get("smtpd_sasl_type")).toBe("dovecot");
    expect(settings.get("smtpd_sasl_path")).toBe("private/auth");
    expect(postfixList(settings.get("smtpd_sasl_tls_security_options"))).toEqual(["noanonymous"]);
  });

  it("logs through postlogd to the file fail2ban reads", () => {
    expect(settings.get("maillog_file")).toBe(hostLayout.postfixLog);
    expect(hostLayout.postfixLog.startsWith(`${settings.get("maillog_file_prefixes")}/`)).toBe(true);
  });

  it("reads the certificate and key from the host layout, key first", () => {
    expect(postfixList(settings.get("smtpd_tls_chain_files"))).toEqual([hostLayout.tls.privateKey, hostLayout.tls.fullchain]);
  });

  it("names the host and delivers the tenant domain's mailboxes to Dovecot over LMTP", () => {
    expect(settings.get("myhostname")).toBe("mail.tenant-one.example");
    expect(settings.get("virtual_mailbox_domains")).toBe("tenant-one.example");
    expect(settings.get("virtual_mailbox_maps")).toBe(`texthash:${hostLayout.postfixMailboxMap}`);
    expect(settings.get("virtual_alias_maps")).toBe(`texthash:${hostLayout.postfixAliasMap}`);
    expect(settings.get("smtpd_sender_login_maps")).toBe(`texthash:${hostLayout.postfixSenderMap}`);
    expect(settings.get("virtual_transport")).toBe("lmtp:unix:private/dovecot-lmtp");
    expect(postfixList(settings.get("mydestination"))).not.toContain("tenant-one.example");
    expect(postfixList(settings.get("mynetworks"))).toEqual(["127.0.0.0/8", "[::1]/128"]);
  });

  it("renders the tenant's own names, never the example's", () => {
    const other = mainCf({ domain: "tenant-two.example", alertEmail: "ops@tenant-two.example", mailboxes: [mailbox("ops@tenant-two.example")] });
    expect(other.get("myhostname")).toBe("mail.tenant-two.example");
    expect(other.get("virtual_mailbox_domains")).toBe("tenant-two.example");
    expect([...other.values()].join("\n")).not.toContain("tenant-one");
  });
});
