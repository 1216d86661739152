import * as pulumi from "@pulumi/pulumi";

/** One resource registration as the engine would receive it. */
export interface CapturedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly parent?: string;
  /** URNs this resource depends on (dependsOn plus the resources behind its inputs). */
  readonly dependencies: string[];
  /** Input property -> the URNs its value came from. */
  readonly propertyDependencies: Record<string, string[]>;
  readonly provider?: string;
  /** Inputs with secret markers kept (see secrets.ts to unwrap or redact them). */
  readonly inputs: Record<string, unknown>;
  /** What the mocks answered: the resource's outputs. */
  outputs: Record<string, unknown>;
  id?: string;
  readonly protect: boolean;
  readonly ignoreChanges: string[];
  readonly additionalSecretOutputs: string[];
  readonly deleteBeforeReplace: boolean;
  readonly replaceOnChanges: string[];
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): unknown;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getProvider(): string;
  getProtect(): boolean;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
}

interface RegisterResourceResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

type Callback = (err: Error | null, resp?: RegisterResourceResponse) => void;

interface MonitorWithRegister {
  registerResource(req: RegisterResourceRequest, callback: Callback): void;
}

/**
 * Records every registration the program makes by wrapping the mock monitor: parent,
 * dependencies and property dependencies exist only on the request, not in the mocks' view.
 */
export class ResourceCapture {
  readonly resources: CapturedResource[] = [];
  /** additionalSecretOutputs per `type::name`, read by the mocks to mark those outputs secret. */
  readonly secretOutputs = new Map<string, readonly string[]>();
  private pending = 0;
  private idle: Array<() => void> = [];

  install(): void {
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MonitorWithRegister };
    const rpc = require("@pulumi/pulumi/runtime/rpc") as { deserializeProperties(s: unknown): Record<string, unknown> };
    const monitor = settings.getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      this.pending++;
      this.secretOutputs.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((deps, key) => {
        propertyDependencies[key] = deps.getUrnsList();
      });
      const record: Omit<CapturedResource, "urn"> = {
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent() || undefined,
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        provider: req.getProvider() || undefined,
        inputs: rpc.deserializeProperties(req.getObject()),
        outputs: {},
        protect: req.getProtect(),
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceOnChanges: req.getReplaceonchangesList(),
      };
      original(req, (err, resp) => {
        if (!err && resp) {
          const outputs = resp.getObject() ? rpc.deserializeProperties(resp.getObject()) : {};
          this.resources.push({ ...record, urn: resp.getUrn(), id: resp.getId() || undefined, outputs });
        }
        callback(err, resp);
        this.pending--;
        if (this.pending === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
    };
  }

  /** Resolves once no registration is in flight. */
  whenIdle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}

/** Marks the outputs a resource declares secret, as the engine does through additionalSecretOutputs. */
export function secretOutputsMocks(mocks: pulumi.runtime.Mocks, secretOutputsFor: (type: string, name: string) => readonly string[]): pulumi.runtime.Mocks {
  return {
    async newResource(args) {
      const result = await mocks.newResource(args);
      const secretKeys = secretOutputsFor(args.type, args.name);
      if (secretKeys.length === 0) return result;
      const state = { ...result.state };
      for (const key of secretKeys) if (key in state) state[key] = pulumi.secret(state[key]);
      return { ...result, state };
    },
    call: (args) => mocks.call(args),
  };
}
