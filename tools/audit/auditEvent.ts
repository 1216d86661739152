/**
 * Infrastructure events of the tools (plan, diff, fleet) as JSON lines in the spec's AuditLog
 * shape, the same shape the host's apply script writes to /var/log/penguinmails/audit.jsonl, so
 * one log pipeline reads both streams.
 */

import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

export type AuditSeverity = "info" | "warning" | "critical";

/** The spec's AuditLog (docs/security-features, "Log Structure"), as the tools fill it. */
export interface AuditLog {
  readonly id: string;
  /** The tenant's mail domain, as the host's apply script names it (stackTenantIds in tenantId.ts). */
  readonly tenantId: string;
  readonly timestamp: string;
  /** `infrastructure.<what>.<happened>`, e.g. `infrastructure.dns.changed`. */
  readonly eventType: string;
  readonly eventCategory: "infrastructure";
  readonly action: "create" | "update" | "delete" | "replace" | "view";
  readonly resource: string;
  readonly resourceId?: string;
  /** The tools run on an operator's machine or a CI runner: no client address to record. */
  readonly ipAddress: string;
  readonly userAgent: string;
  /** One id per tool run, shared by every event of that run. */
  readonly requestId: string;
  readonly changeset?: { readonly before: object; readonly after: object };
  readonly severity: AuditSeverity;
  readonly tags: readonly string[];
}

/** An event as the tools build it: `tenantId` holds the stack, which AuditTrail names by its tenant. */
export type AuditEventInput = Pick<AuditLog, "tenantId" | "eventType" | "action" | "resource" | "severity"> &
  Partial<Pick<AuditLog, "resourceId" | "changeset" | "tags">>;

/** Builds the events of one tool run: the run's id and user agent on every event. */
export class AuditTrail {
  readonly requestId = randomUUID();
  private readonly events: AuditLog[] = [];

  constructor(
    private readonly userAgent: string,
    private readonly now: () => Date = () => new Date(),
    /** The tenant a stack serves (tenantId.ts); the stack's own name by default. */
    private readonly tenantOf: (stack: string) => string = (stack) => stack,
  ) {}

  record(input: AuditEventInput): AuditLog {
    const event: AuditLog = {
      id: randomUUID(),
      tenantId: this.tenantOf(input.tenantId),
      timestamp: this.now().toISOString(),
      eventType: input.eventType,
      eventCategory: "infrastructure",
      action: input.action,
      resource: input.resource,
      ...(input.resourceId === undefined ? {} : { resourceId: input.resourceId }),
      ipAddress: "",
      userAgent: this.userAgent,
      requestId: this.requestId,
      ...(input.changeset === undefined ? {} : { changeset: input.changeset }),
      severity: input.severity,
      tags: input.tags ?? [],
    };
    this.events.push(event);
    return event;
  }

  get recorded(): readonly AuditLog[] {
    return this.events;
  }

  /** Appends the recorded events as JSON lines (the file is a log: never truncated). */
  appendTo(path: string): void {
    if (this.events.length === 0) return;
    appendFileSync(path, this.events.map((event) => `${JSON.stringify(event)}\n`).join(""), { mode: 0o640 });
  }

  private appendedCount = 0;

  /** Appends the events recorded since the last call: a long run logs each outcome as it happens. */
  appendNewTo(path: string): void {
    const fresh = this.events.slice(this.appendedCount);
    if (fresh.length === 0) return;
    appendFileSync(path, fresh.map((event) => `${JSON.stringify(event)}\n`).join(""), { mode: 0o640 });
    this.appendedCount = this.events.length;
  }
}
