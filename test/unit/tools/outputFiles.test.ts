// The tools' output paths: checked before any work, written whole, and never replacing what the
// tool did not write itself. The check that needs root (--out /proc) is in test/system/tools/outputFiles.test.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { assembleHostBundle } from "../../../hostBundle/format/hostBundle";
import { readableBundleTree } from "../../../hostBundle/format/bundleTree";
import { checkOutputDirectory, checkOutputFile, writeDirectoryAtomically, writeFileAtomically, writtenListName } from "../../../tools/cli/outputFiles";
import { bundleTestContext, fixtureFiles } from "../../support/hostBundle/bundle/bundleFixture";
import { outputPathRefusal, scratchDirectories } from "../../support/tools/outputPaths";

const bundle = assembleHostBundle(bundleTestContext(), fixtureFiles());
const tempDir = scratchDirectories();

function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(root, full), fs.readFileSync(full, "utf8"));
    }
  };
  walk(root);
  return files;
}

describe("readableBundleTree", () => {
  it("is the directory form with every secret file replaced by a note naming it and its hash", () => {
    const tree = readableBundleTree(bundle);
    expect(tree.map((e) => e.path).sort()).toEqual([
      "apply-settings.sh",
      "apply.sh",
      "files/etc/nftables.conf",
      "files/etc/postfix/main.cf",
      "files/etc/rspamd/dkim/mail.key",
      "files/var/www/mta-sts/.well-known/mta-sts.txt",
      "manifest.json",
      "manifest.tsv",
    ]);
    for (const entry of tree) expect(entry.content, entry.path).not.toContain("PRIVATE KEY");
    const secret = bundle.manifest.files.find((f) => f.secret)!;
    expect(tree.find((e) => e.path === "files/etc/rspamd/dkim/mail.key")!.content).toBe(
      `# /etc/rspamd/dkim/mail.key: secret, not written here. It ships to the host only inside the bundle (sha256 ${secret.sha256}).\n`,
    );
  });
});

describe("output files", () => {
  it("refuse a missing directory, a directory as the file, and kernel file systems, naming the option and path", () => {
    const dir = tempDir();
    expect(outputPathRefusal(() => checkOutputFile("--json", path.join(dir, "missing/plan.json")))).toBe(`--json ${dir}/missing/plan.json: the directory ${dir}/missing does not exist`);
    expect(outputPathRefusal(() => checkOutputFile("--json", dir))).toBe(`--json ${dir}: is a directory; give a file name`);
    expect(outputPathRefusal(() => checkOutputFile("--json", "/proc/x"))).toBe("--json /proc/x: /proc is a kernel file system, not a place for files");
    expect(outputPathRefusal(() => checkOutputFile("--json", "/sys/kernel/x"))).toMatch(/^--json \/sys\/kernel\/x: \/sys\/kernel is a kernel file system/);
    expect(checkOutputFile("--json", path.join(dir, "plan.json"))).toBe(path.join(dir, "plan.json"));
  });

  it("are written whole, leaving no temporary file behind", () => {
    const file = path.join(tempDir(), "plan.json");
    writeFileAtomically(file, "one\n");
    writeFileAtomically(file, "two\n");
    expect(fs.readFileSync(file, "utf8")).toBe("two\n");
    expect(fs.readdirSync(path.dirname(file))).toEqual(["plan.json"]);
  });
});

describe("output directories", () => {
  it("are written with every file at its mode and a list of what was written", () => {
    const out = path.join(tempDir(), "bundle");
    checkOutputDirectory("--out", out, "plan");
    writeDirectoryAtomically(out, readableBundleTree(bundle), "plan");
    const tree = readTree(out);
    expect(tree.get("manifest.json")).toBe(bundle.manifestJson);
    expect(fs.statSync(path.join(out, "files/etc/nftables.conf")).mode & 0o7777).toBe(0o755);
    expect(Object.keys(JSON.parse(tree.get(writtenListName)!).files).sort()).toEqual([...tree.keys()].filter((k) => k !== writtenListName).sort());
  });

  it("replace an earlier output of the same tool, unchanged, whole", () => {
    const out = path.join(tempDir(), "bundle");
    writeDirectoryAtomically(out, readableBundleTree(bundle), "plan");
    expect(checkOutputDirectory("--out", out, "plan")).toBe(out);
    writeDirectoryAtomically(out, readableBundleTree(bundle).filter((e) => e.path !== "apply.sh"), "plan");
    expect(fs.existsSync(path.join(out, "apply.sh"))).toBe(false);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["bundle"]);
  });

  it("never replace a directory holding anything the tool did not write, or a file changed since", () => {
    const out = path.join(tempDir(), "bundle");
    writeDirectoryAtomically(out, readableBundleTree(bundle), "plan");
    fs.writeFileSync(path.join(out, "files/notes.txt"), "mine");
    expect(outputPathRefusal(() => checkOutputDirectory("--out", out, "plan"))).toBe(`--out ${out}: holds files/notes.txt, which plan did not write; move it away or give another directory`);
    fs.rmSync(path.join(out, "files/notes.txt"));
    fs.appendFileSync(path.join(out, "files/etc/postfix/main.cf"), "# my edit\n");
    expect(outputPathRefusal(() => checkOutputDirectory("--out", out, "plan"))).toBe(`--out ${out}: files/etc/postfix/main.cf changed since plan wrote it; move it away or give another directory`);

    const foreign = tempDir();
    fs.writeFileSync(path.join(foreign, "manifest.json"), "{}");
    fs.writeFileSync(path.join(foreign, "apply.sh"), "");
    expect(outputPathRefusal(() => checkOutputDirectory("--out", foreign, "plan"))).toBe(`--out ${foreign}: holds apply.sh, manifest.json, which plan did not write; give an empty or new directory`);
  });
});
