// One audit event per stack outcome, typed from Pulumi's resourceChanges.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditTrail } from "../../../../tools/audit/auditEvent";
import { stackAuditEvent } from "../../../../tools/fleet/auditEvents";
import type { StackOutcome } from "../../../../tools/fleet/stackOperation";

const done = (changes: StackOutcome["changes"]): StackOutcome => ({ stack: "acme", status: "succeeded", changes });

describe("stackAuditEvent", () => {
  it.each([
    ["up", done({ create: 14 }), "infrastructure.stack.provisioned", "create", "info"],
    ["up", done({ same: 12, update: 2 }), "infrastructure.stack.updated", "update", "info"],
    ["up", done({ same: 12, replace: 1 }), "infrastructure.stack.updated", "replace", "info"],
    ["up", done({ same: 14 }), "infrastructure.stack.unchanged", "view", "info"],
    ["up", done({ same: 13, create: 1 }), "infrastructure.stack.updated", "update", "info"],
    ["refresh", done({ same: 14 }), "infrastructure.stack.refreshed", "view", "info"],
    ["refresh", done({ same: 13, update: 1 }), "infrastructure.stack.drift_adopted", "update", "warning"],
    ["preview", done({ same: 13, update: 1 }), "infrastructure.stack.previewed", "view", "info"],
    ["up", { stack: "acme", status: "failed", error: "error: x" }, "infrastructure.stack.up_failed", "update", "critical"],
    ["up", { stack: "acme", status: "cancelled" }, "infrastructure.stack.up_cancelled", "update", "critical"],
    ["refresh", { stack: "acme", status: "failed" }, "infrastructure.stack.refresh_failed", "update", "warning"],
    ["preview", { stack: "acme", status: "cancelled" }, "infrastructure.stack.preview_cancelled", "view", "warning"],
  ] as const)("%s %j is %s", (operation, outcome, eventType, action, severity) => {
    expect(stackAuditEvent(operation, outcome)).toMatchObject({ tenantId: "acme", resource: "stack", resourceId: "acme", eventType, action, severity });
  });

  it("tags the run's tool, operation and change counts", () => {
    expect(stackAuditEvent("up", done({ update: 2, same: 12 }))?.tags).toEqual(["fleet", "up", "same:12", "update:2"]);
  });

  it("records nothing for a stack that never started", () => {
    expect(stackAuditEvent("up", { stack: "acme", status: "not started" })).toBeUndefined();
  });

  it("appends each outcome once, in the AuditLog shape, as the run goes", () => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-audit-"));
    try {
      const log = join(dir, "audit.jsonl");
      const trail = new AuditTrail("penguinmails-fleet/test", () => new Date("2026-11-29T12:00:00Z"));
      trail.record(stackAuditEvent("up", done({ create: 3 }))!);
      trail.appendNewTo(log);
      trail.record(stackAuditEvent("up", { stack: "beta", status: "failed" })!);
      trail.appendNewTo(log);
      trail.appendNewTo(log);
      const lines = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => line.eventType)).toEqual(["infrastructure.stack.provisioned", "infrastructure.stack.up_failed"]);
      expect(Object.keys(lines[0]!)).toEqual(["id", "tenantId", "timestamp", "eventType", "eventCategory", "action", "resource", "resourceId", "ipAddress", "userAgent", "requestId", "severity", "tags"]);
      expect(lines[0]).toMatchObject({ timestamp: "2026-11-29T12:00:00.000Z", eventCategory: "infrastructure", userAgent: "penguinmails-fleet/test", requestId: trail.requestId });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
