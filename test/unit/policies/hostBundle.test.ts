// The host-bundle policies judge the files of a real packed bundle, as CopyToRemote uploads it.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { hostBundleBanActionQuoting, hostBundleNftablesPorts, hostBundleResolverPinned, hostBundlePolicies, hostBundleSmtpAuthAndRelay, hostBundleTlsListeners } from "../../../policies/hostBundle";
import { bundleTestContext } from "../../support/hostBundle/bundle/bundleFixture";
import { bundleUploadInputs, packedBundle, type BundleEdit } from "../../support/hostBundle/bundle/packedBundle";
import { evaluateOne, resource, violations } from "./support";

const copyToRemoteType = "command:remote:CopyToRemote";
const ctx = bundleTestContext();

/** The packed bundle, with one rendered file edited first. */
function packed(...edits: BundleEdit[]): Promise<string> {
  return packedBundle(ctx, ...edits);
}

/** A CopyToRemote as the component declares it. */
function upload(text: string, name = "host-upload"): ReturnType<typeof resource> {
  return resource(copyToRemoteType, name, bundleUploadInputs(text));
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

  describe("host-bundle-ban-action-quoting", () => {
    const action = "/etc/fail2ban/action.d/penguinmails-ban-mail.local";
    const jail = "/etc/fail2ban/jail.d/penguinmails.local";

    it("flags a static tag in double quotes or unquoted, and leaves ticket tags to fail2ban's escaping", async () => {
      const doubled = await packed({ path: action, change: (c) => c.replace("-- '<dest>'", '-- "<dest>"') });
      expect(await violations(hostBundleBanActionQuoting, [upload(doubled)])).toEqual([
        expect.stringMatching(/^\/etc\/fail2ban\/action\.d\/penguinmails-ban-mail\.local \[Definition\] actionban: <dest> is in double quotes, and fail2ban pastes it .*Fix: single-quote it \('<dest>'\)/),
      ]);
      const bare = await packed({ path: action, change: (c) => c.replace("-f '<sender>'", "-f <sender>") });
      expect(await violations(hostBundleBanActionQuoting, [upload(bare)])).toEqual([expect.stringMatching(/actionban: <sender> is unquoted, /)]);
      const ticket = await packed({ path: action, change: (c) => c.replace('"<failures>"', "<failures>") });
      expect(await violations(hostBundleBanActionQuoting, [upload(ticket)])).toEqual([]);
    });

    it("flags the action this project shipped before the audit (Debian's <mailcmd>, tags in a double-quoted printf)", async () => {
      const before = [
        "[INCLUDES]",
        "before = sendmail-common.conf",
        "[Definition]",
        "actionstart =",
        'actionban = ( printf %%b "Subject: [Fail2Ban] <name>: banned <ip> on <fq-hostname>',
        "            To: <dest>\\n\";",
        "            printf '%%s\\n' \"<matches>\" ) | <mailcmd>",
        "[Init]",
        "dest = root",
        "",
      ].join("\n");
      const text = await packed({ path: action, change: () => before });
      const found = await violations(hostBundleBanActionQuoting, [upload(text)]);
      expect(found.map((m) => /: (<[^>]+>) is/.exec(m)?.[1])).toEqual(["<name>", "<fq-hostname>", "<dest>", "<mailcmd>"]);
    });

    it("flags a jail value that would break the action's quoting", async () => {
      const quote = await packed({ path: jail, change: (c) => c.replace(/^destemail = .*$/m, "destemail = x'$(touch /tmp/x)'@tenant-one.example") });
      expect(await violations(hostBundleBanActionQuoting, [upload(quote)])).toEqual([
        expect.stringMatching(/^\/etc\/fail2ban\/jail\.d\/penguinmails\.local \[DEFAULT\] destemail = .* has whitespace/),
        expect.stringMatching(/\[DEFAULT\] action penguinmails-ban-mail\[dest\] = .* has whitespace/),
      ]);
      const percent = await packed({ path: jail, change: (c) => c.replace(/^sender = .*$/m, "sender = a%b@tenant-one.example") });
      expect(await violations(hostBundleBanActionQuoting, [upload(percent)])).toEqual([
        expect.stringMatching(/\[DEFAULT\] sender = "a%b@tenant-one\.example" has "%", which no quoting in the ban action survives\. Fix: /),
        expect.stringMatching(/\[DEFAULT\] action penguinmails-ban-mail\[sender\] = "a%b@tenant-one\.example" has "%"/),
      ]);
    });
  });

  describe("host-bundle-resolver-pinned", () => {
    it("flags a resolv.conf that names the provider's resolver, or drops trust-ad", async () => {
      const foreign = await packed({ path: "/etc/resolv.conf", change: (c) => c.replace(/^nameserver .*$/m, "nameserver 67.207.67.2\nnameserver 127.0.0.1") });
      expect(await violations(hostBundleResolverPinned, [upload(foreign)])).toEqual([
        expect.stringMatching(/^\/etc\/resolv\.conf: nameserver 67\.207\.67\.2 is not the local validating unbound \(127\.0\.0\.1\): Postfix \(smtp_tls_security_level = dane\) believes the AD bit/),
      ]);
      const noTrustAd = await packed({ path: "/etc/resolv.conf", change: (c) => c.replace("options edns0 trust-ad", "options edns0") });
      expect(await violations(hostBundleResolverPinned, [upload(noTrustAd)])).toEqual([expect.stringMatching(/has no "options trust-ad": glibc clears the AD bit/)]);
    });

    it("flags a resolv.conf without a nameserver and an unbound that does not validate", async () => {
      const unpinned = await packed(
        { path: "/etc/resolv.conf", change: () => "# not ours\n" },
        { path: "/etc/unbound/unbound.conf", change: (c) => c.replace(/^\s*auto-trust-anchor-file: .*$/m, "    val-permissive-mode: yes") },
      );
      expect((await violations(hostBundleResolverPinned, [upload(unpinned)])).map((m) => m.slice(0, 60))).toEqual([
        expect.stringContaining("no trust anchor"),
        expect.stringContaining("val-permissive-mode: yes"),
        expect.stringContaining("/etc/resolv.conf names no nameserver"),
        expect.stringContaining('/etc/resolv.conf has no "options trust-ad"'),
      ]);
    });

    it("does not apply when Postfix does not use DANE", async () => {
      const opportunistic = await packed({ path: "/etc/postfix/main.cf", change: (c) => c.replace(/^smtp_dns_support_level = dnssec$/m, "smtp_dns_support_level = enabled").replace(/^smtp_tls_security_level = dane$/m, "smtp_tls_security_level = may") }, { path: "/etc/resolv.conf", change: (c) => c.replace(/^nameserver .*$/m, "nameserver 67.207.67.2") });
      expect(await violations(hostBundleResolverPinned, [upload(opportunistic)])).toEqual([]);
    });
  });

  it("flag an SSH source set that opens the internet in pieces or through an IPv4 translation range", async () => {
    const halves = await packed({ path: "/etc/nftables.conf", change: (c) => c.replace(/(set ssh_sources_v4 \{[\s\S]*?elements = \{)[^}]*\}/, "$1 0.0.0.0/1, 128.0.0.0/1 }") });
    expect(await violations(hostBundleNftablesPorts, [upload(halves)])).toEqual([
      expect.stringMatching(/^\/etc\/nftables\.conf: SSH is open to 4294967296 IPv4 addresses in all, more than a \/16\. Fix: /),
    ]);
    const mapped = await packed({ path: "/etc/nftables.conf", change: (c) => c.replace(/(set ssh_sources_v6 \{[\s\S]*?elements = \{)[^}]*\}/, "$1 ::ffff:0:0/96 }") });
    expect(await violations(hostBundleNftablesPorts, [upload(mapped)])).toEqual([
      expect.stringMatching(/^\/etc\/nftables\.conf line \d+ \(chain input\): SSH source ::ffff:0:0\/96 overlaps IPv4-mapped addresses/),
    ]);
  });

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
