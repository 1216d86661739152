// shellcheck on the apply scripts is in test/system/hostBundle/apply/applyScript.test.ts.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { publicInboundPorts, sshPort } from "../../../../baseline/network";
import { applyCommand, prepareUploadCommand } from "../../../../hostBundle/apply/remoteCommands";
import { renderApplySettings, sshProbeSources } from "../../../../hostBundle/apply/renderApplySettings";
import { serviceOrder, serviceRuntimes } from "../../../../hostBundle/apply/serviceTable";
import { bundleTestContext } from "../../../support/hostBundle/bundle/bundleFixture";

const ctx = bundleTestContext({ deployCidrs: ["198.51.100.7/32"] });

/** Sources the generated settings in bash and prints what `expression` expands to. */
function bashValue(expression: string): string {
  const result = spawnSync("bash", ["-c", `set -euo pipefail\n${renderApplySettings(ctx)}\nprintf '%s' "${expression}"`]);
  expect(result.stderr.toString()).toBe("");
  return result.stdout.toString();
}

describe("apply-settings.sh, rendered from the service table", () => {
  it("gives bash every service's units, activation, ports and probes", () => {
    expect(bashValue("$SERVICE_ORDER")).toBe(serviceOrder.join(" "));
    expect(bashValue("${SERVICE_UNITS[postfix]}")).toBe("postfix@-.service");
    expect(bashValue("${SERVICE_ACTIVATION[nftables]}")).toBe("firewall");
    expect(bashValue("${SERVICE_PORTS[postfix]}")).toBe("25 465 587");
    expect(bashValue("${SERVICE_TLS_PROBES[postfix]}")).toBe("25/smtp/mail.tenant-one.example 465//mail.tenant-one.example 587/smtp/mail.tenant-one.example");
    expect(bashValue("${SERVICE_TLS_PROBES[nginx]}")).toBe("443//mta-sts.tenant-one.example");
    expect(bashValue("${SERVICE_DIRECTORIES[dovecot]}")).toBe("/var/vmail:0750:vmail:vmail");
    expect(bashValue("$TENANT_ID $SSH_PORT")).toBe(`tenant-one.example ${sshPort.port}`);
  });

  it("keeps each check's command and failure pattern intact through bash quoting", () => {
    const loop = 'for e in "${SERVICE_CHECKS[@]}"; do IFS=$CHECK_FIELD_SEPARATOR read -r s c p <<<"$e"; printf "%s|%s|%s\\n" "$s" "$c" "$p"; done';
    const result = spawnSync("bash", ["-c", `${renderApplySettings(ctx)}\n${loop}`]);
    const expected = serviceOrder.flatMap((s) => serviceRuntimes[s].checks.map((c) => `${s}|${c.command}|${c.failOutput ?? ""}`));
    expect(result.stdout.toString().trimEnd().split("\n")).toEqual(expected);
  });

  it("keeps each health probe and after-activation step intact through bash quoting", () => {
    const loop = 'for e in "${SERVICE_HEALTH_PROBES[@]}"; do IFS=$CHECK_FIELD_SEPARATOR read -r s n c <<<"$e"; printf "%s|%s|%s\\n" "$s" "$n" "$c"; done';
    const result = spawnSync("bash", ["-c", `${renderApplySettings(ctx)}\n${loop}`]);
    const expected = serviceOrder.flatMap((s) => (serviceRuntimes[s].healthProbes ?? []).map((p) => `${s}|${p.name}|${p.command}`));
    expect(expected.length).toBeGreaterThan(0);
    expect(result.stdout.toString().trimEnd().split("\n")).toEqual(expected);
    expect(bashValue("${SERVICE_AFTER_ACTIVATION[unbound]}")).toBe(serviceRuntimes.unbound.afterActivation);
    expect(bashValue("${SERVICE_AFTER_ACTIVATION[postfix]}")).toBe("");
  });

  it("probes SSH from one address of every admin and deploy block", () => {
    expect(sshProbeSources(ctx)).toEqual(["203.0.113.0", "2001:db8:1234::", "198.51.100.7"]);
    expect(bashValue("$SSH_PROBE_SOURCES")).toBe("203.0.113.0 2001:db8:1234:: 198.51.100.7");
  });
});

describe("the service table", () => {
  it("has only patterns grep -E accepts", () => {
    const patterns = serviceOrder.flatMap((s) => {
      const r = serviceRuntimes[s];
      return [r.badLogLines, r.expectedLogLines, ...r.checks.map((c) => c.failOutput)].filter((p): p is string => !!p);
    });
    for (const pattern of patterns) {
      const result = spawnSync("grep", ["-Ei", "--", pattern], { input: "" });
      expect(result.status, pattern).toBe(1);
    }
  });

  it("checks every public port after a reload, each on the service that serves it", () => {
    const checked = serviceOrder.flatMap((s) => serviceRuntimes[s].ports);
    for (const rule of [...publicInboundPorts, sshPort]) expect(checked).toContain(rule.port);
    const probed = serviceOrder.flatMap((s) => serviceRuntimes[s].tlsProbes.map((p) => p.port));
    expect(probed.sort()).toEqual(publicInboundPorts.map((r) => r.port).sort());
  });

  it("reloads something for every service that runs a daemon", () => {
    for (const service of serviceOrder) {
      const r = serviceRuntimes[service];
      if (r.activation !== "none") expect(r.units.length, service).toBeGreaterThan(0);
    }
  });
});

describe("the remote commands", () => {
  it("run the upload as root with the expected hash and the session's source address", () => {
    const hash = "a".repeat(64);
    expect(applyCommand(hash)).toBe(`sudo bash "$HOME/.penguinmails/host-bundle.sh" --expect-hash ${hash} --deploy-source "\${SSH_CLIENT%% *}" --deploy-auth "\${SSH_USER_AUTH:-}"`);
    expect(() => applyCommand("abc; rm -rf /")).toThrow(/not a bundle hash/);
    expect(prepareUploadCommand).toContain("-m 0700");
  });
});
