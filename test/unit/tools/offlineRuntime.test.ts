import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { parseTenantConfig } from "../../../tenant/parseTenantConfig";
import { judgePasswordHash } from "../../../tenant/passwordHashes";
import { configNamespace } from "../../../tenant/tenantConfig";
import { offlineProviderCode, skipDynamicProviderSerialization } from "../../../tools/mockRuntime/dynamicProviderCode";
import { runProgramWithMocks } from "../../../tools/mockRuntime/runProgram";
import { listStacks, namespaceConfig, readStackConfig } from "../../../tools/mockRuntime/stackConfig";

const projectDir = resolve(__dirname, "../../..");
const workDir = mkdtempSync(join(tmpdir(), "offline-runtime-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function programDir(stacks: Record<string, string>): string {
  const dir = mkdtempSync(join(workDir, "program-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: penguinmails-mail\nruntime: nodejs\n");
  for (const [stack, text] of Object.entries(stacks)) writeFileSync(join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

/** The dev stack with a second mailbox whose hash was set as `pulumi config set --secret --path`. */
function devWithSecretHash(ciphertext: string): string {
  return readFileSync(join(projectDir, "Pulumi.dev.yaml"), "utf8").replace(
    "  penguinmails-mail:dkim:",
    `    - address: alice@tenant-one.example\n      passwordHash:\n        secure: ${ciphertext}\n  penguinmails-mail:dkim:`,
  );
}

describe("readStackConfig with a secret set inside a list", () => {
  it("stands in a mailbox's encrypted hash as a well-formed bcrypt hash the program accepts, and marks the key secret", () => {
    const dir = programDir({ a: devWithSecretHash("v1:AAAA1111"), b: devWithSecretHash("v1:BBBB2222"), c: devWithSecretHash("v1:AAAA1111") });
    const [a, b, c] = ["a", "b", "c"].map((stack) => readStackConfig(dir, stack));
    const hashOf = (config: typeof a) => (JSON.parse(config!.values[`${configNamespace}:mailboxes`]!) as Array<{ passwordHash: string }>)[1]!.passwordHash;
    expect(judgePasswordHash(hashOf(a))).toEqual({});
    expect(a!.secretKeys).toContain(`${configNamespace}:mailboxes`);
    // Derived from the ciphertext: setting the secret again shows as a change, the same one does not.
    expect(hashOf(a)).not.toBe(hashOf(b));
    expect(hashOf(a)).toBe(hashOf(c));
    expect(parseTenantConfig(namespaceConfig(a!, configNamespace)).ok).toBe(true);
  });

  it("keeps a plain list plain", () => {
    const config = readStackConfig(projectDir, "dev");
    expect(config.secretKeys).not.toContain(`${configNamespace}:mailboxes`);
  });
});

describe("listStacks", () => {
  it("lists the stack of every Pulumi.<stack>.yaml and .yml, sorted, and nothing else", () => {
    const dir = programDir({ "b.example": "config: {}\n", a: "config: {}\n" });
    writeFileSync(join(dir, "Pulumi.c.yml"), "config: {}\n");
    writeFileSync(join(dir, "Pulumi.yaml.bak"), "");
    expect(listStacks(dir)).toEqual(["a", "b.example", "c"]);
  });
});

describe("skipDynamicProviderSerialization", () => {
  // A provider object of its own each time: the SDK caches a serialization per provider object.
  const registerDynamic = async () => {
    const provider: pulumi.dynamic.ResourceProvider = { async create() { return { id: "x", outs: {} }; } };
    const dir = programDir({ t: "config: {}\n" });
    class Thing extends pulumi.dynamic.Resource {}
    const run = await runProgramWithMocks({ programDir: dir, stack: "t", program: () => void new Thing(provider, "thing", {}, {}) });
    return run.resources.find((r) => r.type === "pulumi-nodejs:dynamic:Resource")!.inputs.__provider;
  };

  it("leaves the SDK serializing a dynamic provider until asked, then registers the note instead", async () => {
    expect(String(await registerDynamic())).toMatch(/exports\.handler/);
    skipDynamicProviderSerialization();
    expect(await registerDynamic()).toBe(offlineProviderCode);
  });
});

describe("tools/cli/typescriptLoader.cjs", () => {
  const run = (file: string) =>
    spawnSync(process.execPath, ["--require", join(projectDir, "tools/cli/typescriptLoader.cjs"), file], { encoding: "utf8", timeout: 60_000 });

  it("runs TypeScript, names the .ts line in a stack trace, and compiles each version of a file once", () => {
    const file = join(workDir, `thrower-${randomUUID()}.ts`);
    writeFileSync(
      file,
      [
        "interface Shape { readonly sides: number }",
        "type Name = string;",
        "",
        "function fail(shape: Shape): Name {",
        "  throw new Error(`no name for ${shape.sides} sides`);",
        "}",
        "const loaded = Object.keys(require.cache).some((path) => path.includes('/typescript/lib/'));",
        "console.log(`typescript loaded: ${loaded}`);",
        "fail({ sides: 3 });",
      ].join("\n"),
    );
    const first = run(file);
    expect(first.stdout).toBe("typescript loaded: true\n");
    expect(first.stderr).toMatch(new RegExp(`Error: no name for 3 sides\\n {4}at fail \\(${file}:5:9\\)\\n {4}at Object\\.<anonymous> \\(${file}:9:1\\)`));
    const second = run(file);
    expect(second.stdout).toBe("typescript loaded: false\n");
    expect(second.stderr).toMatch(new RegExp(`at fail \\(${file}:5:9\\)`));
  });
});
