// `npm run fleet` driving a stand-in `pulumi` through the Automation API: the commands and
// environment each stack's CLI gets, the concurrency bound, a failure that stops nothing, logs and
// audit events per stack, and Ctrl-C that cancels cleanly and leaves no process behind.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditLog } from "../../../tools/audit/auditEvent";
import { duplicateSignalWindowMs } from "../../../tools/fleet/processGroup";
import { FleetHarness, groupMembers, isAlive, mostAtOnce, type StandInStack } from "../../support/fleet/fleetHarness";

let harness: FleetHarness | undefined;
afterEach(() => {
  harness?.cleanup();
  harness = undefined;
});

function setUp(stacks: Record<string, StandInStack | undefined>, version?: string): FleetHarness {
  harness = new FleetHarness(stacks, version);
  return harness;
}

function auditEvents(file: string): AuditLog[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as AuditLog);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await pause(50);
  }
}

describe("fleet up, preview and refresh", () => {
  it("runs up on every stack with the policy pack, at most --parallel at once, with a log and an audit event each", async () => {
    const stacks = Object.fromEntries(
      ["s1", "s2", "s3", "s4", "s5"].map((stack, index): [string, StandInStack] => [stack, { mode: "succeed", delayMs: 600, changes: index === 0 ? { create: 14 } : { same: 13, update: 1 } }]),
    );
    const fleet = setUp(stacks);
    const logDir = join(fleet.root, "logs");
    const auditLog = join(fleet.root, "audit.jsonl");
    const { code, stdout, stderr } = await fleet.run(["up", "--program", fleet.programDir, "--parallel", "2", "--log-dir", logDir, "--audit-log", auditLog], { env: { DIGITALOCEAN_TOKEN: "stand-in-token" } });
    expect(stderr).toBe("");
    expect(code).toBe(0);

    const calls = fleet.calls();
    expect(calls.filter((call) => call.args[0] === "version")).toHaveLength(1);
    const ups = fleet.operations();
    expect([...ups.keys()].sort()).toEqual(Object.keys(stacks));
    for (const [stack, call] of ups) {
      expect(call.args.slice(0, 3)).toEqual(["up", "--yes", "--skip-preview"]);
      expect(call.args).toEqual(expect.arrayContaining(["--diff", "--non-interactive"]));
      expect(call.args[call.args.indexOf("--policy-pack") + 1]).toBe(join(fleet.programDir, "policies"));
      expect(call.args[call.args.indexOf("--exec-kind") + 1]).toBe("auto.local");
      expect(call.args[call.args.indexOf("--stack") + 1]).toBe(stack);
      expect(call.cwd).toBe(fleet.programDir);
      expect(call.env).toMatchObject({ PULUMI_AUTOMATION_API: "true", PULUMI_SKIP_UPDATE_CHECK: "true", DIGITALOCEAN_TOKEN: "stand-in-token" });
      expect(calls.some((other) => other.args[0] === "stack" && other.args[1] === "select" && other.args.includes(stack))).toBe(true);
      expect(readFileSync(join(logDir, `${stack}.log`), "utf8")).toMatch(new RegExp(`^# pulumi up of stack ${stack}, started [^\\n]+\\nUpdating \\(${stack}\\)[\\s\\S]*# up succeeded in [\\d.]+ s\\n$`));
    }
    expect(mostAtOnce([...ups.values()])).toBe(2);
    // The summary is read back from the stack's history without its secret config.
    const histories = calls.filter((call) => call.args[0] === "stack" && call.args[1] === "history");
    expect(histories).toHaveLength(5);
    for (const call of histories) expect(call.args).not.toContain("--show-secrets");

    expect(stdout).toMatch(/^s1 +succeeded +create 14 +[\d.]+ s +\S+s1\.log$/m);
    expect(stdout).toMatch(/^s2 +succeeded +update 1, 13 unchanged /m);
    expect(stdout).toContain("\n5 succeeded\n");
    const events = auditEvents(auditLog);
    expect(events.map((event) => [event.tenantId, event.eventType, event.severity]).sort()).toEqual([
      ["s1", "infrastructure.stack.provisioned", "info"],
      ["s2", "infrastructure.stack.updated", "info"],
      ["s3", "infrastructure.stack.updated", "info"],
      ["s4", "infrastructure.stack.updated", "info"],
      ["s5", "infrastructure.stack.updated", "info"],
    ]);
    expect(new Set(events.map((event) => event.requestId)).size).toBe(1);
    expect(events[0]!.userAgent).toMatch(/^penguinmails-fleet\/\S+ \(pulumi \d+\.\d+\.\d+\)$/);
  });

  it.each([
    ["3.248.0", /^tcp:\/\/127\.0\.0\.1:\d+$/],
    ["3.205.0", /eventlog\.txt$/],
  ])("previews with the change summary the CLI %s sends in its engine events", async (version, eventLog) => {
    const fleet = setUp({ tenant: { mode: "succeed", changes: { create: 3, same: 2 } } }, version);
    const { code, stdout } = await fleet.run(["preview", "--program", fleet.programDir, "--log-dir", join(fleet.root, "logs")]);
    expect(code).toBe(0);
    const call = fleet.operations().get("tenant")!;
    expect(call.args[call.args.indexOf("--event-log") + 1]).toMatch(eventLog);
    expect(call.args).toEqual(expect.arrayContaining(["--diff", "--policy-pack", join(fleet.programDir, "policies")]));
    expect(stdout).toMatch(/^tenant +succeeded +create 3, 2 unchanged /m);
  });

  it("refreshes without a policy pack and records adopted drift as a warning", async () => {
    const fleet = setUp({ drifted: { mode: "succeed", changes: { same: 13, update: 1 } }, steady: { mode: "succeed", changes: { same: 14 } } });
    const auditLog = join(fleet.root, "audit.jsonl");
    const { code } = await fleet.run(["refresh", "--program", fleet.programDir, "--log-dir", join(fleet.root, "logs"), "--audit-log", auditLog]);
    expect(code).toBe(0);
    for (const call of fleet.operations().values()) {
      expect(call.args.slice(0, 3)).toEqual(["refresh", "--skip-preview", "--yes"]);
      expect(call.args).not.toContain("--policy-pack");
    }
    expect(auditEvents(auditLog).map((event) => [event.tenantId, event.eventType, event.severity]).sort()).toEqual([
      ["drifted", "infrastructure.stack.drift_adopted", "warning"],
      ["steady", "infrastructure.stack.refreshed", "info"],
    ]);
  });

  it("keeps going past a failed stack and one missing from the backend, then exits 1", async () => {
    const fleet = setUp({ a: { mode: "fail", delayMs: 100 }, b: undefined, c: { mode: "succeed", changes: { create: 2 } } });
    const auditLog = join(fleet.root, "audit.jsonl");
    const { code, stdout } = await fleet.run(["up", "--program", fleet.programDir, "--parallel", "1", "--log-dir", join(fleet.root, "logs"), "--audit-log", auditLog]);
    expect(code).toBe(1);
    expect(fleet.operations().get("c")!.exitCode).toBe(0);
    expect(fleet.operations().has("b")).toBe(false);
    expect(stdout).toMatch(/^a +failed +error: digitalocean:index\/droplet:Droplet mail: stand-in failure of stack a /m);
    expect(stdout).toMatch(/^b +failed +error: no stack named 'b' found /m);
    expect(stdout).toMatch(/^c +succeeded +create 2 /m);
    expect(stdout).toContain("\n1 succeeded, 2 failed\n");
    expect(readFileSync(join(fleet.root, "logs/a.log"), "utf8")).toContain("# up failed after");
    expect(auditEvents(auditLog).map((event) => [event.tenantId, event.eventType, event.severity])).toEqual([
      ["a", "infrastructure.stack.up_failed", "critical"],
      ["b", "infrastructure.stack.up_failed", "critical"],
      ["c", "infrastructure.stack.provisioned", "info"],
    ]);
  });
});

