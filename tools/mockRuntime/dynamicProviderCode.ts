/**
 * Offline, a dynamic resource's `__provider` (its provider's serialized code, over a second per
 * process to compute) is a note: nothing runs that code and no tool shows it. That the provider
 * serializes and runs as the engine runs it is proven by
 * test/system/certificate/serializedProvider.test.ts.
 */

import { replaceDynamicProviderSerialization } from "../../policies/pulumiInternals";

/** What `__provider` holds in an offline run. */
export const offlineProviderCode = "(offline run: the dynamic provider's serialized code is not computed)";

let replaced = false;

/** For this process: dynamic resources register with the note above as their `__provider`. */
export function skipDynamicProviderSerialization(): void {
  if (replaced) return;
  replaceDynamicProviderSerialization(offlineProviderCode);
  replaced = true;
}
