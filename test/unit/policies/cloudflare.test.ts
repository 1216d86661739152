import { describe, expect, it } from "vitest";
import { cloudflareZoneSettings } from "../../../baseline/tls";
import { zoneHttpsSettings, zoneMinTlsVersion } from "../../../policies/cloudflare";
import { evaluateOne, resource, violations, zoneId } from "./support";

const setting = (settingId: string, value: unknown) => resource("cloudflare:index/zoneSetting:ZoneSetting", `zone-${settingId}`, { zoneId, settingId, value });

describe("cloudflare-zone-min-tls-version", () => {
  it("passes the baseline's minimum and stricter, and ignores other settings", async () => {
    expect(await violations(zoneMinTlsVersion, [setting("min_tls_version", cloudflareZoneSettings.min_tls_version), setting("ssl", "flexible")])).toEqual([]);
    expect(await violations(zoneMinTlsVersion, [setting("min_tls_version", "1.3")])).toEqual([]);
  });

  it("flags TLS 1.0 and 1.1, and a value Cloudflare does not know", async () => {
    const found = await violations(zoneMinTlsVersion, [setting("min_tls_version", "1.0"), { ...setting("min_tls_version", "1.1"), urn: "urn:b", name: "b" }, { ...setting("min_tls_version", "TLSv1.2"), urn: "urn:c", name: "c" }]);
    expect(found).toEqual([
      `min_tls_version "1.0" lets clients connect with TLS 1.0. Fix: set "${cloudflareZoneSettings.min_tls_version}".`,
      `min_tls_version "1.1" lets clients connect with TLS 1.1. Fix: set "${cloudflareZoneSettings.min_tls_version}".`,
      `min_tls_version "TLSv1.2" is not one of 1.0, 1.1, 1.2, 1.3. Fix: set "${cloudflareZoneSettings.min_tls_version}".`,
    ]);
  });

  it("can require 1.3, but never allow less than the baseline", async () => {
    expect(await violations(zoneMinTlsVersion, [setting("min_tls_version", "1.2")], { minimumVersion: "1.3" })).toHaveLength(1);
    await expect(evaluateOne(zoneMinTlsVersion, [], { minimumVersion: "1.0" })).rejects.toThrow('minimumVersion: "1.0" is not one of "1.2", "1.3"');
  });

  it("at level remediate raises the setting, and what it leaves is judged", async () => {
    const weak = setting("min_tls_version", "1.0");
    const report = await evaluateOne(zoneMinTlsVersion, [weak, setting("tls_1_3", "on")], "remediate");
    expect(report.remediations).toEqual([{ policyName: "cloudflare-zone-min-tls-version", urn: weak.urn, changedProperties: ["value"] }]);
    expect(report.diagnostics).toEqual([]);
  });
});

describe("cloudflare-zone-https-settings", () => {
  it("passes the baseline's values", async () => {
    const settings = [setting("ssl", cloudflareZoneSettings.ssl), setting("always_use_https", cloudflareZoneSettings.always_use_https), setting("tls_1_3", cloudflareZoneSettings.tls_1_3)];
    expect(await violations(zoneHttpsSettings, settings)).toEqual([]);
  });

  it("flags weaker values, as an advisory", async () => {
    const report = await evaluateOne(zoneHttpsSettings, [setting("ssl", "flexible"), setting("always_use_https", "off")]);
    expect(report.diagnostics.map((d) => [d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["advisory", `ssl is "flexible", not "${cloudflareZoneSettings.ssl}". Fix: set it to "${cloudflareZoneSettings.ssl}".`],
      ["advisory", `always_use_https is "off", not "${cloudflareZoneSettings.always_use_https}". Fix: set it to "${cloudflareZoneSettings.always_use_https}".`],
    ]);
  });
});