describe("fleet interrupted", () => {
  it("cancels the running stacks with one interrupt each, starts no other, exits 130 and leaves no process", async () => {
    const fleet = setUp({ h1: { mode: "hang" }, h2: { mode: "hang" }, q1: { mode: "succeed" }, q2: { mode: "succeed" } });
    const auditLog = join(fleet.root, "audit.jsonl");
    const run = fleet.start(["up", "--program", fleet.programDir, "--parallel", "2", "--log-dir", join(fleet.root, "logs"), "--audit-log", auditLog]);
    await fleet.operationsStarted(2);
    // A terminal's Ctrl-C under npm reaches the fleet twice, directly and forwarded by npm.
    run.child.kill("SIGINT");
    await pause(30);
    run.child.kill("SIGINT");
    const { code, stdout, stderr } = await run.exited;
    expect(code).toBe(130);
    expect(stderr).toContain("interrupted: no further stack starts; 2 running pulumi operation(s) asked to stop");
    const operations = fleet.operations();
    expect([...operations.keys()].sort()).toEqual(["h1", "h2"]);
    for (const call of operations.values()) {
      expect(call.signals.map((signal) => signal.signal)).toEqual(["SIGINT"]);
      expect(call.exitCode).toBe(255);
      // The pulumi processes ran in the fleet's own process group, away from the terminal's.
      expect(call.pgrp).toBe(call.ppid);
      expect(call.pgrp).not.toBe(run.child.pid);
    }
    expect(fleet.calls().some((call) => call.args.includes("q1") || call.args.includes("q2"))).toBe(false);
    expect(stdout).toMatch(/^h1 +cancelled +error: update canceled /m);
    expect(stdout).toMatch(/^q1 +not started$/m);
    expect(stdout).toContain("\n2 cancelled, 2 not started\n");
    expect(fleet.calls().filter((call) => isAlive(call.pid))).toEqual([]);
    expect(groupMembers(operations.get("h1")!.pgrp)).toEqual([]);
    expect(auditEvents(auditLog).map((event) => [event.tenantId, event.eventType, event.severity]).sort()).toEqual([
      ["h1", "infrastructure.stack.up_cancelled", "critical"],
      ["h2", "infrastructure.stack.up_cancelled", "critical"],
    ]);
  });

  it("passes a second interrupt on, which stops pulumi at once", async () => {
    const fleet = setUp({ busy: { mode: "stubborn" } });
    const run = fleet.start(["up", "--program", fleet.programDir, "--log-dir", join(fleet.root, "logs")]);
    await fleet.operationsStarted(1);
    run.child.kill("SIGINT");
    const call = () => fleet.operations().get("busy")!;
    await until(() => call().signals.length > 0);
    // A second interrupt within the supervisor's duplicate window would count as the same Ctrl-C.
    await pause(Math.max(0, call().signals[0]!.at + duplicateSignalWindowMs + 200 - Date.now()));
    expect(call().signals).toHaveLength(1);
    expect(isAlive(call().pid)).toBe(true);
    run.child.kill("SIGINT");
    const { code, stdout, stderr } = await run.exited;
    expect(code).toBe(130);
    expect(stderr).toContain("interrupted again: 1 pulumi operation(s) told to stop at once");
    expect(call().signals).toHaveLength(2);
    expect(stdout).toMatch(/^busy +cancelled +error: update terminated /m);
  });

  it("kills a stack that ignores interrupts once --cancel-timeout has passed", async () => {
    const fleet = setUp({ deaf: { mode: "deaf" } });
    const run = fleet.start(["up", "--program", fleet.programDir, "--log-dir", join(fleet.root, "logs"), "--cancel-timeout", "1"]);
    await fleet.operationsStarted(1);
    run.child.kill("SIGINT");
    const { code, stderr } = await run.exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/still running 1 s after the interrupt: killing \d+ process\(es\)/);
    const call = fleet.operations().get("deaf")!;
    expect(call.endedAt).toBeUndefined();
    expect(isAlive(call.pid)).toBe(false);
    expect(groupMembers(call.pgrp)).toEqual([]);
  });
});

