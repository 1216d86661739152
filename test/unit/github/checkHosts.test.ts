// .github/scripts/check-hosts.sh, the scheduled workflow's certificate check, against a stand-in
// `npm` that lists hosts the way `npm run fleet -- list --hosts` does and answers
// `npm run check -- <host> --json` with the exit code of each host's level.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = resolve(__dirname, "../../../.github/scripts/check-hosts.sh");
const scratch = mkdtempSync(join(tmpdir(), "check-hosts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const standInNpm = `#!/usr/bin/env bash
# npm run --silent fleet -- list --hosts | npm run --silent check -- HOST --json
echo "$*" >>"$STAND_IN_DIR/npm-calls"
if [ "$3" = fleet ]; then [ -f "$STAND_IN_DIR/hosts" ] || exit 2; cat "$STAND_IN_DIR/hosts"; exit 0; fi
host=$5
code=$(awk -v h="$host" '$1 == h { print $2 }' "$STAND_IN_DIR/levels")
printf '{"host":"%s","exitCode":%s}\\n' "$host" "$code"
exit "$code"
`;

function setUp(name: string, hosts: Record<string, [string, number]> | undefined) {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "bin"), { recursive: true });
  writeFileSync(join(dir, "bin/npm"), standInNpm);
  chmodSync(join(dir, "bin/npm"), 0o755);
  if (hosts) {
    writeFileSync(join(dir, "hosts"), Object.entries(hosts).map(([stack, [host]]) => `${stack} ${host}\n`).join(""));
    writeFileSync(join(dir, "levels"), Object.values(hosts).map(([host, code]) => `${host} ${code}\n`).join(""));
  }
  writeFileSync(join(dir, "output"), "");
  writeFileSync(join(dir, "summary"), "");
  const result = spawnSync("bash", [script, join(dir, "out")], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, STAND_IN_DIR: dir, GITHUB_OUTPUT: join(dir, "output"), GITHUB_STEP_SUMMARY: join(dir, "summary"), CHECK_PARALLEL: "3" },
  });
  return { dir, result, read: (file: string) => readFileSync(join(dir, file), "utf8") };
}

describe("check-hosts.sh", () => {
  it("checks every host, counts alert levels and lists every host not ok, worst first", () => {
    const { dir, result, read } = setUp("mixed", {
      good: ["mail.good.example", 0],
      soon: ["mail.soon.example", 1],
      week: ["mail.week.example", 2],
      expired: ["mail.expired.example", 3],
      gone: ["mail.gone.example", 4],
      bad: ["mail.bad.example", 64],
    });
    expect(result.status, result.stderr).toBe(0);
    expect(read("output")).toBe("alerts=4\nwarnings=1\n");
    const calls = read("npm-calls").trim().split("\n").sort();
    expect(calls).toContain("run --silent fleet -- list --hosts");
    expect(calls).toContain("run --silent check -- mail.good.example --json");
    expect(calls.filter((call) => call.startsWith("run --silent check --"))).toHaveLength(6);
    expect(JSON.parse(read("out/week.json"))).toEqual({ host: "mail.week.example", exitCode: 2 });
    const summary = read("out/summary.md");
    expect(read("summary")).toBe(summary);
    expect(summary).toContain("### Certificate check of 6 mail host(s)");
    expect(summary).toContain("4 at alert level or worse, 1 at warning.");
    const rows = summary.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| stack"));
    expect(rows).toEqual([
      "| bad | mail.bad.example | check failed (exit 64) |",
      "| gone | mail.gone.example | unreachable |",
      "| expired | mail.expired.example | critical |",
      "| week | mail.week.example | alert |",
      "| soon | mail.soon.example | warning |",
    ]);
    expect(existsSync(join(dir, "out/good.json"))).toBe(true);
  });

  it("reports no alert when every host is ok, without a table", () => {
    const { result, read } = setUp("clean", { a: ["mail.a.example", 0], b: ["mail.b.example", 0] });
    expect(result.status).toBe(0);
    expect(read("output")).toBe("alerts=0\nwarnings=0\n");
    expect(read("out/summary.md")).not.toContain("| stack");
  });

  it("fails when the hosts cannot be listed", () => {
    const { result, read } = setUp("no-list", undefined);
    expect(result.status).not.toBe(0);
    expect(read("output")).toBe("");
  });
});
