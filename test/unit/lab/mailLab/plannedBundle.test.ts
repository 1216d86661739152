// The bundle the lab applies: the plan's own upload read back, files replaced, weakenings applied.
import { generateKeyPairSync } from "node:crypto";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { HostBundle } from "../../../../hostBundle/format/hostBundle";
import { packHostBundle, unpackHostBundle } from "../../../../hostBundle/format/hostBundleArchive";
import { hostLayout } from "../../../../hostBundle/hostLayout";
import { allChecks } from "../../../../tools/lab/mailLab/checks";
import { checkNames } from "../../../../tools/lab/mailLab/checks/checkNames";
import { bundleFile, bundleFromUpload, withApplySettings, withFileContents } from "../../../../tools/lab/mailLab/labBundle";
import { applyWeakenings, parseWeakenings, weakenings } from "../../../../tools/lab/mailLab/weakenings";
import { skipDynamicProviderSerialization } from "../../../../tools/mockRuntime/dynamicProviderCode";
import { runProgramWithMocks } from "../../../../tools/mockRuntime/runProgram";
import { isSecretMarker } from "../../../../tools/mockRuntime/secrets";

let upload: string;
let plannedHash: string;
let bundle: HostBundle;
// What the lab's CA would issue for the tlsa-key weakening: only the key's difference matters here.
const context = {
  certificateWithOtherKey: {
    fullchainPem: "-----BEGIN CERTIFICATE-----\nother\n-----END CERTIFICATE-----\n",
    privateKeyPem: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  },
};

beforeAll(async () => {
  skipDynamicProviderSerialization();
  const run = await runProgramWithMocks({ programDir: resolve(__dirname, "../../../.."), stack: "dev" });
  const source = run.resources.find((r) => r.type === "command:remote:CopyToRemote")!.inputs.source;
  upload = await (isSecretMarker(source) ? (source.value as { text: Promise<string> }) : (source as { text: Promise<string> })).text;
  const apply = run.resources.find((r) => r.type === "command:remote:Command" && String(r.inputs.create).includes("--expect-hash"))!;
  plannedHash = (apply.inputs.triggers as string[])[0]!;
  bundle = await bundleFromUpload(upload);
}, 120_000);

async function reread(b: HostBundle) {
  const unpacked = await unpackHostBundle(await packHostBundle(b));
  if (!unpacked) throw new Error("not a bundle");
  return unpacked;
}

describe("bundleFromUpload", () => {
  it("reads the planned upload back to the bundle the apply command names, byte for byte", async () => {
    expect(bundle.hash).toBe(plannedHash);
    expect(await packHostBundle(bundle)).toBe(upload);
  });

  it("refuses a text that is not a bundle", async () => {
    await expect(bundleFromUpload("#!/bin/bash\necho hello\n")).rejects.toThrow(/not a host bundle/);
  });
});

describe("withFileContents and withApplySettings", () => {
  it("gives a replaced file its sha256 in the manifest and the bundle a new hash, the apply script's checks still holding", async () => {
    const changed = withFileContents(bundle, new Map([["/etc/postfix/main.cf", "# replaced\n"]]));
    expect(changed.hash).not.toBe(bundle.hash);
    const unpacked = await reread(changed);
    expect(unpacked.hash).toBe(changed.hash);
    expect(unpacked.files.find((f) => f.path === "/etc/postfix/main.cf")!.content).toBe("# replaced\n");
    const others = (b: HostBundle) => b.manifest.files.filter((f) => f.path !== "/etc/postfix/main.cf");
    expect(others(changed)).toEqual(others(bundle));
    expect(() => withFileContents(bundle, new Map([["/etc/not-in-the-bundle", "x"]]))).toThrow(/has no \/etc\/not-in-the-bundle/);
  });

  it("hashes new apply settings into the manifest's tooling", async () => {
    const changed = withApplySettings(bundle, `${bundle.applySettings}# lab\n`);
    expect(changed.hash).not.toBe(bundle.hash);
    const unpacked = await reread(changed);
    expect(unpacked.tree.get("apply-settings.sh")!.content).toBe(`${bundle.applySettings}# lab\n`);
    expect(unpacked.hash).toBe(changed.hash);
  });
});

