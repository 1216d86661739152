/**
 * How long one mailauth authenticate() takes against the in-memory zone, so the policy and lab
 * tests can budget for it. Run: npx tsx test/unit/baseline/dns/measureAuthenticate.ts [iterations]
 */

import { generateKeyPairSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import { dkimRsaGeneratedBits } from "../../../../baseline/keys";
import { buildDkimRecord } from "../../../../baseline/dns/dkim";
import { buildDmarcRecord } from "../../../../baseline/dns/dmarc";
import { buildSpfRecord } from "../../../../baseline/dns/spf";
import { foreignIp4, message, receive, resolverFor, signMessage, tenantDomain, vpsIp4, vpsIp6 } from "./mailauthHarness";

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 50);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: dkimRsaGeneratedBits });
  const resolver = resolverFor({
    spf: buildSpfRecord({ ip4: [vpsIp4], ip6: [vpsIp6], all: "softfail" }),
    dkim: buildDkimRecord({ publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() }),
    dmarc: buildDmarcRecord({ phase: "reject", rua: [`mailto:dmarc@${tenantDomain}`] }),
  });
  const signStart = performance.now();
  const signed = await signMessage(message(), privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  const signMs = performance.now() - signStart;

  const time = async (ip: string): Promise<number> => {
    const start = performance.now();
    const result = await receive({ signedMessage: signed, ip, resolver });
    const elapsed = performance.now() - start;
    if (!result.dmarc || result.dmarc.status.result !== "pass") throw new Error(`unexpected DMARC result from ${ip}`);
    return elapsed;
  };

  const firstMs = await time(vpsIp4);
  const samples: number[] = [];
  for (let index = 0; index < iterations; index += 1) samples.push(await time(index % 2 === 0 ? vpsIp4 : foreignIp4));
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  const format = (value: number) => `${value.toFixed(2)} ms`;
  console.log(`node ${process.version}, mailauth authenticate() with an in-memory resolver, ${dkimRsaGeneratedBits}-bit RSA DKIM`);
  console.log(`dkimSign: ${format(signMs)}`);
  console.log(`first authenticate(): ${format(firstMs)}`);
  console.log(
    `next ${iterations}: min ${format(samples[0])}, median ${format(median)}, mean ${format(mean)}, max ${format(samples[samples.length - 1])}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
