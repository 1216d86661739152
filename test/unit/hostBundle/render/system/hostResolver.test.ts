// The host's resolver files as rendered. cloud-init's own schema check and cloud-init's reading of
// the drop-in are in test/system/hostBundle/render/system/hostResolver.test.ts; the files at work
// on a booted Debian (dhclient-script, Postfix's chroot, DANE) in
// test/system/hostBundle/apply/applyOnDebian.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  cloudInitResolverDropInPath,
  dhclientResolverHookPath,
  renderCloudInitResolverDropIn,
  renderDhclientResolverHook,
  renderHostResolverFiles,
  renderResolvConf,
  resolvConfPath,
} from "../../../../../hostBundle/render/system/hostResolver";
import { renderFileHeader } from "../../../../../hostBundle/renderContext";
import { systemTestContext } from "../../../../support/hostBundle/render/system/systemRenderFixture";

const ctx = systemTestContext();
const settings = (text: string) => text.split("\n").filter((l) => l.trim() !== "" && !/^\s*[#;]/.test(l));
const scratch = mkdtempSync(join(tmpdir(), "pm-host-resolver-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("/etc/resolv.conf", () => {
  const text = renderResolvConf(ctx);

  it("names the local unbound and nothing else, with the options glibc needs to pass the AD bit on", () => {
    expect(settings(text)).toEqual(["nameserver 127.0.0.1", "options edns0 trust-ad"]);
  });

  it("starts with the bundle header and says why on one line each", () => {
    expect(text.startsWith(renderFileHeader(ctx, resolvConfPath))).toBe(true);
    const comments = text.slice(renderFileHeader(ctx, resolvConfPath).length).split("\n").filter((l) => l.startsWith("#"));
    expect(comments.length).toBeGreaterThanOrEqual(2);
  });
});

describe("the cloud-init drop-in", () => {
  const text = renderCloudInitResolverDropIn(ctx);

  it("starts with #cloud-config (cloud-init schema checks nothing else), then the bundle header", () => {
    expect(text.startsWith(`#cloud-config\n${renderFileHeader(ctx, cloudInitResolverDropInPath)}`)).toBe(true);
  });

  it("turns off cloud-init's resolv.conf and sets nothing else (network config stays: a restored snapshot needs it)", () => {
    expect(parse(text)).toEqual({ manage_resolv_conf: false });
  });

  it("sorts after the image's drop-ins, where later files win", () => {
    expect(basename(cloudInitResolverDropInPath)).toMatch(/^99-[a-z-]+\.cfg$/);
  });
});

describe("the dhclient enter hook", () => {
  const text = renderDhclientResolverHook(ctx);
  const hook = join(scratch, "hook");
  writeFileSync(hook, text);

  it("is a name run-parts --list accepts, so dhclient-script sources it", () => {
    expect(basename(dhclientResolverHookPath)).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it("parses under /bin/sh", () => {
    const check = spawnSync("sh", ["-n", hook]);
    expect(check.stderr.toString()).toBe("");
    expect(check.status).toBe(0);
  });

  it("replaces dhclient-script's make_resolv_conf: a lease sourced after it leaves resolv.conf alone", () => {
    const resolvConf = join(scratch, "resolv.conf");
    const before = "nameserver 127.0.0.1\noptions edns0 trust-ad\n";
    writeFileSync(resolvConf, before);
    // dhclient-script's order: its own make_resolv_conf, then the enter hooks (sourced), then the lease.
    const script = [
      `make_resolv_conf() { for ns in $new_domain_name_servers; do echo "nameserver $ns"; done > "${resolvConf}"; }`,
      `. "${hook}"`,
      "new_domain_name_servers='67.207.67.2 67.207.67.3'",
      "make_resolv_conf",
    ].join("\n");
    const run = spawnSync("sh", ["-c", script]);
    expect(run.status).toBe(0);
    expect(readFileSync(resolvConf, "utf8")).toBe(before);
    // The same script without the hook rewrites it: the test is not a no-op.
    spawnSync("sh", ["-c", script.replace(`. "${hook}"`, ":")]);
    expect(readFileSync(resolvConf, "utf8")).toBe("nameserver 67.207.67.2\nnameserver 67.207.67.3\n");
  });
});

describe("renderHostResolverFiles", () => {
  it("gives unbound's service the three files, root-owned and world-readable, none secret", () => {
    const files = renderHostResolverFiles(ctx);
    expect(files.map((f) => f.path)).toEqual([resolvConfPath, cloudInitResolverDropInPath, dhclientResolverHookPath]);
    for (const file of files) expect(file, file.path).toMatchObject({ mode: 0o644, owner: "root", group: "root", service: "unbound" });
    for (const file of files) expect(file.secret, file.path).toBeFalsy();
  });
});