describe("weakenings", () => {
  it("between them break every check, and every check name has exactly one check", () => {
    expect(allChecks.map((c) => c.name).sort()).toEqual([...checkNames].sort());
    const broken = new Set(weakenings.flatMap((w) => w.breaks));
    expect(checkNames.filter((n) => !broken.has(n))).toEqual([]);
    for (const w of weakenings) for (const n of [...w.breaks, ...w.mayAlsoBreak]) expect(checkNames).toContain(n);
  });

  it.each(weakenings.map((w) => [w.name, w] as const))("%s changes the planned bundle into one the apply still reads", async (_name, weakening) => {
    const weakened = weakening.apply(bundle, context);
    expect(weakened.hash).not.toBe(bundle.hash);
    expect((await reread(weakened)).hash).toBe(weakened.hash);
  });

  it("weaken what they say", () => {
    const text = (b: HostBundle, path: string) => bundleFile(b, path).content;
    const tls10 = applyWeakenings(bundle, parseWeakenings("tls10"), context);
    expect(text(tls10, "/etc/postfix/main.cf")).toMatch(/^smtpd_tls_protocols = >=TLSv1$/m);
    expect(text(tls10, "/etc/dovecot/dovecot.conf")).toMatch(/^ssl_min_protocol = TLSv1$/m);
    const relay = applyWeakenings(bundle, parseWeakenings("relay"), context);
    expect(text(relay, "/etc/postfix/main.cf")).toMatch(/^mynetworks = 0\.0\.0\.0\/0 \[::\]\/0$/m);
    const port8080 = applyWeakenings(bundle, parseWeakenings("port8080"), context);
    expect(text(port8080, "/etc/nftables.conf")).toMatch(/tcp dport \{ [0-9, ]*8080 \} accept/);
    const noChecks = applyWeakenings(bundle, parseWeakenings("no-apply-checks"), context);
    const entry = (settings: string, array: string) => {
      const block = settings.slice(settings.indexOf(`declare -gA ${array}=(`));
      return /^ {2}\[postfix\]='([^']*)'$/m.exec(block.slice(0, block.indexOf("\n)\n")))?.[1];
    };
    expect(entry(bundle.applySettings, "SERVICE_TLS_PROBES")).toMatch(/^25\/smtp\//);
    expect(entry(noChecks.applySettings, "SERVICE_TLS_PROBES")).toBe("");
    expect(entry(bundle.applySettings, "SERVICE_BAD_LOG")).not.toBe("");
    expect(entry(noChecks.applySettings, "SERVICE_BAD_LOG")).toBe("");
    const noNotice = applyWeakenings(bundle, parseWeakenings("no-ban-notice"), context);
    expect(text(noNotice, "/etc/fail2ban/jail.d/penguinmails.local")).not.toContain("penguinmails-ban-mail[");
    const otherKey = applyWeakenings(bundle, parseWeakenings("tlsa-key"), context);
    expect(text(otherKey, hostLayout.tls.privateKey)).toBe(context.certificateWithOtherKey.privateKeyPem);
    expect(text(otherKey, hostLayout.tls.fullchain)).toBe(context.certificateWithOtherKey.fullchainPem);
    expect(() => applyWeakenings(bundle, parseWeakenings("tlsa-key"), {})).toThrow(/issued no certificate with another key/);
  });

  it("are named in a comma-separated list; an unknown name is an error that lists the known ones", () => {
    expect(parseWeakenings("relay, tls10,relay").map((w) => w.name)).toEqual(["relay", "tls10"]);
    expect(() => parseWeakenings("relay,tls9")).toThrow(/unknown weakening tls9; known: tls10, /);
  });
});
