import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { bundleTree } from "../../../components/hostConfig/bundle/bundleTree";
import { assembleHostBundle } from "../../../components/hostConfig/bundle/hostBundle";
import { bundleDataMarker, packHostBundle } from "../../../components/hostConfig/bundle/packHostBundle";
import { bundleTestContext, fixtureFiles } from "./bundleFixture";

const bundle = assembleHostBundle(bundleTestContext(), fixtureFiles());

/** The data lines after the marker, decoded: what the script unpacks. */
function unpack(packed: string): Map<string, { mode: string; content: string }> {
  const data = packed.slice(packed.indexOf(`\n${bundleDataMarker}\n`) + bundleDataMarker.length + 2);
  return new Map(
    data.trimEnd().split("\n").map((line) => {
      const [rel, mode, b64] = line.split(" ");
      return [rel!, { mode: mode!, content: Buffer.from(b64 ?? "", "base64").toString("utf8") }];
    }),
  );
}

describe("packHostBundle", () => {
  const packed = packHostBundle(bundle);

  it("carries the whole directory form, byte for byte and with modes, after the marker", () => {
    const unpacked = unpack(packed);
    const tree = bundleTree(bundle);
    expect([...unpacked.keys()]).toEqual(tree.map((e) => e.path));
    for (const entry of tree) {
      expect(unpacked.get(entry.path)).toEqual({ mode: entry.mode.toString(8).padStart(4, "0"), content: entry.content });
    }
  });

  it("is a bash script that names its bundle and parses", () => {
    expect(packed.split("\n").slice(0, 2)).toEqual(["#!/bin/bash", `# PenguinMails host bundle for tenant-one.example, bundle ${bundle.hash} (sha256 of manifest.json).`]);
    const syntax = spawnSync("bash", ["-n"], { input: packed.slice(0, packed.indexOf(`\n${bundleDataMarker}\n`)) });
    expect(syntax.stderr.toString()).toBe("");
    expect(syntax.status).toBe(0);
  });

  it("has secrets only in the base64 data, never in the script text", () => {
    const script = packed.slice(0, packed.indexOf(`\n${bundleDataMarker}\n`));
    expect(script).not.toContain("PRIVATE KEY");
    expect(packed.match(new RegExp(`^${bundleDataMarker}$`, "gm"))).toHaveLength(1);
  });
});
