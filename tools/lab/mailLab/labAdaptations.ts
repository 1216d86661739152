/**
 * The one change the lab makes to the planned bundle to stand in for the internet (weakenings
 * aside), said out loud in the run's header. The lab's addresses come from documentation and
 * unique-local ranges, whose reverse zones unbound answers itself with NXDOMAIN (RFC 6303 default
 * local zones); a droplet's resolver never meets them, but the lab host's would, and Postfix
 * refuses a client whose reverse name it cannot find. So the host's unbound lets exactly the lab's
 * reverse zones through to the lab root, which holds their PTR records.
 */

import type { HostBundle } from "../../../hostBundle/format/hostBundle";
import type { LabSubnet } from "../net/addressPlan";
import { bundleFile, withFileContents } from "./labBundle";
import { reverseName } from "./reverseDns";

const UNBOUND_CONF = "/etc/unbound/unbound.conf";

/** The default local zones unbound would answer for the lab's addresses: the v4 /24's and the ULA /8's. */
export function labReverseZones(subnet: LabSubnet): string[] {
  const v4 = reverseName(subnet.host.v4).split(".").slice(1).join(".");
  const v6 = reverseName(subnet.host.v6).split(".").slice(-5).join(".");
  return [v4, v6];
}

/** unbound's configuration lines that pass the lab's reverse zones on (for the lab's own resolver too). */
export function reverseZoneLines(subnet: LabSubnet): string[] {
  return labReverseZones(subnet).map((zone) => `    local-zone: "${zone}" nodefault`);
}

export function adaptBundleToLab(bundle: HostBundle, subnet: LabSubnet): { bundle: HostBundle; changes: string[] } {
  const conf = bundleFile(bundle, UNBOUND_CONF).content;
  if (!/^server:$/m.test(conf)) throw new Error(`the planned ${UNBOUND_CONF} has no "server:" clause for the lab's reverse zones`);
  const lines = ["    # The mail lab only: its addresses' reverse zones come from the lab root.", ...reverseZoneLines(subnet)];
  return {
    bundle: withFileContents(bundle, new Map([[UNBOUND_CONF, conf.replace(/^server:$/m, `server:\n${lines.join("\n")}`)]])),
    changes: [`${UNBOUND_CONF}: local-zone nodefault for ${labReverseZones(subnet).join(" and ")} (the lab's address ranges, which unbound would answer itself)`],
  };
}
