// A config key outside the namespaces the program reads is an error, never silently ignored.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configNamespaceProblems, providerConfigKeys } from "../../../tenant/configNamespaces";

const projectDir = resolve(__dirname, "../../..");

describe("config namespaces", () => {
  it("refuse a misspelt namespace, naming the key, so penguinmail-mail:dmarc cannot leave DMARC at p=none", () => {
    expect(configNamespaceProblems(["penguinmail-mail:dmarc", "penguinmails-mail:dmarc", "digitalocean:token", "pulumi:tags"])).toEqual([
      { key: "penguinmail-mail:dmarc", message: expect.stringMatching(/^is in no namespace this program or its providers read \(penguinmails-mail, digitalocean, cloudflare, tls, command, pulumi\)/) },
    ]);
  });

  it("refuse a key a provider does not read, and show a key with control characters quoted", () => {
    expect(configNamespaceProblems(["digitalocean:tokn", "cloudflare:apiToken"])).toEqual([
      { key: "digitalocean:tokn", message: expect.stringMatching(/^is not a setting of the digitalocean provider \(apiEndpoint, .*token\)$/) },
    ]);
    const [problem] = configNamespaceProblems(["evil\u001b[2J:x"]);
    expect(problem!.key).toBe('"evil\\u001b[2J:x"');
  });

  it("know exactly the keys each installed provider reads (its config/vars.d.ts)", () => {
    for (const [provider, keys] of Object.entries(providerConfigKeys)) {
      let declared: string[] = [];
      try {
        declared = [...readFileSync(join(projectDir, "node_modules/@pulumi", provider, "config/vars.d.ts"), "utf8").matchAll(/export declare const (\w+)/g)].map((m) => m[1]!);
      } catch {
        declared = [];
      }
      expect([...keys].sort(), provider).toEqual(declared.sort());
    }
  });
});
