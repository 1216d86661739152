import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleTree } from "../../../../hostBundle/format/bundleTree";
import { assembleHostBundle } from "../../../../hostBundle/format/hostBundle";
import { HostBundleFormatError, hostBundleDataMarker, packHostBundle, unpackHostBundle } from "../../../../hostBundle/format/hostBundleArchive";
import { bundleTestContext, fixtureFiles } from "../../../support/hostBundle/bundle/bundleFixture";
import { unpackUpload } from "../../../support/hostBundle/bundle/unpackUpload";

const bundle = assembleHostBundle(bundleTestContext(), fixtureFiles());
let packed: string;
let script: string;

beforeAll(async () => {
  packed = await packHostBundle(bundle);
  script = packed.slice(0, packed.indexOf(`\n${hostBundleDataMarker}\n`));
});

/** The packed text with its base64 data replaced by that of another archive. */
function withData(data: Buffer): string {
  return `${script}\n${hostBundleDataMarker}\n${data.toString("base64")}\n`;
}

function archiveOf(text: string): Buffer {
  return Buffer.from(text.slice(text.indexOf(`\n${hostBundleDataMarker}\n`) + hostBundleDataMarker.length + 2), "base64");
}

describe("packHostBundle", () => {
  it("carries the whole directory form, byte for byte and with modes, as a tar archive GNU tar reads", () => {
    const unpacked = unpackUpload(packed);
    const tree = bundleTree(bundle);
    expect([...unpacked.keys()].sort()).toEqual(tree.map((e) => e.path).sort());
    for (const entry of tree) expect(unpacked.get(entry.path), entry.path).toEqual({ mode: entry.mode, content: entry.content });
  });

  it("is the same text for the same bundle", async () => {
    expect(await packHostBundle(assembleHostBundle(bundleTestContext(), [...fixtureFiles()].reverse()))).toBe(packed);
  });

  it("is a bash script that names its bundle and parses", () => {
    expect(packed.split("\n").slice(0, 2)).toEqual(["#!/bin/bash", `# PenguinMails host bundle for tenant-one.example, bundle ${bundle.hash} (sha256 of manifest.json).`]);
    const syntax = spawnSync("bash", ["-n"], { input: script });
    expect(syntax.stderr.toString()).toBe("");
    expect(syntax.status).toBe(0);
  });

  it("has secrets only in the base64 data, never in the script text", () => {
    expect(script).not.toContain("PRIVATE KEY");
    expect(packed.match(new RegExp(`^${hostBundleDataMarker}$`, "gm"))).toHaveLength(1);
  });

  it("keeps a path longer than a ustar name field, as GNU tar lists it", async () => {
    const longPath = `/etc/${"d".repeat(80)}/${"f".repeat(60)}.conf`;
    const files = [...fixtureFiles(), { ...fixtureFiles()[0]!, path: longPath }];
    const text = await packHostBundle(assembleHostBundle(bundleTestContext(), files));
    const listed = spawnSync("tar", ["-tv"], { input: archiveOf(text) }).stdout.toString();
    expect(listed).toMatch(new RegExp(`^-rw-r--r-- root/root +\\d+ 1970-01-01 00:00 files${longPath}$`, "m"));
    expect((await unpackHostBundle(text))!.files.map((f) => f.path)).toContain(longPath);
  });
});

describe("unpackHostBundle", () => {
  it("reads back exactly what packHostBundle wrote: manifest, hash and every file with its entry", async () => {
    const unpacked = (await unpackHostBundle(packed))!;
    expect(unpacked.hash).toBe(bundle.hash);
    expect(unpacked.manifest).toEqual(bundle.manifest);
    expect(unpacked.files).toEqual(
      bundle.files.map((f) => ({ path: f.path, mode: f.mode, owner: f.owner, group: f.group, service: f.service, secret: f.secret === true, content: f.content })),
    );
    expect([...unpacked.tree.keys()].sort()).toEqual(bundleTree(bundle).map((e) => e.path).sort());
  });

  it("says a text without the marker is no bundle", async () => {
    expect(await unpackHostBundle("#!/bin/bash\necho hello\n")).toBeUndefined();
  });

  it("refuses a file that does not match the manifest's sha256, naming it", async () => {
    const gnu = unpackUpload(packed);
    const target = bundle.files[0]!.path;
    const tampered = spawnSync("bash", ["-c", `d=$(mktemp -d) && cd "$d" && tar -x && printf 'changed\\n' >> "files${target}" && find . -type f -printf '%P\\n' | tar --owner=0 --group=0 --mtime=@0 -c -T - && rm -rf "$d"`], { input: archiveOf(packed) });
    expect(gnu.size).toBeGreaterThan(1);
    await expect(unpackHostBundle(withData(tampered.stdout))).rejects.toThrow(new RegExp(`${target} does not match its sha256`));
  });

  it("refuses a truncated archive and data that is not base64, with a format error", async () => {
    const archive = archiveOf(packed);
    await expect(unpackHostBundle(withData(archive.subarray(0, 700)))).rejects.toBeInstanceOf(HostBundleFormatError);
    await expect(unpackHostBundle(`${script}\n${hostBundleDataMarker}\n!!not base64!!\n`)).rejects.toThrow(/not base64/);
  });
});
