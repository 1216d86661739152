import { generateKeyPairSync } from "node:crypto";
import { parseTenantConfig } from "../../../../tenant/parseTenantConfig";
import { formatConfigProblems } from "../../../../tenant/tenantConfig";
import { tenantMtaStsPolicy } from "../../../../tenant/mtaStsPolicy";
import type { BundleFile } from "../../../../hostBundle/bundleFile";
import { hostRenderContext, type HostRenderContext } from "../../../../hostBundle/renderContext";
import { validRawConfig } from "../../tenant/tenantConfigFixture";

/** The example tenant through the real config loader, some keys replaced. */
export function bundleTestContext(overrides: Record<string, unknown> = {}): HostRenderContext {
  const result = parseTenantConfig({ ...validRawConfig(), ...overrides });
  if (!result.ok) throw new Error(formatConfigProblems(result.problems));
  return hostRenderContext(result.config, "0.1.0-test+bundle", tenantMtaStsPolicy(result.config));
}

/** A few hand-written files: enough to exercise the bundle machinery without the renderers. */
export function fixtureFiles(): BundleFile[] {
  return [
    { path: "/etc/postfix/main.cf", content: "smtpd_banner = $myhostname ESMTP\n", mode: 0o644, owner: "root", group: "root", service: "postfix" },
    { path: "/etc/nftables.conf", content: "#!/usr/sbin/nft -f\ntable inet fixture {}\n", mode: 0o755, owner: "root", group: "root", service: "nftables" },
    { path: "/etc/rspamd/dkim/mail.key", content: testRsaKeyPem(), mode: 0o600, owner: "_rspamd", group: "_rspamd", service: "rspamd", secret: true },
    { path: "/var/www/mta-sts/.well-known/mta-sts.txt", content: "version: STSv1\r\n", mode: 0o644, owner: "root", group: "root", service: "nginx" },
  ];
}

let rsaKey: string | undefined;
/** One RSA 2048 key per test process: generating one takes a good part of a second. */
export function testRsaKeyPem(): string {
  rsaKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return rsaKey;
}
