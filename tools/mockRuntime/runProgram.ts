import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { serializeWireProperties, skipUnreadStackCaptures, waitForRpcs } from "../../policies/pulumiInternals";
import { ResourceCapture, secretOutputsMocks, type CapturedResource } from "./capture";
import { deterministicMocks } from "./mocks";
import { readStackConfig, StackConfigError } from "./stackConfig";

export interface MockRunOptions {
  /** Directory holding Pulumi.yaml and the stack files. */
  readonly programDir: string;
  readonly stack: string;
  /**
   * The program to run; by default the directory's entry point, called if it exports a
   * function, as the engine does.
   */
  readonly program?: () => unknown;
  /** Run as a preview: values the mocks do not know stay unknown. */
  readonly preview?: boolean;
  /** Config overrides, `namespace:key` -> engine-encoded value. */
  readonly configOverrides?: Readonly<Record<string, string>>;
  readonly mocks?: pulumi.runtime.Mocks;
}

export interface MockRunResult {
  readonly project: string;
  readonly stack: string;
  readonly resources: CapturedResource[];
  /** Stack outputs, secret markers kept. */
  readonly outputs: Record<string, unknown>;
  /** What each component registered as its outputs, by URN, secret markers kept. */
  readonly componentOutputs: ReadonlyMap<string, Record<string, unknown>>;
}

/** The program's entry file, found as the Node.js language host finds it: package.json "main", else index. */
function entryPointPath(programDir: string): string {
  const packageJson = join(programDir, "package.json");
  const main = existsSync(packageJson) ? (JSON.parse(readFileSync(packageJson, "utf8")) as { main?: string }).main : undefined;
  const candidates = [main, "index.ts", "index.js"].filter((c): c is string => c !== undefined).map((c) => resolve(programDir, c));
  const found = candidates.find(existsSync);
  if (!found) throw new StackConfigError(`${programDir}: no program entry point (package.json "main", index.ts or index.js)`);
  return found;
}

function loadEntryPoint(programDir: string): () => Promise<unknown> {
  return async () => {
    const entry = entryPointPath(programDir);
    // require() where a CommonJS TypeScript hook is registered (the tools run under tsx/cjs, whose
    // require path skips the ESM loader's per-module round trips); import() elsewhere (vitest).
    const module = (".ts" in require.extensions ? require(entry) : await import(pathToFileURL(entry).href)) as { default?: unknown };
    const exported = module.default ?? module;
    return typeof exported === "function" ? await (exported as () => unknown)() : exported;
  };
}

/**
 * Runs a Pulumi program in this process under the mock runtime with a stack's config, and
 * returns every resource it registered once all registrations have finished.
 */
export async function runProgramWithMocks(options: MockRunOptions): Promise<MockRunResult> {
  const stackConfig = readStackConfig(options.programDir, options.stack);
  skipUnreadStackCaptures();
  const capture = new ResourceCapture();
  const mocks = secretOutputsMocks(options.mocks ?? deterministicMocks, (type, name) => capture.secretOutputs.get(`${type}::${name}`) ?? []);
  await pulumi.runtime.setMocks(mocks, stackConfig.project, stackConfig.stack, options.preview ?? false);
  pulumi.runtime.setAllConfig({ ...stackConfig.values, ...options.configOverrides }, stackConfig.secretKeys);
  capture.install();

  const program = options.program ?? loadEntryPoint(options.programDir);
  // A resource whose input fails to resolve (an apply callback that throws) is never registered,
  // and its error surfaces only as an unhandled rejection: the engine fails the deployment on it,
  // so the run fails too instead of returning a plan without that resource.
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  let rawOutputs: Record<string, unknown> | undefined;
  try {
    rawOutputs = await pulumi.runtime.runInPulumiStack(async () => await program());
    await waitForRpcs();
    await capture.whenIdle();
    await new Promise((resolveTick) => setImmediate(resolveTick));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (rejections.length > 0) throw rejections[0];

  const stackResource = capture.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = rawOutputs ? await serializeWireProperties("outputs", rawOutputs) : {};
  if (stackResource) stackResource.outputs = outputs;
  return { project: stackConfig.project, stack: stackConfig.stack, resources: capture.resources, outputs, componentOutputs: capture.componentOutputs };
}
