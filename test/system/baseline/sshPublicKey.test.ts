import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSshPublicKey } from "../../../baseline/sshPublicKey";

const dir = mkdtempSync(join(tmpdir(), "sshkey-test-"));
let generated = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real key from ssh-keygen, with the fingerprint ssh-keygen itself reports. */
function keygen(type: string, bits?: number): { line: string; fingerprint: string } {
  const file = join(dir, `${type}-${bits ?? 0}-${generated++}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", String(bits)] : []), "-N", "", "-C", "admin@test", "-f", file]);
  const fingerprint = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1]!;
  return { line: readFileSync(`${file}.pub`, "utf8").trim(), fingerprint };
}

describe("parseSshPublicKey", () => {
  it.each([["ed25519", undefined], ["ecdsa", 384], ["rsa", 3072]] as const)("accepts %s keys with ssh-keygen's fingerprint", (type, bits) => {
    const key = keygen(type, bits);
    const parsed = parseSshPublicKey(key.line);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.key.sha256Fingerprint).toBe(key.fingerprint);
    expect(parsed.key.comment).toBe("admin@test");
    expect(parsed.key.canonical).toBe(key.line.replace(/ admin@test$/, ""));
    if (type === "rsa") expect(parsed.key.rsaBits).toBe(3072);
  });

  it("rejects a 2048-bit RSA key, naming its size", () => {
    const parsed = parseSshPublicKey(keygen("rsa", 2048).line);
    expect(parsed).toEqual({ ok: false, error: expect.stringMatching(/RSA key is 2048 bits; at least 3072/) });
  });

  it("rejects a key whose data was truncated", () => {
    const { line } = keygen("rsa", 3072);
    const [type, data] = line.split(" ");
    const parsed = parseSshPublicKey(`${type} ${data!.slice(0, 200)}`);
    expect(parsed.ok).toBe(false);
  });
});
