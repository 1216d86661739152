import { hostLayout } from "../../hostLayout";
import { renderFileHeader, type HostRenderContext } from "../../renderContext";

/** POSIX ERE for a literal name: only `.` of a host name's characters is special. */
function literal(name: string): string {
  if (!/^[a-z0-9.-]+$/.test(name)) throw new Error(`${JSON.stringify(name)} is not a host name`);
  return name.replace(/\./g, "\\.");
}

/**
 * header_checks (regexp:) of the cleanup service that only the submission listeners (587, 465)
 * use, as Mail-in-a-Box does. smtpd's own Received: header of a submitted message names the
 * client's address and its HELO name, which tells every recipient where the user is (a home
 * address, a hotel, a VPN). It is rewritten to keep the rest of the trace: "by <this host>
 * (Postfix) with ESMTPSA id <queue id> for <recipient>; <date>".
 */
export function renderPostfixSubmissionHeaderChecks(ctx: HostRenderContext): string {
  const host = literal(ctx.mailHostname);
  return [
    renderFileHeader(ctx, hostLayout.postfixSubmissionHeaderChecks),
    "# Only our own header matches: the one this host's smtpd wrote for an authenticated client",
    "# (ESMTPSA: TLS and a SASL login). '.' spans the folded lines (no 'm' flag); the DKIM",
    "# signature does not cover Received:, so rewriting it after signing breaks nothing.",
    `/^Received: from .*[[:space:]](by ${host} \\(Postfix\\) with E?SMTPS?A id .*)$/ REPLACE Received: $1`,
    "",
  ].join("\n");
}