describe("fleet input", () => {
  it("refuses bad arguments in one line before running anything", async () => {
    const fleet = setUp({ a: { mode: "succeed" } });
    const cases: [readonly string[], number, RegExp][] = [
      [["up", "--program", fleet.programDir, "--stacks", "a,zz"], 2, /^error: --stacks: no Pulumi\.zz\.yaml in \S+ \(its stacks: a\)$/],
      [["up", "--program", fleet.programDir, "--stacks", "../x"], 2, /^error: option '--stacks <names>' argument '\.\.\/x' is invalid\. "\.\.\/x" is not a stack name/],
      [["up", "--program", fleet.programDir, "--parallel", "0"], 2, /expected between 1 and 64, got 0/],
      [["destroy"], 2, /^error: unknown command 'destroy'/],
      [["up", "--program", fleet.programDir, "--policy-pack", fleet.root], 2, /^error: --policy-pack \S+: no PulumiPolicy\.yaml there$/],
      [["up", "--program", fleet.programDir, "--log-dir", fleet.programDir], 4, /^error: --log-dir \S+: is not empty/],
      [["up", "--program", fleet.programDir, "--audit-log", join(fleet.root, "no/such/dir/audit.jsonl")], 4, /^error: --audit-log \S+: the directory \S+ does not exist$/],
    ];
    for (const [args, expectedCode, message] of cases) {
      const { code, stdout, stderr } = await fleet.run(args);
      expect(stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stderr.trim(), args.join(" ")).toMatch(message);
      expect(code, args.join(" ")).toBe(expectedCode);
      expect(stdout).toBe("");
    }
    expect(fleet.operations().size).toBe(0);
  });

  it("says so when no usable pulumi CLI is on PATH", async () => {
    const fleet = setUp({ a: { mode: "succeed" } });
    const missing = await fleet.run(["up", "--program", fleet.programDir, "--log-dir", join(fleet.root, "logs1")], { pathWithoutPulumi: true });
    expect(missing.stderr.trim()).toBe("error: no pulumi CLI on PATH: install it (https://www.pulumi.com/docs/install/) and try again");
    expect(missing.code).toBe(2);
    harness!.cleanup();
    const old = setUp({ a: { mode: "succeed" } }, "3.1.0");
    const tooOld = await old.run(["up", "--program", old.programDir, "--log-dir", join(old.root, "logs2")]);
    expect(tooOld.stderr.trim()).toMatch(/^error: the pulumi CLI cannot be used: Minimum version requirement failed\. The minimum CLI version requirement is 3\.2\.0-alpha, your current CLI version is v3\.1\.0\. Please update the Pulumi CLI\.$/);
    expect(tooOld.code).toBe(2);
    expect(old.operations().size).toBe(0);
  });

  it("lists the stacks and their mail hosts for the workflows", async () => {
    const fleet = setUp({ beta: { mode: "succeed" }, alpha: { mode: "succeed" } });
    const json = await fleet.run(["list", "--program", fleet.programDir, "--hosts", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      { stack: "alpha", host: "mail.alpha.example" },
      { stack: "beta", host: "mail.beta.example" },
    ]);
    const limited = await fleet.run(["list", "--program", fleet.programDir, "--limit", "1"]);
    expect(limited.stdout).toBe("alpha\n");
    expect(limited.stderr).toBe("1 more stack(s) not listed (--limit 1): beta\n");
    expect(fleet.calls()).toEqual([]);
  });
});
