/**
 * The apply script on a booted Debian 12 lab host, the way Pulumi runs it over SSH: a first apply
 * to a fresh system (upload directory, upload, apply), then the same bundle again (upload, apply).
 * Prints `first_apply_ms=<n> reapply_ms=<n> reapply_restarts=<n>`; the re-apply should take
 * under 2 s and restart nothing. Then `host_pss_peak_mb=<n> host_pss_settled_mb=<n>`: the memory
 * of every process on the host (PSS: shared pages divided among their users), sampled each second
 * from the first apply to a minute after it, against the droplet's 2 GB.
 */
import { generateKeyPairSync } from "node:crypto";
import { hostPackages } from "../../hostBundle/apply/serviceTable";
import { buildHostBundle } from "../../hostBundle/buildHostBundle";
import { auditEvents, labContext, labDkimKeys, prepareUpload, serviceEvents, unitStates, uploadAndApply } from "../lab/labApply";
import { startDebianHost } from "../lab/debianHost";
import { startLabDnsFor } from "../lab/dns";

/** The PSS of every process on the host, in MB. */
async function hostPssMb(host: Awaited<ReturnType<typeof startDebianHost>>): Promise<number> {
  const out = await host.exec("awk '/^Pss:/ { s += $2 } END { print int(s / 1024) }' /proc/[0-9]*/smaps_rollup 2>/dev/null");
  return Number(out.stdout.trim());
}

async function main(): Promise<void> {
  const host = await startDebianHost({ extraPackages: hostPackages(), log: (line) => console.error(line) });
  // The apply proves that the host's resolver validates DNSSEC: the lab's own signed root.
  const dns = await startLabDnsFor(host, []).catch(async (error: unknown) => {
    await host.stop();
    throw error;
  });
  let sampling = true;
  try {
    const dkim = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const ctx = labContext(host);
    const bundle = buildHostBundle(ctx, { dkimPrivateKeyPems: labDkimKeys(ctx, dkim) });

    let peakPss = 0;
    const sampler = (async () => {
      while (sampling) {
        peakPss = Math.max(peakPss, await hostPssMb(host));
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    const started = Date.now();
    await prepareUpload(host);
    const firstApply = await uploadAndApply(host, bundle);
    const first = { ...firstApply, ms: Date.now() - started };
    if (first.code !== 0) throw new Error(`the first apply failed (exit ${first.code}):\n${first.stdout}${first.stderr}`);

    const unitsBefore = await unitStates(host);
    const eventsBefore = (await auditEvents(host)).length;
    const again = await uploadAndApply(host, bundle);
    if (again.code !== 0) throw new Error(`the re-apply failed (exit ${again.code}):\n${again.stdout}${again.stderr}`);
    const unitsAfter = await unitStates(host);
    // A restart shows either as an audit event or as a unit whose PID or start time moved.
    const events = serviceEvents((await auditEvents(host)).slice(eventsBefore)).length;
    const moved = Object.keys(unitsBefore).filter((unit) => unitsBefore[unit] !== unitsAfter[unit]).length;
    console.log(`first_apply_ms=${first.ms} reapply_ms=${again.ms} reapply_restarts=${Math.max(events, moved)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 60_000 - (Date.now() - started))));
    sampling = false;
    await sampler;
    console.log(`host_pss_peak_mb=${peakPss} host_pss_settled_mb=${await hostPssMb(host)}`);
  } finally {
    sampling = false;
    await dns.stop();
    await host.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
