// The host-bundle policies judge the files of a real packed bundle, as CopyToRemote uploads it.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { BundleFile } from "../../hostBundle/bundleFile";
import { assembleHostBundle } from "../../hostBundle/format/hostBundle";
import { bundleDataMarker, packHostBundle } from "../../hostBundle/format/packHostBundle";
import { dkimKeyFile, renderMailDaemonFiles } from "../../hostBundle/render/mail";
import { renderSystemFiles } from "../../hostBundle/render/system";
import {
  hostBundleDataMarker,
  hostBundleNftablesPorts,
  hostBundlePolicies,
  hostBundleSmtpAuthAndRelay,
  hostBundleTlsListeners,
  offeredForbiddenClasses,
  postfixEnabledProtocols,
  unpackHostBundleText,
} from "../../policies/hostBundle";
import { bundleTestContext, testRsaKeyPem } from "../hostConfig/bundle/bundleFixture";
import { unpackUpload } from "../hostConfig/bundle/unpackUpload";
import { secretSignature, secretSignatureKey } from "../../tools/mockRuntime/secrets";
import { evaluateOne, resource, violations } from "./support";

const copyToRemoteType = "command:remote:CopyToRemote";
const ctx = bundleTestContext();

/** The real rendered files, as buildHostBundle assembles them. */
function renderedFiles(): BundleFile[] {
  return [...renderMailDaemonFiles(ctx), ...renderSystemFiles(ctx), ...ctx.config.dkim.selectors.map((s) => dkimKeyFile(s, testRsaKeyPem()))];
}

/** The packed bundle, with one rendered file edited first. */
function packed(edit?: { path: string; change: (content: string) => string }): string {
  const files = renderedFiles().map((file) => {
    if (!edit || file.path !== edit.path) return file;
    const content = edit.change(file.content);
    expect(content, "the edit changes the file").not.toBe(file.content);
    return { ...file, content };
  });
  return packHostBundle(assembleHostBundle(ctx, files));
}

/** A CopyToRemote as the component declares it: a secret StringAsset source. */
function upload(text: string, name = "host-upload"): ReturnType<typeof resource> {
  return resource(copyToRemoteType, name, {
    connection: { host: "192.0.2.10", user: "root" },
    source: { [secretSignatureKey]: secretSignature, value: new pulumi.asset.StringAsset(text) },
    remotePath: "/root/penguinmails-upload/host-bundle.sh",
  });
}

const realBundle = packed();

describe("reading a packed host bundle", () => {
  it("knows the component's marker and unpacks every file as GNU tar does", () => {
    expect(hostBundleDataMarker).toBe(bundleDataMarker);
    const files = unpackHostBundleText(realBundle)!;
    const gnu = unpackUpload(realBundle);
    expect(files.map((f) => f.path).sort()).toEqual(renderedFiles().map((f) => f.path).sort());
    for (const file of files) expect(file.content, file.path).toBe(gnu.get(`files${file.path}`)!.content);
  });

  it("reads Postfix protocol values and OpenSSL cipher strings", () => {
    expect(postfixEnabledProtocols(">=TLSv1.2")).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1")).toEqual(["TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols(">=TLSv1")).toEqual(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);
    expect(postfixEnabledProtocols("TLSv1.1 TLSv1.2")).toEqual(["TLSv1.1", "TLSv1.2"]);
    expect(offeredForbiddenClasses("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305", ["aNULL", "eNULL"])).toEqual([]);
    expect(offeredForbiddenClasses("HIGH:!aNULL", ["aNULL", "eNULL"])).toEqual(["eNULL"]);
    expect(offeredForbiddenClasses("HIGH", ["aNULL", "eNULL"], ["aNULL", "eNULL"])).toEqual([]);
    expect(offeredForbiddenClasses("ADH-AES128-SHA:DES-CBC3-SHA:RC4-MD5", ["aNULL", "3DES", "RC4", "MD5"])).toEqual(["aNULL", "3DES", "RC4", "MD5"]);
  });
});

