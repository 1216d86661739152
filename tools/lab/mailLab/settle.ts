/**
 * Before the checks: the host answers mail clients. The apply proves that itself (TLS on every
 * port, no milter warning), so this returns at once; a weakened apply that no longer proves it can
 * return while rspamd still starts, and Postfix answers 454 until its milter is up. Waiting here
 * keeps such a run's failures to the checks its weakening names.
 */

import { internetClient, waitFor } from "./checks/check";
import type { MailLab } from "./mailLab";

const SETTLE_TIMEOUT_MS = 90_000;

export async function waitUntilHostAnswers(lab: MailLab): Promise<string> {
  const started = Date.now();
  const ready = await waitFor(SETTLE_TIMEOUT_MS, async () => {
    const answer = await internetClient<{ ehlo_tls?: string[]; starttls_error?: string; error?: string }>(lab, "auth-before-tls", {
      from: lab.internet.addresses.sender,
      options: { port: 587, "no-auth": true },
    }).catch(() => undefined);
    return answer && !answer.error && !answer.starttls_error && (answer.ehlo_tls ?? []).some((k) => /^AUTH\b/i.test(k)) ? true : undefined;
  }, 1000);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return ready ? `submission on 587 answers (after ${seconds} s)` : `submission on 587 still does not answer after ${seconds} s; checking anyway`;
}
