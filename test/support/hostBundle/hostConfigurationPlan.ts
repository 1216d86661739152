/** One HostConfiguration for the example tenant under the mock runtime, and what it uploads and applies. */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { HostConfiguration, hostBundleOutput } from "../../../components/hostConfig/hostConfiguration";
import type { CapturedResource } from "../../../tools/mockRuntime/capture";
import { runProgramWithMocks } from "../../../tools/mockRuntime/runProgram";
import { isSecretMarker } from "../../../tools/mockRuntime/secrets";
import { bundleTestContext, testRsaKeyPem } from "./bundle/bundleFixture";

const programDir = resolve(__dirname, "../../..");
export const sshKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n-----END OPENSSH PRIVATE KEY-----\n";
/** The droplet's pinned host key, as HostKeyPin reads it. */
export const pinnedHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPD3xfSLExoLTCvfdLB0qg3ltBZdzupkFrqpnNkcf1Nd";

export interface Planned {
  readonly resources: CapturedResource[];
  byName(name: string): CapturedResource;
}

/** Registers one HostConfiguration for the example tenant, configured by `overrides`, under the mocks. */
export async function plan(overrides: Record<string, unknown> = {}, host = "192.0.2.10", tlsCertificate?: { fullchainPem: string; privateKeyPem: string }): Promise<Planned> {
  const ctx = bundleTestContext(overrides);
  const { resources } = await runProgramWithMocks({
    programDir,
    stack: "dev",
    program: () => {
      new HostConfiguration("tenant-host-config", {
        connection: { host, user: "mailadmin", privateKey: sshKey, hostKey: pinnedHostKey },
        bundle: hostBundleOutput(ctx, {
          dkimPrivateKeyPems: { mail: pulumi.secret(testRsaKeyPem()) },
          ...(tlsCertificate ? { tlsCertificate: pulumi.secret(tlsCertificate) } : {}),
        }),
      });
    },
  });
  return {
    resources,
    byName(name) {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no resource ${name}`);
      return found;
    },
  };
}

export function applyTrigger(p: Planned): string {
  return (p.byName("tenant-host-config-apply").inputs.triggers as string[])[0]!;
}

export async function uploadedText(p: Planned): Promise<string> {
  const source = p.byName("tenant-host-config-upload").inputs.source;
  expect(isSecretMarker(source)).toBe(true);
  // The marker's value is the StringAsset itself (unwrapSecrets would flatten its promise away).
  return await (source as { value: { text: Promise<string> } }).value.text;
}