describe("the host-bundle policies", () => {
  it("pass the real bundle", async () => {
    for (const policy of hostBundlePolicies) expect(await violations(policy, [upload(realBundle)]), policy.name).toEqual([]);
  });

  it("do not apply to a CopyToRemote that uploads something else", async () => {
    for (const policy of hostBundlePolicies) {
      const report = await evaluateOne(policy, [upload("#!/bin/bash\necho hello\n", "other")]);
      expect(report.diagnostics).toEqual([]);
      expect(report.notApplicableCount).toBe(2); // the stack and the other upload
    }
  });

  it("report that they cannot run while the bundle is unknown (preview)", async () => {
    const report = await evaluateOne(hostBundleTlsListeners, [resource(copyToRemoteType, "u", { source: pulumi.unknown })]);
    expect(report.diagnostics.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
  });

  const cases: Array<{ title: string; edit: { path: string; change: (content: string) => string }; policy: (typeof hostBundlePolicies)[number]; message: RegExp }> = [
    {
      title: "Postfix smtpd_tls_protocols = >=TLSv1",
      edit: { path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_protocols = .*$/m, "smtpd_tls_protocols = >=TLSv1") },
      policy: hostBundleTlsListeners,
      message: /^\/etc\/postfix\/main\.cf: smtpd_tls_protocols = >=TLSv1 enables TLSv1, TLSv1\.1 \(allowed: TLSv1\.2, TLSv1\.3\)\. Fix: /,
    },
    {
      title: "smtpd_tls_auth_only = no",
      edit: { path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_auth_only = yes$/m, "smtpd_tls_auth_only = no") },
      policy: hostBundleSmtpAuthAndRelay,
      message: /^\/etc\/postfix\/main\.cf: smtpd_tls_auth_only = no lets a client send its password before STARTTLS\. Fix: /,
    },
    {
      title: "permit before reject_unauth_destination",
      edit: {
        path: "/etc/postfix/main.cf",
        change: (c) => c.replace(/^smtpd_relay_restrictions = .*$/m, "smtpd_relay_restrictions = permit_sasl_authenticated, permit, reject_unauth_destination"),
      },
      policy: hostBundleSmtpAuthAndRelay,
      message: /^the smtp listener \(master\.cf\): smtpd_relay_restrictions = .* has "permit" before reject_unauth_destination, .*open relay.*Fix: /,
    },
    {
      title: "nginx ssl_protocols TLSv1 TLSv1.2",
      edit: { path: "/etc/nginx/conf.d/penguinmails-mta-sts.conf", change: (c) => c.replace("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1 TLSv1.2;") },
      policy: hostBundleTlsListeners,
      message: /^\/etc\/nginx\/conf\.d\/penguinmails-mta-sts\.conf line \d+: ssl_protocols TLSv1 TLSv1\.2 enables TLSv1 \(allowed: TLSv1\.2, TLSv1\.3\)\. Fix: /,
    },
    {
      title: "an nftables accept for tcp dport 8080",
      edit: { path: "/etc/nftables.conf", change: (c) => c.replace(/^(\t\ttcp dport \{ 25,.*)$/m, "$1\n\t\ttcp dport 8080 accept") },
      policy: hostBundleNftablesPorts,
      message: /^\/etc\/nftables\.conf line \d+ \(chain input\): accepts tcp port 8080, which is not allowed \(25, 465, 587, 993, 443, 22\)\. Fix: /,
    },
  ];

  for (const { title, edit, policy, message } of cases) {
    it(`fail ${policy.name} (and only it) for ${title}`, async () => {
      const text = packed(edit);
      for (const other of hostBundlePolicies) {
        const found = await violations(other, [upload(text)]);
        if (other === policy) {
          expect(found).toHaveLength(1);
          expect(found[0]).toMatch(message);
        } else {
          expect(found, other.name).toEqual([]);
        }
      }
    });
  }

  it("flag SSH from anywhere, weak ciphers, master.cf and Dovecot downgrades and a wide mynetworks", async () => {
    const ssh = packed({ path: "/etc/nftables.conf", change: (c) => c.replace(/^\t\tip saddr @ssh_sources_v4 tcp dport 22 accept.*$/m, "\t\ttcp dport 22 accept") });
    expect(await violations(hostBundleNftablesPorts, [upload(ssh)])).toEqual([expect.stringMatching(/accepts SSH \(tcp port 22\) from any source\. Fix: /)]);
    const ciphers = packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_exclude_ciphers = .*$/m, "smtpd_tls_exclude_ciphers = aNULL") });
    expect(await violations(hostBundleTlsListeners, [upload(ciphers)], { forbiddenCipherClasses: ["aNULL", "eNULL"] })).toEqual([]);
    const medium = packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_ciphers = high$/m, "smtpd_tls_ciphers = medium").replace(/^smtpd_tls_exclude_ciphers = .*$/m, "smtpd_tls_exclude_ciphers = MD5") });
    expect((await violations(hostBundleTlsListeners, [upload(medium)], { forbiddenCipherClasses: ["aNULL", "eNULL"] })).join("\n")).toMatch(/still offers aNULL, eNULL/);
    const override = packed({ path: "/etc/postfix/master.cf", change: (c) => c.replace("  -o smtpd_tls_wrappermode=yes\n", "  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3\n") });
    expect(await violations(hostBundleTlsListeners, [upload(override)])).toEqual([
      expect.stringMatching(/^\/etc\/postfix\/master\.cf: the submissions service's -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3 enables TLSv1, TLSv1\.1 .*Fix: /),
    ]);
    const dovecot = packed({ path: "/etc/dovecot/dovecot.conf", change: (c) => c.replace("ssl_min_protocol = TLSv1.2", "ssl_min_protocol = TLSv1.1") });
    expect(await violations(hostBundleTlsListeners, [upload(dovecot)])).toEqual([expect.stringMatching(/^\/etc\/dovecot\/dovecot\.conf: ssl_min_protocol = TLSv1\.1 lets clients negotiate below TLSv1\.2 .*Fix: /)]);
    const wide = packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^mynetworks = .*$/m, "mynetworks = 127.0.0.0/8 [::1]/128 10.0.0.0/8") });
    expect(await violations(hostBundleSmtpAuthAndRelay, [upload(wide)])).toEqual([expect.stringMatching(/mynetworks = .* trusts 10\.0\.0\.0\/8 beyond loopback\. Fix: /)]);
  });
});
