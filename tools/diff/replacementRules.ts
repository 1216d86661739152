/**
 * Which input changes replace a resource instead of updating it in place, for every resource type
 * the program declares, as each provider defines it. A replacement is a delete and a create: a new
 * droplet (new addresses, the queue and mailboxes gone), a new key, a record briefly missing.
 *
 * Bridged providers (DigitalOcean, Cloudflare, TLS) take their replacement semantics from the
 * Terraform provider they wrap: `ForceNew: true` (SDKv2) or a `RequiresReplace()` plan modifier
 * (plugin framework) on the attribute. @pulumi/command declares `replaceOnChanges` in its schema.
 * Our dynamic providers decide in their own diff(), which the offline diff calls.
 */

export interface ReplacementRule {
  /** Inputs (Pulumi's names) whose change replaces the resource. */
  readonly replaceOn: readonly string[];
  /** Inputs that replace only on some transitions, with the test of old and new value. */
  readonly replaceWhen?: Readonly<Record<string, { readonly test: (before: unknown, after: unknown) => boolean; readonly why: string }>>;
  /** In-place updates that still interrupt the service, and how. */
  readonly disruptiveUpdates?: Readonly<Record<string, string>>;
  /** What an in-place update does, where it is more than "the provider changes the setting". */
  readonly onUpdate?: string;
  /** Where this is written, in full. */
  readonly source: string;
  /** The same, short, for a reason on one line. */
  readonly cite: string;
}

/** A dynamic provider of this program: its diff() (and check()) decide, as the engine asks them. */
export interface DynamicProviderRule {
  /** Module (from the project root) and export of the provider object. */
  readonly module: string;
  readonly exportName: string;
  readonly source: string;
}

const digitalOceanDroplet = "digitalocean/terraform-provider-digitalocean v2.99 (upstream of @pulumi/digitalocean 4.80), digitalocean/droplet/resource_droplet.go";

export const replacementRules: Readonly<Record<string, ReplacementRule>> = {
  "digitalocean:index/droplet:Droplet": {
    replaceOn: ["image", "region", "sshKeys", "userData", "monitoring", "dropletAgent", "vpcUuid", "publicNetworking", "gpuPartitionMode"],
    replaceWhen: { ipv6: { test: (before, after) => before === true && after !== true, why: "IPv6 cannot be turned off on a running droplet" } },
    disruptiveUpdates: { size: "the droplet is powered off, resized and powered on again" },
    cite: "terraform-provider-digitalocean droplet schema",
    source: `${digitalOceanDroplet}: ForceNew on image, region, ssh_keys, user_data, monitoring, droplet_agent, vpc_uuid, public_networking, gpu_partition_mode; CustomizeDiff ForceNewIfChange(ipv6: true -> false); Update powers off to resize`,
  },
  "digitalocean:index/sshKey:SshKey": {
    replaceOn: ["publicKey"],
    cite: "terraform-provider-digitalocean ssh_key schema",
    source: "terraform-provider-digitalocean v2.99, digitalocean/sshkey/resource_ssh_key.go: ForceNew on public_key",
  },
  "digitalocean:index/tag:Tag": {
    replaceOn: ["name"],
    cite: "terraform-provider-digitalocean tag schema",
    source: "terraform-provider-digitalocean v2.99, digitalocean/tag/resource_tag.go: ForceNew on name",
  },
  "digitalocean:index/firewall:Firewall": {
    replaceOn: [],
    cite: "terraform-provider-digitalocean firewall schema",
    source: "terraform-provider-digitalocean v2.99, digitalocean/firewall/resource_firewall.go: no ForceNew attribute (rules and tags update in place)",
  },
  "cloudflare:index/dnsRecord:DnsRecord": {
    replaceOn: ["zoneId"],
    cite: "terraform-provider-cloudflare dns_record schema",
    source: "cloudflare/terraform-provider-cloudflare v5 (upstream of @pulumi/cloudflare 6.22), internal/services/dns_record/schema.go: RequiresReplace on zone_id only",
  },
  "cloudflare:index/zoneSetting:ZoneSetting": {
    replaceOn: ["zoneId", "settingId"],
    cite: "terraform-provider-cloudflare zone_setting schema",
    source: "cloudflare/terraform-provider-cloudflare v5, internal/services/zone_setting/schema.go: RequiresReplace on zone_id and setting_id",
  },
  "cloudflare:index/zoneDnssec:ZoneDnssec": {
    replaceOn: ["zoneId"],
    cite: "terraform-provider-cloudflare zone_dnssec schema",
    source: "cloudflare/terraform-provider-cloudflare v5, internal/services/zone_dnssec/schema.go: RequiresReplace on zone_id; status, dnssec_multi_signer and dnssec_presigned update in place",
  },
  "tls:index/privateKey:PrivateKey": {
    replaceOn: ["algorithm", "rsaBits", "ecdsaCurve"],
    cite: "terraform-provider-tls private_key schema",
    source: "hashicorp/terraform-provider-tls, internal/provider/resource_private_key.go: RequiresReplace on algorithm, rsa_bits, ecdsa_curve (Update is a no-op)",
  },
  "command:remote:Command": {
    replaceOn: ["triggers"],
    onUpdate: "runs its update command, or its create command again",
    cite: "pulumi-command 1.2.1 schema",
    source: "pulumi/pulumi-command v1.2.1, provider/cmd/pulumi-resource-command/schema.json (replaceOnChanges: triggers) and provider/pkg/provider/remote/commandController.go (Update runs update, else create)",
  },
  "command:remote:CopyToRemote": {
    replaceOn: ["triggers"],
    onUpdate: "copies the file again",
    cite: "pulumi-command 1.2.1 schema",
    source: "pulumi/pulumi-command v1.2.1, provider/cmd/pulumi-resource-command/schema.json (replaceOnChanges: triggers) and provider/pkg/provider/remote/copyController.go (Update copies when the asset or remotePath changed)",
  },
};

export const dynamicProviderRules: Readonly<Record<string, DynamicProviderRule>> = {
  "pulumi-nodejs:dynamic/certificate:AcmeCertificate": {
    module: "components/certificate/provider",
    exportName: "acmeCertificateProvider",
    source: "components/certificate/provider.ts: its check() and diff()",
  },
  "pulumi-nodejs:dynamic/certificate:AcmeAccount": {
    module: "components/certificate/acmeAccountProvider",
    exportName: "acmeAccountProvider",
    source: "components/certificate/acmeAccountProvider.ts: its check() and diff()",
  },
  "pulumi-nodejs:dynamic/host:HostKeyPin": {
    module: "components/host/hostKeyPinProvider",
    exportName: "hostKeyPinProvider",
    source: "components/host/hostKeyPinProvider.ts: its check() and diff()",
  },
  "pulumi-nodejs:dynamic/certificate:CertificateKeySet": {
    module: "components/certificate/certificateKeysProvider",
    exportName: "certificateKeySetProvider",
    source: "components/certificate/certificateKeysProvider.ts: its check() and diff()",
  },
};
