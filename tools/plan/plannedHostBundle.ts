import { parseTenantConfig } from "../../tenant/parseTenantConfig";
import { configNamespace, formatConfigProblems } from "../../tenant/tenantConfig";
import { buildHostBundle } from "../../hostBundle/buildHostBundle";
import type { HostBundle } from "../../hostBundle/format/hostBundle";
import { tenantHostRenderContext } from "../../hostBundle/renderContext";
import type { CapturedResource } from "../mockRuntime/capture";
import type { MockRunResult } from "../mockRuntime/runProgram";
import { unwrapSecrets } from "../mockRuntime/secrets";
import { namespaceConfig, type StackConfig } from "../mockRuntime/stackConfig";
import { ProgramError } from "../policy/runPolicyCheck";

function outputsOf(resource: CapturedResource): Record<string, string> {
  return unwrapSecrets(resource.outputs) as Record<string, string>;
}

/**
 * The host bundle the plan would ship, for an operator to read exactly what lands on the host.
 * It is rebuilt from the stack's config and the planned keys and certificate, and must hash to
 * what the program planned: a drift is an error, not a guess.
 */
export function plannedHostBundle(result: MockRunResult, stackConfig: StackConfig): HostBundle {
  const parsed = parseTenantConfig(namespaceConfig(stackConfig, configNamespace));
  if (!parsed.ok) throw new ProgramError(formatConfigProblems(parsed.problems));
  const { config } = parsed;

  const dkimComponent = result.resources.find((r) => r.type === "penguinmails:mail:DkimKeys");
  const certificate = result.resources.find((r) => r.type === "pulumi-nodejs:dynamic/certificate:AcmeCertificate");
  if (!dkimComponent || !certificate) throw new ProgramError("--out needs this project's tenant program: no DkimKeys or AcmeCertificate was planned");
  const dkimPrivateKeyPems = Object.fromEntries(
    result.resources
      .filter((r) => r.parent === dkimComponent.urn)
      .map((key) => [key.name.slice(dkimComponent.name.length + 1), outputsOf(key).privateKeyPem]),
  );
  const issued = outputsOf(certificate);
  const deployKeys = result.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey" && r.name.endsWith("-deploy-key")).map((key) => outputsOf(key).publicKeyOpenssh!);
  const bundle = buildHostBundle(tenantHostRenderContext(config, deployKeys), {
    dkimPrivateKeyPems,
    tlsCertificate: { fullchainPem: `${issued.certificatePem}${issued.chainPem ?? ""}`, privateKeyPem: issued.privateKeyPem },
  });
  const plannedHash = unwrapSecrets(result.outputs.hostBundleHash);
  if (bundle.hash !== plannedHash) {
    throw new Error(`the rebuilt host bundle (${bundle.hash}) differs from the planned one (${String(plannedHash)})`);
  }
  return bundle;
}
