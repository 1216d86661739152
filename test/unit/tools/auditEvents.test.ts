import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditTrail } from "../../../tools/audit/auditEvent";
import { diffOutcomeEvents } from "../../../tools/audit/diffEvents";
import { stackPlannedEvents } from "../../../tools/audit/planEvents";
import type { ResourceChange } from "../../../tools/diff/compareResources";
import type { StackDiff } from "../../../tools/diff/stackDiff";
import type { PolicyDiagnostic, PolicyReport } from "../../../tools/policy/evaluate";

const projectDir = resolve(__dirname, "../../..");
const workDir = mkdtempSync(join(tmpdir(), "audit-events-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const urn = (type: string, name: string, parents = "") => `urn:pulumi:dev::penguinmails-mail::${parents}${type}::${name}`;
const dropletUrn = urn("digitalocean:index/droplet:Droplet", "t-host-droplet");

const violation = (level: "mandatory" | "advisory", policyName: string): PolicyDiagnostic => ({
  policyName,
  policyPackName: "mail-security-baseline",
  policyPackVersion: "0.1.0",
  description: "d",
  message: "d\nwhy",
  enforcementLevel: level,
  urn: urn("cloudflare:index/dnsRecord:DnsRecord", "t-dns-spf"),
});

function diffWith(resources: ResourceChange[], introduced: PolicyDiagnostic[] = [], resolved: PolicyDiagnostic[] = []): StackDiff {
  const side = { pack: "p", mandatory: 0, advisory: 0, diagnostics: [] };
  return {
    stack: "dev",
    status: "changed",
    resources,
    counts: { create: 0, update: 0, replace: 0, delete: 0, same: 0 },
    loud: [{ urn: dropletUrn, title: "t", detail: "d" }],
    bundle: { files: [], problems: [] },
    dns: { before: [], after: [] },
    outputs: [],
    policy: { base: side, head: side, introduced, resolved },
  };
}

describe("diffOutcomeEvents", () => {
  it("names each change for what it does to the tenant, critical when it is a loud one, secrets left out", () => {
    const events = diffOutcomeEvents({
      stack: "dev",
      kind: "diff",
      diff: diffWith(
        [
          { urn: dropletUrn, type: "digitalocean:index/droplet:Droplet", name: "t-host-droplet", custom: true, kind: "replace", properties: [{ property: "region", before: "fra1", after: "ams3", secret: false, replaces: "r" }], notes: [] },
          { urn: urn("cloudflare:index/dnsRecord:DnsRecord", "t-dns-mail-a"), type: "cloudflare:index/dnsRecord:DnsRecord", name: "t-dns-mail-a", custom: true, kind: "update", properties: [{ property: "content", before: "192.0.2.1", secret: false, unknownUntil: "Droplet t-host-droplet" }], notes: [] },
          { urn: urn("tls:index/privateKey:PrivateKey", "t-dkim-old", "penguinmails:mail:DkimKeys$"), type: "tls:index/privateKey:PrivateKey", name: "t-dkim-old", custom: true, kind: "delete", properties: [], notes: [] },
          { urn: urn("command:remote:CopyToRemote", "upload"), type: "command:remote:CopyToRemote", name: "upload", custom: true, kind: "update", properties: [{ property: "source", before: "[secret]", after: "[secret]", secret: true }], notes: [] },
          { urn: urn("penguinmails:mail:MailHost", "t-host"), type: "penguinmails:mail:MailHost", name: "t-host", custom: false, kind: "create", properties: [], notes: [] },
        ],
        [violation("mandatory", "spf-softfail")],
        [violation("advisory", "dmarc-policy-enforced")],
      ),
    });
    expect(events.map((e) => [e.eventType, e.action, e.severity, e.resource])).toEqual([
      ["infrastructure.vps.replaced", "replace", "critical", "vps"],
      ["infrastructure.dns.changed", "update", "info", "dns-record"],
      ["infrastructure.dkim_key.deleted", "delete", "warning", "dkim-key"],
      ["infrastructure.config.changed", "update", "info", "host-config"],
      ["infrastructure.policy.violated", "view", "critical", "cloudflare:index/dnsRecord:DnsRecord"],
      ["infrastructure.policy.resolved", "view", "info", "cloudflare:index/dnsRecord:DnsRecord"],
    ]);
    expect(events[0]).toMatchObject({ tenantId: "dev", resourceId: dropletUrn, changeset: { before: { region: "fra1" }, after: { region: "ams3" } }, tags: expect.arrayContaining(["diff", "planned"]) });
    expect(events[1]!.changeset).toEqual({ before: { content: "192.0.2.1" }, after: { content: "(known after Droplet t-host-droplet is replaced)" } });
    expect(events[3]!.changeset).toEqual({ before: {}, after: {} });
  });

  it("records a stack that cannot be planned, and nothing for an unchanged one", () => {
    expect(diffOutcomeEvents({ stack: "x", kind: "error", side: "head", message: "m" })).toEqual([expect.objectContaining({ eventType: "infrastructure.stack.diff_failed", severity: "warning" })]);
    expect(diffOutcomeEvents({ stack: "x", kind: "skipped", reason: "r" })).toEqual([]);
  });
});

describe("stackPlannedEvents", () => {
  it("records the plan with its counts, and every violation", () => {
    const report = { mandatoryCount: 1, advisoryCount: 0, diagnostics: [violation("mandatory", "spf-softfail")] } as unknown as PolicyReport;
    const events = stackPlannedEvents("dev", 36, report);
    expect(events.map((e) => [e.eventType, e.severity])).toEqual([["infrastructure.stack.planned", "critical"], ["infrastructure.policy.violated", "critical"]]);
    expect(events[0]!.tags).toEqual(["plan", "offline", "resources:36", "mandatory:1", "advisory:0"]);
  });
});

describe("AuditTrail", () => {
  it("writes JSON lines with the same fields, in the same order, as the host's apply script", () => {
    const applyScript = readFileSync(join(projectDir, "hostBundle/apply/apply.sh"), "utf8");
    const functions = ["json_str", "audit"].map((name) => new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?^\\}$`, "m").exec(applyScript)?.[0]);
    expect(functions.every((f) => f !== undefined)).toBe(true);
    const hostLog = join(workDir, "host.jsonl");
    // stdin not a socket, or bash takes itself for a remote shell and reads ~/.bashrc.
    const bash = spawnSync("bash", ["--norc", "--noprofile", "-c", `${functions.join("\n")}\naudit infrastructure.config.applied update host-config abc123 info "host-config postfix" '{"before":{},"after":{}}'`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, AUDIT_LOG: hostLog, TENANT_ID: "tenant-one.example", ip_address: "198.51.100.25", USER_AGENT: "host-config", bundle_hash: "abc123" },
    });
    expect(bash.stderr).toBe("");
    const hostEvent = JSON.parse(readFileSync(hostLog, "utf8")) as Record<string, unknown>;

    const toolLog = join(workDir, "tools.jsonl");
    const trail = new AuditTrail("penguinmails-diff/offline");
    trail.record({ tenantId: "dev", eventType: "infrastructure.vps.replaced", action: "replace", resource: "vps", resourceId: dropletUrn, severity: "critical", changeset: { before: {}, after: {} }, tags: ["diff"] });
    trail.appendTo(toolLog);
    const toolEvent = JSON.parse(readFileSync(toolLog, "utf8")) as Record<string, unknown>;
    expect(Object.keys(toolEvent)).toEqual(Object.keys(hostEvent));
    expect(toolEvent.eventCategory).toBe(hostEvent.eventCategory);
    expect(toolEvent.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(hostEvent.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
