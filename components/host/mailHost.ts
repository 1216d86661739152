import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { SshPublicKey } from "../../baseline/sshPublicKey";
import { fleetTag, mailHostname, tenantTag } from "../../tenant/names";
import { firewallInboundRules, firewallOutboundRules } from "./firewallRules";

export interface MailHostArgs {
  readonly domain: string;
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly adminSshPublicKeys: readonly SshPublicKey[];
  /** Admin and deploy CIDRs: the only sources that reach SSH. */
  readonly sshSourceCidrs: readonly string[];
  readonly extraTags: readonly string[];
  /** First-boot cloud-init; never carries a secret. Read at creation only. */
  readonly userData?: pulumi.Input<string>;
}

/** The droplet, its SSH keys and the cloud firewall that covers it by tag. */
export class MailHost extends pulumi.ComponentResource {
  readonly droplet: digitalocean.Droplet;
  readonly firewall: digitalocean.Firewall;
  readonly ipv4Address: pulumi.Output<string>;
  readonly ipv6Address: pulumi.Output<string>;

  constructor(name: string, args: MailHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:MailHost", name, {}, opts);

    const hostTag = tenantTag(args.domain);
    const tag = new digitalocean.Tag(`${name}-tag`, { name: hostTag }, { parent: this });

    // DigitalOcean gives these keys to root, once, at creation; root never logs in (PermitRootLogin
    // no) and sshd reads only the bundle's key files. They stay because a droplet created without
    // SSH keys gets a root password, which DigitalOcean emails out.
    const sshKeys = args.adminSshPublicKeys.map(
      (key, i) =>
        new digitalocean.SshKey(`${name}-ssh-key-${i}`, {
          name: `${args.domain} admin ${i}${key.comment ? ` (${key.comment})` : ""}`,
          publicKey: key.canonical,
        }, { parent: this }),
    );

    this.droplet = new digitalocean.Droplet(`${name}-droplet`, {
      name: mailHostname(args.domain),
      image: args.image,
      region: args.region,
      size: args.size,
      ipv6: true,
      monitoring: true,
      sshKeys: sshKeys.map((k) => k.fingerprint),
      // The literal tag name, not tag.name: the firewall link must be visible at preview time.
      tags: [hostTag, fleetTag, ...args.extraTags],
      userData: args.userData,
      gracefulShutdown: true,
    }, {
      parent: this,
      dependsOn: [tag],
      // A mail server's address carries its reputation, its queue and its mailboxes: both inputs
      // replace the droplet upstream, and both matter at creation only. Admin keys are rotated by
      // the host bundle, which writes the only keys sshd reads; config changes go in place.
      ignoreChanges: ["userData", "sshKeys"],
    });

    this.firewall = new digitalocean.Firewall(`${name}-firewall`, {
      name: mailHostname(args.domain).replace(/[^A-Za-z0-9.-]/g, "-"),
      tags: [hostTag],
      inboundRules: firewallInboundRules(args.sshSourceCidrs),
      outboundRules: firewallOutboundRules(),
    }, { parent: this, dependsOn: [tag] });

    this.ipv4Address = this.droplet.ipv4Address;
    this.ipv6Address = this.droplet.ipv6Address;
    this.registerOutputs({
      dropletId: this.droplet.id,
      firewallId: this.firewall.id,
      ipv4Address: this.ipv4Address,
      ipv6Address: this.ipv6Address,
    });
  }
}
