import * as pulumi from "@pulumi/pulumi";
import { deserializeWireProperties, mockResourceMonitor } from "../../policies/pulumiInternals";

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

/**
 * Records every registration the program makes by wrapping the mock monitor: parent,
 * dependencies and property dependencies exist only on the request, not in the mocks' view.
 */
export class ResourceCapture {
  readonly resources: CapturedResource[] = [];
  /** additionalSecretOutputs per `type::name`, read by the mocks to mark those outputs secret. */
  readonly secretOutputs = new Map<string, readonly string[]>();
  /** What each component passed to registerOutputs, by URN. */
  readonly componentOutputs = new Map<string, Record<string, unknown>>();
  private pending = 0;
  private idle: Array<() => void> = [];

  install(): void {
    const monitor = mockResourceMonitor();
    const original = monitor.registerResource.bind(monitor);
    const originalOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, callback) => {
      this.componentOutputs.set(req.getUrn(), req.getOutputs() ? deserializeWireProperties(req.getOutputs()) : {});
      originalOutputs(req, callback);
    };
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
        inputs: deserializeWireProperties(req.getObject()),
        outputs: {},
        protect: req.getProtect(),
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        replaceOnChanges: req.getReplaceonchangesList(),
      };
      original(req, (err, resp) => {
        if (!err && resp) {
          const outputs = resp.getObject() ? deserializeWireProperties(resp.getObject()) : {};
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
