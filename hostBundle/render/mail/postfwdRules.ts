import { smtpLimits } from "../../../baseline/abuse";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** Debian's postfwd reads its ruleset from here (CONF in /etc/default/postfwd). */
export const postfwdRulesPath = "/etc/postfix/postfwd.cf";

/** The rule's id: postfwd keys its counters by rule, and logs it on every hit. */
export const accountRateRuleId = "PM_ACCOUNT_HOURLY";

/**
 * postfwd's ruleset: the per-account hourly message limit. Postfix asks at DATA (once per message,
 * whatever the recipient count) on the submission services only, so every request carries the
 * SASL login. The (N+1)th message within the window gets a 450: the client keeps it and retries.
 */
export function renderPostfwdRules(ctx: HostRenderContext): string {
  const limit = ctx.config.limits.messagesPerHourPerAccount;
  const window = smtpLimits.accountLimitWindowSeconds;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`messagesPerHourPerAccount must be a positive integer, got ${limit}`);
  // postfwd splits rules at ";" and rate() arguments at "/": the reply text holds neither.
  const reply = `450 4.7.1 Message limit reached, at most ${limit} messages per hour per account, try again later`;
  return [
    renderFileHeader(ctx, postfwdRulesPath),
    `# At most ${limit} messages per ${window} s per authenticated account (sasl_username).`,
    "# Only DATA-stage requests with a login count; anything else falls through to DUNNO.",
    `id=${accountRateRuleId} ; protocol_state==DATA ; sasl_username=~. ; action=rate(sasl_username/${limit}/${window}/${reply})`,
    "",
  ].join("\n");
}
