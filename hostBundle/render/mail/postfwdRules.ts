import { smtpLimits } from "../../../baseline/abuse";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** Debian's postfwd reads its ruleset from here (CONF in /etc/default/postfwd). */
export const postfwdRulesPath = "/etc/postfix/postfwd.cf";

/** The rule's id: postfwd keys its counters by rule, and logs it on every hit. */
export const accountRateRuleId = "PM_ACCOUNT_HOURLY";

/**
 * postfwd's ruleset: the per-account hourly limit, counted in recipients (postfwd's rcpt(): the
 * counter grows by the request's recipient_count, so one message to 500 addresses uses the whole
 * hour). Postfix asks at DATA, once per message with its final recipient count, on the submission
 * services only, so every request carries the SASL login. A message over the limit gets a 450: the
 * client keeps it and retries once the window has room.
 */
export function renderPostfwdRules(ctx: HostRenderContext): string {
  const limit = ctx.config.limits.recipientsPerHourPerAccount;
  const window = smtpLimits.accountLimitWindowSeconds;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`recipientsPerHourPerAccount must be a positive integer, got ${limit}`);
  // postfwd splits rules at ";" and rcpt() arguments at "/": the reply text holds neither.
  const reply = `450 4.7.1 Recipient limit reached, at most ${limit} recipients per hour per account, try again later`;
  return [
    renderFileHeader(ctx, postfwdRulesPath),
    `# At most ${limit} recipients per ${window} s per authenticated account (sasl_username).`,
    "# Only DATA-stage requests with a login count; anything else falls through to DUNNO.",
    `id=${accountRateRuleId} ; protocol_state==DATA ; sasl_username=~. ; action=rcpt(sasl_username/${limit}/${window}/${reply})`,
    "",
  ].join("\n");
}
