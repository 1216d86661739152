import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { hostBundleDataMarker } from "../../../../hostBundle/format/hostBundleArchive";

/** What host-bundle.sh unpacks, read with this machine's GNU tar: relative path -> mode and content. */
export function unpackUpload(packed: string): Map<string, { mode: number; content: string }> {
  const data = packed.slice(packed.indexOf(`\n${hostBundleDataMarker}\n`) + hostBundleDataMarker.length + 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pm-unpack-"));
  try {
    execFileSync("tar", ["-x", "-C", dir], { input: Buffer.from(data, "base64") });
    const files = new Map<string, { mode: number; content: string }>();
    const walk = (current: string) => {
      for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.set(path.relative(dir, full), { mode: fs.statSync(full).mode & 0o7777, content: fs.readFileSync(full, "utf8") });
      }
    };
    walk(dir);
    return files;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
