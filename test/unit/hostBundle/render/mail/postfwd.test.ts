import { describe, expect, it } from "vitest";
import { smtpLimits } from "../../../../../baseline/abuse";
import { renderPostfixMainCf, submissionRestrictionParameters } from "../../../../../hostBundle/render/mail/postfixMainCf";
import { renderPostfwdDefaults } from "../../../../../hostBundle/render/mail/postfwdDefaults";
import { renderPostfwdRules } from "../../../../../hostBundle/render/mail/postfwdRules";
import { parsePostfixMainCf } from "../../../../../hostBundle/parsers/postfix";
import { mailTestContext } from "../../../../support/hostBundle/render/mail/mailRenderFixture";

const rules = (t: string): string[] => t.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

describe("renderPostfwdRules", () => {
  it("limits each SASL login to the baseline's 500 recipients per hour by default, counted at DATA", () => {
    expect(smtpLimits.recipientsPerHourPerAccount).toBe(500);
    const [rule, ...others] = rules(renderPostfwdRules(mailTestContext()));
    expect(others).toEqual([]);
    expect(rule).toMatch(/^id=PM_ACCOUNT_HOURLY ; protocol_state==DATA ; sasl_username=~\. ; action=rcpt\(sasl_username\/500\/3600\/450 4\.7\.1 [^;/]+\)$/);
  });

  it("takes the tenant's configured limit", () => {
    const [rule] = rules(renderPostfwdRules(mailTestContext({ limits: { recipientsPerHourPerAccount: 120 } })));
    expect(rule).toContain("rcpt(sasl_username/120/3600/");
  });
});

describe("renderPostfwdDefaults", () => {
  it("makes postfwd listen where Postfix asks, as its unprivileged user, with the rendered ruleset", () => {
    const ctx = mailTestContext();
    const env = Object.fromEntries(rules(renderPostfwdDefaults(ctx)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
    const policy = parsePostfixMainCf(renderPostfixMainCf(ctx)).settings.get(submissionRestrictionParameters.data);
    expect(policy).toBe(`check_policy_service inet:${env.INET}:${env.PORT}`);
    expect(env.CONF).toBe("/etc/postfix/postfwd.cf");
    expect(env.RUNAS).toBe('"postfw"');
    expect(env.ARGS).toContain("--save_rates=/var/lib/postfwd/rates");
    // The counters' socket stays out of world-writable /var/tmp (postfwd's default).
    expect(env.ARGS).toContain("--cache_port=/var/lib/postfwd/cache.socket");
  });
});
