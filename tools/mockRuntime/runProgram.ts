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
  /** How long the program may take to declare and register everything; default 120 s. */
  readonly timeoutMs?: number;
}

/** The program did not finish: it ran past its time, or stopped with nothing left to wait for. */
export class ProgramTimeoutError extends Error {
  override name = "ProgramTimeoutError";
}

export const defaultProgramTimeoutMs = 120_000;

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
export function entryPointPath(programDir: string): string {
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
  // Every resource the program constructs, so a run that never finishes can name what it waits on.
  const constructed: string[] = [];
  const recordConstruction: pulumi.ResourceTransformation = (args) => {
    constructed.push(`${args.type} "${args.name}"`);
    return undefined;
  };
  // A resource whose input fails to resolve (an apply callback that throws) is never registered,
  // and its error surfaces only as an unhandled rejection: the engine fails the deployment on it,
  // so the run fails too instead of returning a plan without that resource.
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  process.on("unhandledRejection", onRejection);
  let rawOutputs: Record<string, unknown> | undefined;
  let stopWaiting = (): void => undefined;
  const unfinished = new Promise<never>((_, reject) => {
    const pending = (): string => {
      const registered = new Set(capture.resources.map((r) => `${r.type} "${r.name}"`));
      const waiting = constructed.filter((label) => !registered.has(label));
      return waiting.length === 0 ? "no resource is pending (the program's own promise never settled)" : `still pending: ${waiting.slice(0, 10).join(", ")}${waiting.length > 10 ? `, and ${waiting.length - 10} more` : ""}`;
    };
    const timeoutMs = options.timeoutMs ?? defaultProgramTimeoutMs;
    // Unreferenced: a program that leaves nothing to wait for ends the event loop, and beforeExit says so.
    const timer = setTimeout(() => reject(new ProgramTimeoutError(`the program did not finish within ${timeoutMs / 1000} s; ${pending()}`)), timeoutMs).unref();
    const onBeforeExit = (): void => reject(new ProgramTimeoutError(`the program stopped without finishing: nothing is left to wait for; ${pending()}`));
    process.once("beforeExit", onBeforeExit);
    stopWaiting = () => {
      clearTimeout(timer);
      process.off("beforeExit", onBeforeExit);
    };
  });
  try {
    await Promise.race([
      unfinished,
      (async () => {
        rawOutputs = await pulumi.runtime.runInPulumiStack(async () => {
          pulumi.runtime.registerStackTransformation(recordConstruction);
          return await program();
        });
        await waitForRpcs();
        await capture.whenIdle();
        await new Promise((resolveTick) => setImmediate(resolveTick));
      })(),
    ]);
  } finally {
    stopWaiting();
    // A failing program leaves promises that reject a turn later (the stack's outputs): they are
    // this run's, so the listener stays until they have surfaced, or the next run would take them.
    for (let turn = 0; turn < 2; turn++) await new Promise((resolveTurn) => setImmediate(resolveTurn));
    process.off("unhandledRejection", onRejection);
  }
  if (rejections.length > 0) throw rejections[0];

  const stackResource = capture.resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = rawOutputs ? await serializeWireProperties("outputs", rawOutputs) : {};
  if (stackResource) stackResource.outputs = outputs;
  return { project: stackConfig.project, stack: stackConfig.stack, resources: capture.resources, outputs, componentOutputs: capture.componentOutputs };
}
