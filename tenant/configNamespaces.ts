/**
 * The config namespaces a tenant stack may set: ours, the providers' (only the keys each provider
 * reads) and Pulumi's own. Any other key is a typo that would silently do nothing: a misspelt
 * `penguinmail-mail:dmarc` would leave DMARC at p=none while the operator believes it rejects.
 */

import { displayValue } from "./displayValue";
import { configNamespace, type ConfigProblem } from "./tenantConfig";

/**
 * The keys each provider this program uses reads (its config/vars.d.ts); a test compares them
 * with the installed packages, so an upgrade that adds one is noticed.
 */
export const providerConfigKeys: Readonly<Record<string, readonly string[]>> = {
  digitalocean: ["apiEndpoint", "httpRetryMax", "httpRetryWaitMax", "httpRetryWaitMin", "requestsPerSecond", "spacesAccessId", "spacesEndpoint", "spacesSecretKey", "token"],
  cloudflare: ["apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix"],
  tls: ["proxy"],
  command: [],
};

/** Pulumi's own namespace (pulumi:tags, pulumi:disable-default-providers, ...): the CLI checks it. */
const engineNamespace = "pulumi";

export function configNamespaceProblems(keys: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of keys) {
    const colon = key.indexOf(":");
    const namespace = colon < 0 ? "" : key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (namespace === configNamespace || namespace === engineNamespace) continue;
    const known = providerConfigKeys[namespace];
    const shown = /^[A-Za-z0-9_.:-]+$/.test(key) ? key : displayValue(key);
    if (!known) {
      problems.push({
        key: shown,
        message: `is in no namespace this program or its providers read (${[configNamespace, ...Object.keys(providerConfigKeys), engineNamespace].join(", ")}); check the spelling of the namespace`,
      });
    } else if (!known.includes(name)) {
      problems.push({ key: shown, message: `is not a setting of the ${namespace} provider (${known.join(", ") || "it reads none"})` });
    }
  }
  return problems;
}
