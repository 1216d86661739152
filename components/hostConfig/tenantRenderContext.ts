import { version as packageVersion } from "../../package.json";
import type { TenantConfig } from "../config/tenantConfig";
import { tenantMtaStsPolicy } from "../dns/mtaStsPolicy";
import { hostRenderContext, type HostRenderContext } from "./renderContext";

/** Every rendered host file names the tooling release that rendered it. */
export const hostBundleVersion = `penguinmails-mail ${packageVersion}`;

/** The render context of a tenant's host: one function, so the stack and the plan's --out agree. */
export function tenantHostRenderContext(config: TenantConfig): HostRenderContext {
  return hostRenderContext(config, hostBundleVersion, tenantMtaStsPolicy(config));
}
