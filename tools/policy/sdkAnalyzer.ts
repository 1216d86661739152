/**
 * @pulumi/policy's own analyzer server, driven the way the Pulumi engine drives it during
 * `pulumi preview --policy-pack policies`: @pulumi/pulumi's run-policy-pack compiles
 * policies/index.ts with ts-node, serves the pack over gRPC and prints its port; the engine then
 * configures it and sends one `analyze` per resource and one `analyzeStack`. The in-process runner
 * (evaluate.ts) is tested against it (test/unit/policies/realPack.test.ts) and measured against it
 * (tools/bench/policyRunner.ts).
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Policy } from "@pulumi/policy";
import type { CapturedResource } from "../mockRuntime/capture";
import { analyzerResource } from "./analyzerArgs";
import { resolvePolicyPackConfig, type GivenPackConfig } from "./packConfig";

// The gRPC and protobuf modules the analyzer server itself loads, so both ends speak one version.
const policyRequire = createRequire(require.resolve("@pulumi/policy/package.json"));
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = policyRequire("@grpc/grpc-js");
const structproto = policyRequire("google-protobuf/google/protobuf/struct_pb");
const emptyproto = policyRequire("google-protobuf/google/protobuf/empty_pb");
const analyzerproto = pulumiRequire("./proto/analyzer_pb");
const analyzerrpc = pulumiRequire("./proto/analyzer_grpc_pb");

/** One diagnostic as the engine receives it: policy, level, message. */
export type DiagnosticRow = [policyName: string, level: string, message: string];

const levelNames: Record<number, string> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerproto.EnforcementLevel.DISABLED]: "disabled",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "remediate",
};
const levelNumbers = Object.fromEntries(Object.entries(levelNames).map(([n, name]) => [name, Number(n)]));

/** A policy as the server announces it in getAnalyzerInfo. */
export interface AnnouncedPolicy {
  readonly name: string;
  readonly level: string;
  readonly schema: unknown;
  readonly remediationSteps: string;
}

interface WirePolicyInfo {
  getName(): string;
  getEnforcementlevel(): number;
  getConfigschema(): { getProperties(): { toJavaScript(): unknown } | undefined } | undefined;
  getRemediationSteps(): string;
}

interface WireDiagnostic {
  getPolicyname(): string;
  getEnforcementlevel(): number;
  getMessage(): string;
}

type Client = Record<string, (request: unknown, callback: (err: Error | null, response: unknown) => void) => void> & { close(): void };

function options(resource: CapturedResource): unknown {
  const opts = new analyzerproto.AnalyzerResourceOptions();
  opts.setProtect(resource.protect);
  opts.setIgnorechangesList(resource.ignoreChanges);
  opts.setAdditionalsecretoutputsList(resource.additionalSecretOutputs);
  if (resource.parent) opts.setParent(resource.parent);
  return opts;
}

/** What the engine sends for one resource: its inputs, unknowns as the analyzer's sentinel. */
export function analyzeRequest(resource: CapturedResource): unknown {
  const request = new analyzerproto.AnalyzeRequest();
  request.setType(resource.type);
  request.setUrn(resource.urn);
  request.setName(resource.name);
  request.setProperties(structproto.Struct.fromJavaScript(analyzerResource(resource).inputs));
  request.setOptions(options(resource));
  return request;
}

/** What the engine sends for the stack: every resource's outputs with its relations. */
export function analyzeStackRequest(resources: readonly CapturedResource[]): unknown {
  const request = new analyzerproto.AnalyzeStackRequest();
  for (const resource of resources) {
    const r = new analyzerproto.AnalyzerResource();
    r.setType(resource.type);
    r.setUrn(resource.urn);
    r.setName(resource.name);
    r.setProperties(structproto.Struct.fromJavaScript(analyzerResource(resource).outputs));
    r.setOptions(options(resource));
    if (resource.parent) r.setParent(resource.parent);
    r.setDependenciesList(resource.dependencies);
    const deps = r.getPropertydependenciesMap();
    for (const [key, urns] of Object.entries(resource.propertyDependencies)) {
      const d = new analyzerproto.AnalyzerPropertyDependencies();
      d.setUrnsList(urns);
      deps.set(key, d);
    }
    request.addResources(r);
  }
  return request;
}

export interface SdkAnalyzer {
  /** Spawning the server until it printed its port. */
  readonly startupMs: number;
  info(): Promise<{ name: string; version: string; policies: AnnouncedPolicy[] }>;
  /** Every policy's level and settings, resolved as the engine resolves a --policy-pack-config. */
  configure(policies: readonly Policy[], given?: GivenPackConfig): Promise<void>;
  /** Sends a request built by analyzeRequest. */
  analyze(request: unknown): Promise<DiagnosticRow[]>;
  /** Sends a request built by analyzeStackRequest. */
  analyzeStack(request: unknown): Promise<DiagnosticRow[]>;
  /** The server process's peak resident memory (Linux). */
  peakRssMb(): number;
  close(): void;
}

/** Starts run-policy-pack in the project's policies/ directory and connects to it. */
export async function startSdkAnalyzer(projectDir: string): Promise<SdkAnalyzer> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(projectDir, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."], { cwd: join(projectDir, "policies") });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let port: string;
  try {
    port = await new Promise<string>((resolvePort, reject) => {
      let stdout = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const match = /^(\d+)\s*$/m.exec(stdout);
        if (match) resolvePort(match[1]!);
      });
      child.on("exit", (code) => reject(new Error(`run-policy-pack exited with ${code}: ${stderr}`)));
    });
  } catch (error) {
    child.kill();
    throw error;
  }
  const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
  const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolveCall, reject) => client[method]!.call(client, request, (err, response) => (err ? reject(err) : resolveCall(response as T))));
  const rows = async (method: string, request: unknown): Promise<DiagnosticRow[]> =>
    (await call<{ getDiagnosticsList(): WireDiagnostic[] }>(method, request))
      .getDiagnosticsList()
      .map((d) => [d.getPolicyname(), levelNames[d.getEnforcementlevel()]!, d.getMessage()]);

  return {
    startupMs,
    async info() {
      const info = await call<{ getName(): string; getVersion(): string; getPoliciesList(): WirePolicyInfo[] }>("getAnalyzerInfo", new emptyproto.Empty());
      return {
        name: info.getName(),
        version: info.getVersion(),
        policies: info.getPoliciesList().map((p) => ({
          name: p.getName(),
          level: levelNames[p.getEnforcementlevel()]!,
          schema: p.getConfigschema()?.getProperties()?.toJavaScript(),
          remediationSteps: p.getRemediationSteps(),
        })),
      };
    },
    async configure(policies, given = {}) {
      const request = new analyzerproto.ConfigureAnalyzerRequest();
      const map = request.getPolicyconfigMap();
      for (const [name, config] of resolvePolicyPackConfig(policies, given)) {
        const policyConfig = new analyzerproto.PolicyConfig();
        policyConfig.setEnforcementlevel(levelNumbers[config.enforcementLevel]);
        policyConfig.setProperties(structproto.Struct.fromJavaScript(config.properties));
        map.set(name, policyConfig);
      }
      await call("configure", request);
    },
    analyze: (request) => rows("analyze", request),
    analyzeStack: (request) => rows("analyzeStack", request),
    peakRssMb() {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
    },
    close() {
      client.close();
      child.kill();
    },
  };
}
