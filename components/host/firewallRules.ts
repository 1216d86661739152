import type * as digitalocean from "@pulumi/digitalocean";
import { allowedOutboundPorts, anyDestinationCidrs, anySourceCidrs, publicInboundPorts, sshPort } from "../../baseline/network";

type InboundRule = digitalocean.types.input.FirewallInboundRule;
type OutboundRule = digitalocean.types.input.FirewallOutboundRule;

/** Inbound rules of the cloud firewall: the public mail ports from anywhere, SSH from the listed CIDRs only. */
export function firewallInboundRules(sshSourceCidrs: readonly string[]): InboundRule[] {
  const publicRules: InboundRule[] = publicInboundPorts.map((rule) => ({
    protocol: rule.protocol,
    portRange: String(rule.port),
    sourceAddresses: [...anySourceCidrs],
  }));
  return [
    ...publicRules,
    { protocol: sshPort.protocol, portRange: String(sshPort.port), sourceAddresses: [...sshSourceCidrs] },
  ];
}

/** Outbound rules: only what the host itself needs, to any destination. */
export function firewallOutboundRules(): OutboundRule[] {
  return allowedOutboundPorts.map((rule) => ({
    protocol: rule.protocol,
    portRange: String(rule.port),
    destinationAddresses: [...anyDestinationCidrs],
  }));
}
