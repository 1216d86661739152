import { createHash, X509Certificate } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { mockCertificatePem, mockKeyMaterial } from "./mockKeyMaterial";
import { mockPrivateKey } from "./mockKeys";
import { mockAcmeAccount, mockCertificateKeySet, mockHostKeyPin, mockZoneDnssec } from "./trustChainMocks";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Deterministic droplet addresses from the documentation ranges (RFC 5737, RFC 3849): the same
 * resource name always gets the same address, and nothing routable ever appears in a plan.
 */
export function mockDropletAddresses(name: string): { ipv4: string; ipv6: string } {
  const d = digest(`droplet/${name}`);
  const host = 1 + (d.readUInt16BE(0) % 254);
  return {
    ipv4: `192.0.2.${host}`,
    ipv6: `2001:db8:${d.readUInt16BE(2).toString(16)}::${d.readUInt16BE(4).toString(16)}`,
  };
}

function sshFingerprintMd5(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
  return (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":");
}

type State = Record<string, unknown>;

/** Computed outputs per resource type; everything else echoes its inputs. */
const computedOutputs: Record<string, (inputs: State, name: string) => { id?: string; state: State }> = {
  "digitalocean:index/droplet:Droplet": (inputs, name) => {
    const { ipv4, ipv6 } = mockDropletAddresses(name);
    const id = String(100000000 + (digest(`id/${name}`).readUInt32BE(0) % 900000000));
    return {
      id,
      state: { ipv4Address: ipv4, ipv6Address: ipv6, status: "active", urn: `do:droplet:${id}`, locked: false, ...inputs },
    };
  },
  "digitalocean:index/sshKey:SshKey": (inputs, name) => ({
    id: String(digest(`sshkey/${name}`).readUInt32BE(0) % 90000000),
    state: { fingerprint: sshFingerprintMd5(String(inputs.publicKey ?? "")) },
  }),
  "digitalocean:index/tag:Tag": (inputs) => ({ id: String(inputs.name), state: {} }),
  "digitalocean:index/firewall:Firewall": (_inputs, name) => ({ id: uuidFrom(`firewall/${name}`), state: { status: "succeeded" } }),
  "tls:index/privateKey:PrivateKey": (inputs) => ({ state: { ...mockPrivateKey(inputs as { algorithm?: string; rsaBits?: number; ecdsaCurve?: string }) } }),
  "pulumi-nodejs:dynamic/certificate:AcmeCertificate": () => {
    const certificate = new X509Certificate(mockCertificatePem);
    return {
      id: certificate.serialNumber.toLowerCase(),
      state: {
        certificatePem: mockCertificatePem,
        chainPem: "",
        privateKeyPem: mockKeyMaterial["ecdsa-P256"],
        notBefore: new Date(certificate.validFrom).toISOString(),
        notAfter: new Date(certificate.validTo).toISOString(),
        serial: certificate.serialNumber.toLowerCase(),
      },
    };
  },
  "cloudflare:index/zoneSetting:ZoneSetting": (inputs) => ({ id: String(inputs.settingId), state: { editable: true } }),
  "pulumi-nodejs:dynamic/certificate:CertificateKeySet": mockCertificateKeySet,
  "pulumi-nodejs:dynamic/certificate:AcmeAccount": mockAcmeAccount,
  "pulumi-nodejs:dynamic/host:HostKeyPin": mockHostKeyPin,
  "cloudflare:index/zoneDnssec:ZoneDnssec": mockZoneDnssec,
};

function uuidFrom(text: string): string {
  const hex = digest(text).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Pulumi mocks that answer like the cloud would, deterministically: ids and addresses derive
 * from the resource's type and name, so two plans of one stack print the same thing.
 */
export const deterministicMocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs) {
    const computed = computedOutputs[args.type]?.(args.inputs as State, args.name);
    const id = computed?.id ?? args.id ?? digest(`${args.type}/${args.name}`).toString("hex").slice(0, 32);
    return { id, state: { ...args.inputs, ...(computed?.state ?? {}) } };
  },
  call(args: pulumi.runtime.MockCallArgs) {
    return args.inputs;
  },
};
