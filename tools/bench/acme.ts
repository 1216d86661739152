/**
 * `npm run bench:acme`: issues 5 certificates from the lab's Pebble, each with a real DNS-01
 * validation through RFC 2136 updates to the lab's Knot, through the same provider `pulumi up`
 * runs, and prints the median time per certificate. Installs and starts what it needs.
 */

import * as crypto from "node:crypto";
import { acmeCertificateProvider as provider } from "../../components/certificate/provider";
import { startAcmeLab } from "../lab/acme";

const runs = 5;
const domains = ["mail.acme.test", "mta-sts.acme.test"];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const lab = await startAcmeLab();
  try {
    const accountKeyPem = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
    const { inputs, failures } = await provider.check!({}, {
      directory: lab.directoryUrl,
      directoryCaPem: lab.caPem,
      accountKeyPem,
      privateKeyPem: crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      contactEmail: "hostmaster@acme.test",
      domains,
      solver: lab.solverConfig(),
      propagation: { nameservers: [lab.dnsServer] },
    });
    if (failures && failures.length > 0) throw new Error(failures.map((f) => `${f.property} ${f.reason}`).join("; "));
    const times: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const started = process.hrtime.bigint();
      const { id } = await provider.create(inputs);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      times.push(ms);
      console.log(`run=${run} ms=${Math.round(ms)} serial=${id}`);
    }
    console.log(`median_ms=${Math.round(median(times))}`);
  } finally {
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:acme failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
