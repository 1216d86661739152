import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { bundleTree } from "../../../hostBundle/format/bundleTree";
import { assembleHostBundle } from "../../../hostBundle/format/hostBundle";
import { bundleDataMarker, packHostBundle } from "../../../hostBundle/format/packHostBundle";
import { tarArchive } from "../../../hostBundle/format/tarArchive";
import { bundleTestContext, fixtureFiles } from "./bundleFixture";
import { unpackUpload } from "./unpackUpload";

const bundle = assembleHostBundle(bundleTestContext(), fixtureFiles());

describe("packHostBundle", () => {
  const packed = packHostBundle(bundle);
  const script = packed.slice(0, packed.indexOf(`\n${bundleDataMarker}\n`));

  it("carries the whole directory form, byte for byte and with modes, as a tar archive GNU tar reads", () => {
    const unpacked = unpackUpload(packed);
    const tree = bundleTree(bundle);
    expect([...unpacked.keys()].sort()).toEqual(tree.map((e) => e.path).sort());
    for (const entry of tree) expect(unpacked.get(entry.path), entry.path).toEqual({ mode: entry.mode, content: entry.content });
  });

  it("is the same text for the same bundle", () => {
    expect(packHostBundle(assembleHostBundle(bundleTestContext(), [...fixtureFiles()].reverse()))).toBe(packed);
  });

  it("is a bash script that names its bundle and parses", () => {
    expect(packed.split("\n").slice(0, 2)).toEqual(["#!/bin/bash", `# PenguinMails host bundle for tenant-one.example, bundle ${bundle.hash} (sha256 of manifest.json).`]);
    const syntax = spawnSync("bash", ["-n"], { input: script });
    expect(syntax.stderr.toString()).toBe("");
    expect(syntax.status).toBe(0);
  });

  it("has secrets only in the base64 data, never in the script text", () => {
    expect(script).not.toContain("PRIVATE KEY");
    expect(packed.match(new RegExp(`^${bundleDataMarker}$`, "gm"))).toHaveLength(1);
  });
});

describe("tarArchive", () => {
  it("keeps names longer than a ustar name field by splitting them into the prefix", () => {
    const long = `files/${"d".repeat(80)}/${"f".repeat(60)}.conf`;
    const listed = spawnSync("tar", ["-tv"], { input: tarArchive([{ path: long, content: "x\n", mode: 0o640 }]) });
    expect(listed.stdout.toString()).toMatch(new RegExp(`^-rw-r----- root/root +2 1970-01-01 00:00 ${long}\\n$`));
    expect(() => tarArchive([{ path: "x".repeat(101), content: "", mode: 0o644 }])).toThrow(/too long for a tar header/);
  });
});
