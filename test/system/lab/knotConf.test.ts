import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderKnotConf } from "../../../tools/lab/dns/knotConf";

const dir = mkdtempSync(join(tmpdir(), "knot-conf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confCheck(text: string): { ok: boolean; output: string } {
  const file = join(dir, "knot.conf");
  writeFileSync(file, text);
  try {
    return { ok: true, output: execFileSync("knotc", ["-c", file, "conf-check"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
  }
}

describe("knot.conf as knotc reads it", () => {
  it("accepts every option together: two listeners, control socket, pid file, log file, TSIG key, signed and unsigned zones", () => {
    const text = renderKnotConf({
      dir,
      listen: ["127.0.0.1@5353", "::1@5353"],
      controlSocket: join(dir, "knot.sock"),
      pidFile: join(dir, "knot.pid"),
      logFile: join(dir, "knot.log"),
      hideIdentity: true,
      txtUpdateKey: { name: "acme-update", algorithm: "hmac-sha256", secret: Buffer.alloc(32, 7).toString("base64") },
      zones: [
        { domain: ".", file: "root.zone", signed: true },
        { domain: "tenant.test.", file: "tenant.zone" },
      ],
    });
    const check = confCheck(text);
    expect(check.ok, check.output).toBe(true);
    expect(text).toContain("update-type: [TXT]");
    expect(text).toMatch(/domain: "\."\n {4}file: "root\.zone"\n {4}dnssec-signing: on\n {4}dnssec-policy: stable/);
    expect(text).not.toMatch(/domain: "tenant\.test\."\n {4}file: "tenant\.zone"\n {4}dnssec-signing/);
  });

  it("has no policy section when no zone is signed, and knotc still accepts it", () => {
    const text = renderKnotConf({ dir, listen: ["127.0.0.1@5353"], zones: [{ domain: "acme.test", file: "acme.test.zone" }] });
    expect(text).not.toContain("policy:");
    expect(confCheck(text).ok).toBe(true);
  });

  it("refuses a value that would end its quotes, rather than write a file knotc reads differently", () => {
    expect(() => renderKnotConf({ dir: `${dir}"\nserver:`, listen: ["127.0.0.1@53"], zones: [] })).toThrow(/holds a quote, backslash or newline/);
    expect(() => renderKnotConf({ dir, listen: ["127.0.0.1@53"], zones: [{ domain: "a.test", file: 'x"y' }] })).toThrow(/"x\\"y"/);
  });
});
