// The host-bundle policies judge the files of a real packed bundle, as CopyToRemote uploads it.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { BundleFile } from "../../../hostBundle/bundleFile";
import { assembleHostBundle } from "../../../hostBundle/format/hostBundle";
import { packHostBundle } from "../../../hostBundle/format/hostBundleArchive";
import { dkimKeyFile, renderMailDaemonFiles } from "../../../hostBundle/render/mail";
import { renderSystemFiles } from "../../../hostBundle/render/system";
import { hostBundleNftablesPorts, hostBundlePolicies, hostBundleSmtpAuthAndRelay, hostBundleTlsListeners } from "../../../policies/hostBundle";
import { bundleTestContext, testRsaKeyPem } from "../../support/hostBundle/bundle/bundleFixture";
import { secretSignature, secretSignatureKey } from "../../../tools/mockRuntime/secrets";
import { evaluateOne, resource, violations } from "./support";

const copyToRemoteType = "command:remote:CopyToRemote";
const ctx = bundleTestContext();

/** The real rendered files, as buildHostBundle assembles them. */
function renderedFiles(): BundleFile[] {
  return [...renderMailDaemonFiles(ctx), ...renderSystemFiles(ctx), ...ctx.config.dkim.selectors.map((s) => dkimKeyFile(s, testRsaKeyPem()))];
}

/** The packed bundle, with one rendered file edited first. */
function packed(edit?: { path: string; change: (content: string) => string }): Promise<string> {
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

let realBundle: string;
beforeAll(async () => {
  realBundle = await packed();
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
      const text = await packed(edit);
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
    const ssh = await packed({ path: "/etc/nftables.conf", change: (c) => c.replace(/^\t\tip saddr @ssh_sources_v4 tcp dport 22 accept.*$/m, "\t\ttcp dport 22 accept") });
    expect(await violations(hostBundleNftablesPorts, [upload(ssh)])).toEqual([expect.stringMatching(/accepts SSH \(tcp port 22\) from any source\. Fix: /)]);
    const ciphers = await packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_exclude_ciphers = .*$/m, "smtpd_tls_exclude_ciphers = aNULL") });
    expect(await violations(hostBundleTlsListeners, [upload(ciphers)], { forbiddenCipherClasses: ["aNULL", "eNULL"] })).toEqual([]);
    const medium = await packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtpd_tls_ciphers = high$/m, "smtpd_tls_ciphers = medium").replace(/^smtpd_tls_exclude_ciphers = .*$/m, "smtpd_tls_exclude_ciphers = MD5") });
    expect((await violations(hostBundleTlsListeners, [upload(medium)], { forbiddenCipherClasses: ["aNULL", "eNULL"] })).join("\n")).toMatch(/still offers aNULL, eNULL/);
    const override = await packed({ path: "/etc/postfix/master.cf", change: (c) => c.replace("  -o smtpd_tls_wrappermode=yes\n", "  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3\n") });
    expect(await violations(hostBundleTlsListeners, [upload(override)])).toEqual([
      expect.stringMatching(/^\/etc\/postfix\/master\.cf: the submissions service's -o smtpd_tls_mandatory_protocols=!SSLv2,!SSLv3 enables TLSv1, TLSv1\.1 .*Fix: /),
    ]);
    const dovecot = await packed({ path: "/etc/dovecot/dovecot.conf", change: (c) => c.replace("ssl_min_protocol = TLSv1.2", "ssl_min_protocol = TLSv1.1") });
    expect(await violations(hostBundleTlsListeners, [upload(dovecot)])).toEqual([expect.stringMatching(/^\/etc\/dovecot\/dovecot\.conf line \d+: ssl_min_protocol = TLSv1\.1 lets clients negotiate below TLSv1\.2 .*Fix: /)]);
    const nested = await packed({ path: "/etc/dovecot/dovecot.conf", change: (c) => c.replace("    ssl = yes\n", "    ssl = yes\n    ssl_min_protocol = TLSv1\n") });
    expect(await violations(hostBundleTlsListeners, [upload(nested)])).toEqual([
      expect.stringMatching(/^\/etc\/dovecot\/dovecot\.conf line \d+ \(in service imap-login > inet_listener imaps\): ssl_min_protocol = TLSv1 lets clients negotiate below TLSv1\.2/),
    ]);
    const wide = await packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^mynetworks = .*$/m, "mynetworks = 127.0.0.0/8 [::1]/128 10.0.0.0/8") });
    expect(await violations(hostBundleSmtpAuthAndRelay, [upload(wide)])).toEqual([expect.stringMatching(/mynetworks = .* trusts 10\.0\.0\.0\/8 beyond loopback\. Fix: /)]);
  });
});
