/**
 * The stack planned the way `npm run plan` plans it (the program under the mock runtime, the same
 * captured resources), with the lab's config changes, and what the lab builds from the capture:
 * the Cloudflare records, the bundle CopyToRemote uploads, the AcmeCertificate's inputs and the
 * droplet's planned addresses (which the lab host's own replace in DNS).
 */

import { parseTenantConfig } from "../../../tenant/parseTenantConfig";
import { configNamespace, formatConfigProblems, type TenantConfig } from "../../../tenant/tenantConfig";
import type { CapturedResource } from "../../mockRuntime/capture";
import { skipDynamicProviderSerialization } from "../../mockRuntime/dynamicProviderCode";
import { runProgramWithMocks } from "../../mockRuntime/runProgram";
import { isSecretMarker, unwrapSecrets } from "../../mockRuntime/secrets";
import { namespaceConfig, readStackConfig, type StackConfig } from "../../mockRuntime/stackConfig";
import type { AddressPair } from "../net/addressPlan";
import { withLabSecretStandIns, type LabConfig } from "./labConfig";

/** A Cloudflare record as the program declared it. */
export interface PlannedDnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly content?: string;
  readonly priority?: number;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface LabPlan {
  readonly stack: string;
  readonly config: TenantConfig;
  readonly resourceCount: number;
  readonly plannedAddresses: AddressPair;
  /** The droplet's name, from which DigitalOcean derives its PTR record. */
  readonly dropletName: string;
  readonly dnsRecords: readonly PlannedDnsRecord[];
  /** The text CopyToRemote uploads: the packed host bundle, private keys inside. */
  readonly uploadText: string;
  /** AcmeCertificate's inputs, secrets unwrapped. */
  readonly certificateInputs: Readonly<Record<string, unknown>>;
}

const types = {
  droplet: "digitalocean:index/droplet:Droplet",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  upload: "command:remote:CopyToRemote",
  certificate: "pulumi-nodejs:dynamic/certificate:AcmeCertificate",
} as const;

/** The stack's tenant config as planned (without the lab's changes): its domain names the lab host. */
export function stackTenantConfig(programDir: string, stack: string): { stackConfig: StackConfig; config: TenantConfig } {
  const stackConfig = readStackConfig(programDir, stack);
  const parsed = parseTenantConfig(withLabSecretStandIns(namespaceConfig(stackConfig, configNamespace)).config);
  if (!parsed.ok) throw new Error(`stack ${stack}: ${formatConfigProblems(parsed.problems)}`);
  return { stackConfig, config: parsed.config };
}

export async function planForLab(programDir: string, stack: string, lab: LabConfig): Promise<LabPlan> {
  skipDynamicProviderSerialization();
  const run = await runProgramWithMocks({ programDir, stack, configOverrides: lab.overrides });
  const stackConfig = readStackConfig(programDir, stack);
  const decoded = Object.fromEntries(Object.entries(lab.overrides).map(([k, v]) => [k.slice(configNamespace.length + 1), tryJson(v)]));
  const parsed = parseTenantConfig({ ...withLabSecretStandIns(namespaceConfig(stackConfig, configNamespace)).config, ...decoded });
  if (!parsed.ok) throw new Error(`the lab's changes to stack ${stack} do not validate: ${formatConfigProblems(parsed.problems)}`);

  const only = (type: string): CapturedResource => {
    const found = run.resources.filter((r) => r.type === type);
    if (found.length !== 1) throw new Error(`the plan of stack ${stack} has ${found.length} ${type} resources; the lab needs exactly one (is this the tenant program?)`);
    return found[0]!;
  };
  const droplet = unwrapSecrets(only(types.droplet).outputs) as { ipv4Address?: string; ipv6Address?: string; name?: string };
  if (!droplet.ipv4Address || !droplet.ipv6Address) throw new Error(`the planned droplet has no IPv4 and IPv6 address`);
  const dnsRecords = run.resources.filter((r) => r.type === types.dnsRecord).map((r) => plannedRecord(unwrapSecrets(r.inputs) as Record<string, unknown>));
  if (dnsRecords.length === 0) throw new Error(`the plan of stack ${stack} declares no Cloudflare DNS records`);
  return {
    stack,
    config: parsed.config,
    resourceCount: run.resources.length,
    plannedAddresses: { v4: droplet.ipv4Address, v6: droplet.ipv6Address },
    dropletName: droplet.name ?? parsed.config.domain,
    dnsRecords,
    uploadText: await uploadedText(only(types.upload)),
    certificateInputs: unwrapSecrets(only(types.certificate).inputs) as Record<string, unknown>,
  };
}

function plannedRecord(inputs: Record<string, unknown>): PlannedDnsRecord {
  const { name, type, ttl, content, priority, data } = inputs;
  if (typeof name !== "string" || typeof type !== "string") throw new Error(`a planned DNS record has no name or type: ${JSON.stringify({ name, type })}`);
  return {
    name,
    type,
    ...(typeof ttl === "number" ? { ttl } : {}),
    ...(typeof content === "string" ? { content } : {}),
    ...(typeof priority === "number" ? { priority } : {}),
    ...(typeof data === "object" && data !== null ? { data: data as Record<string, unknown> } : {}),
  };
}

/** CopyToRemote's source: a StringAsset, behind a secret marker (unwrapping would lose the asset's text). */
async function uploadedText(upload: CapturedResource): Promise<string> {
  const source = upload.inputs.source;
  const asset = (isSecretMarker(source) ? source.value : source) as { text?: Promise<string> | string } | undefined;
  const text = await asset?.text;
  if (typeof text !== "string") throw new Error("the planned CopyToRemote uploads no text asset");
  return text;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
