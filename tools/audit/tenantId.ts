/**
 * The tenant an event is about, named as the host's apply script names it in its own audit log:
 * the tenant's mail domain. The tools work by stack, so they map each stack to the domain its
 * stack file sets; a stack whose file cannot be read, or sets no valid domain, stays named by the
 * stack.
 */

import { isHostname } from "../../baseline/dns/domainName";
import { configNamespace } from "../../tenant/tenantConfig";
import { readStackConfig } from "../mockRuntime/stackConfig";

export function stackTenantIds(programDir: string): (stack: string) => string {
  const known = new Map<string, string>();
  return (stack) => {
    let tenant = known.get(stack);
    if (tenant === undefined) {
      try {
        const domain = String(readStackConfig(programDir, stack).values[`${configNamespace}:domain`] ?? "").trim().toLowerCase().replace(/\.$/, "");
        tenant = isHostname(domain) ? domain : stack;
      } catch {
        tenant = stack;
      }
      known.set(stack, tenant);
    }
    return tenant;
  };
}
