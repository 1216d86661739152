/**
 * A broken bundle during live mail: the remote MTA keeps sending to the tenant while a bundle whose
 * Postfix runs without TLS (a setting only the running daemon rejects) is applied. The apply must
 * roll back (exit 4), TLS must answer again, and every message sent meanwhile must arrive.
 */

import { uploadAndApply } from "../../labApply";
import { bundleFile, withFileContents } from "../labBundle";
import { fail, internetClient, labMailbox, sleep, verdict, waitFor, type LabCheck } from "./check";
import { mailboxSubjects, sendThroughRemoteMta } from "./mailFlow";

const MAIN_CF = "/etc/postfix/main.cf";
/** Exit code of the apply script after a rollback that restored service (hostBundle/apply/README.md). */
const ROLLED_BACK = 4;

export const applyRollback: LabCheck = {
  name: "apply.rollback",
  proves: "a bundle that breaks Postfix at runtime is rolled back while mail keeps arriving, and no message is lost",
  async run(lab) {
    const mainCf = bundleFile(lab.bundle, MAIN_CF).content;
    if (!/^smtpd_tls_protocols = .*$/m.test(mainCf)) return fail("main.cf sets no smtpd_tls_protocols to break");
    // postfix check and postconf accept it; Postfix then runs without TLS and only warns in its log.
    const broken = withFileContents(lab.bundle, new Map([[MAIN_CF, mainCf.replace(/^smtpd_tls_protocols = .*$/m, "smtpd_tls_protocols = >=TLSv1.9")]]));
    const mailbox = labMailbox(lab, lab.plan.config.alertEmail);
    const tag = `lab apply-safety ${lab.runId}`;

    let applying = true;
    let sent = 0;
    const sending = (async () => {
      const errors: string[] = [];
      // Until the apply is over, and a few more after: mail never stops for a deploy.
      for (let after = 0; applying || after < 3; after += applying ? 0 : 1) {
        const answer = await sendThroughRemoteMta(lab, mailbox.address, `${tag} #${sent + 1}`);
        if (answer.accepted === 1) sent++;
        else errors.push(...answer.errors);
        await sleep(300);
      }
      return errors;
    })();
    const applied = await uploadAndApply(lab.host, broken).finally(() => {
      applying = false;
    });
    const sendErrors = await sending;

    const problems: string[] = [];
    const output = `${applied.stdout}${applied.stderr}`;
    if (applied.code !== ROLLED_BACK) {
      problems.push(`the broken bundle's apply exited ${applied.code}, not ${ROLLED_BACK} (rolled back): ${output.trim().split("\n").slice(-3).join(" | ")}`);
      // Leave the host as the later checks and a kept lab expect it.
      await uploadAndApply(lab.host, lab.bundle);
    } else if (!output.includes(MAIN_CF)) {
      problems.push(`the rollback does not name ${MAIN_CF}`);
    }
    const tls = await internetClient<Record<string, { accepted: boolean; error?: string }>>(lab, "tls-versions", { from: lab.internet.addresses.tlsProber, options: { port: 25, servername: lab.mailHostname, cafile: lab.caFile } });
    if (!tls["TLSv1.2"]?.accepted) problems.push(`after the apply, STARTTLS on 25 fails: ${tls["TLSv1.2"]?.error}`);
    if (sendErrors.length > 0) problems.push(`the remote MTA refused ${sendErrors.length} message(s): ${sendErrors[0]}`);

    let received: string[] = [];
    // The remote MTA retries every few seconds and is flushed on every poll: a message still
    // missing after a minute is one the host lost or refuses.
    await waitFor(60_000, async () => {
      await lab.remoteMta.flush();
      const answer = await mailboxSubjects(lab, mailbox.address);
      received = (answer.subjects ?? []).filter((s) => s.startsWith(`${tag} #`));
      return received.length >= sent ? true : undefined;
    }, 2000);
    const unique = new Set(received);
    if (unique.size < sent) problems.push(`${sent - unique.size} of ${sent} messages sent during the apply never arrived (remote queue: ${await lab.remoteMta.queueSize()})`);
    if (received.length > unique.size) problems.push(`${received.length - unique.size} message(s) arrived twice`);
    // The apply names why it rolled back in the indented lines after "FAILED after going live".
    const why = output.split("\n").filter((l) => /^ {4}\S/.test(l)).slice(0, 2).map((l) => l.trim().slice(0, 120)).join(" | ");
    return verdict(problems, `apply exited ${applied.code} (rolled back: ${why}) after ${(applied.ms / 1000).toFixed(1)} s; STARTTLS on 25 answers; ${sent} messages sent meanwhile, ${unique.size} arrived`);
  },
};
