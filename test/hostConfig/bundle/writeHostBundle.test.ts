import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assembleHostBundle } from "../../../hostBundle/format/hostBundle";
import { writeHostBundle } from "../../../hostBundle/format/writeHostBundle";
import { bundleTestContext, fixtureFiles, testRsaKeyPem } from "./bundleFixture";

const bundle = assembleHostBundle(bundleTestContext(), fixtureFiles());
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-bundle-out-"));
  dirs.push(dir);
  return dir;
}

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

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("writeHostBundle", () => {
  it("writes the scripts, both manifests and every host file at its path under files/, with its mode", () => {
    const out = path.join(tempDir(), "bundle");
    writeHostBundle(bundle, out, { includeSecrets: false });
    const tree = readTree(out);
    expect([...tree.keys()].sort()).toEqual([
      "apply-settings.sh",
      "apply.sh",
      "files/etc/nftables.conf",
      "files/etc/opendkim/keys/mail.private",
      "files/etc/postfix/main.cf",
      "files/var/www/mta-sts/.well-known/mta-sts.txt",
      "manifest.json",
      "manifest.tsv",
    ]);
    expect(tree.get("manifest.json")).toBe(bundle.manifestJson);
    expect(tree.get("files/etc/postfix/main.cf")).toBe(fixtureFiles()[0]!.content);
    expect(fs.statSync(path.join(out, "files/etc/nftables.conf")).mode & 0o7777).toBe(0o755);
  });

  it("leaves secrets out unless asked, with a note naming the file and its hash", () => {
    const out = path.join(tempDir(), "bundle");
    writeHostBundle(bundle, out, { includeSecrets: false });
    const tree = readTree(out);
    for (const [file, content] of tree) expect(content, file).not.toContain("PRIVATE KEY");
    const entry = bundle.manifest.files.find((f) => f.secret)!;
    expect(tree.get("files/etc/opendkim/keys/mail.private")).toBe(`# /etc/opendkim/keys/mail.private: secret, not written here. It ships to the host only inside the bundle (sha256 ${entry.sha256}).\n`);

    writeHostBundle(bundle, out, { includeSecrets: true });
    expect(readTree(out).get("files/etc/opendkim/keys/mail.private")).toBe(testRsaKeyPem());
    expect(fs.statSync(out).mode & 0o777).toBe(0o700);
  });

  it("replaces an earlier bundle but never writes into a directory that holds something else", () => {
    const out = tempDir();
    writeHostBundle(bundle, out, { includeSecrets: false });
    fs.writeFileSync(path.join(out, "files/stale"), "left from before");
    writeHostBundle(bundle, out, { includeSecrets: false });
    expect(fs.existsSync(path.join(out, "files/stale"))).toBe(false);

    const foreign = tempDir();
    fs.writeFileSync(path.join(foreign, "notes.txt"), "mine");
    expect(() => writeHostBundle(bundle, foreign, { includeSecrets: false })).toThrow(/is not empty and holds no earlier host bundle/);
    expect(fs.readFileSync(path.join(foreign, "notes.txt"), "utf8")).toBe("mine");
  });
});
