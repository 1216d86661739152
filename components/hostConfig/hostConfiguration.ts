import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { applyCommand, prepareUploadCommand, uploadPath } from "../../hostBundle/apply/remoteCommands";
import { buildHostBundle, type HostBundleSecrets } from "../../hostBundle/buildHostBundle";
import type { HostBundle } from "../../hostBundle/format/hostBundle";
import { packHostBundle } from "../../hostBundle/format/hostBundleArchive";
import type { TlsCertificatePems } from "../../hostBundle/render/tlsFiles";
import type { HostRenderContext } from "../../hostBundle/renderContext";

/** How Pulumi reaches the host: the droplet's address, the sudo-capable admin user, its SSH private key, the host's key. */
export interface HostConnectionArgs {
  readonly host: pulumi.Input<string>;
  readonly user: pulumi.Input<string>;
  /** Kept secret whether or not the caller marked it. */
  readonly privateKey: pulumi.Input<string>;
  /**
   * The host's pinned SSH key (HostKeyPin's hostKey, `ssh-ed25519 <base64>`): without it the command
   * provider accepts any host key, so a man in the middle would receive the bundle and its keys.
   */
  readonly hostKey: pulumi.Input<string>;
}

export interface HostConfigurationArgs {
  readonly connection: HostConnectionArgs;
  /** The bundle to apply; hostBundleOutput builds it from the render context and the secret keys. */
  readonly bundle: pulumi.Input<HostBundle>;
}

/** The secret inputs of a bundle as Pulumi inputs (DkimKeys' privateKeyPems, the certificate's PEMs). */
export interface HostBundleSecretInputs {
  readonly dkimPrivateKeyPems: Readonly<Record<string, pulumi.Input<string>>>;
  readonly tlsCertificate?: pulumi.Input<TlsCertificatePems>;
}

/**
 * Builds the bundle inside an apply over its secret inputs, so the result (private keys inside)
 * is a secret Output however the inputs were marked. The context is an input too: it carries
 * Pulumi's deploy public key, known once the deploy key exists.
 */
export function hostBundleOutput(ctx: pulumi.Input<HostRenderContext>, secrets: HostBundleSecretInputs): pulumi.Output<HostBundle> {
  const resolved: pulumi.Output<HostBundleSecrets> = pulumi.all([pulumi.output(secrets.dkimPrivateKeyPems), pulumi.output(secrets.tlsCertificate)]).apply(
    ([dkimPrivateKeyPems, tlsCertificate]) => ({ dkimPrivateKeyPems, ...(tlsCertificate ? { tlsCertificate } : {}) }),
  );
  return pulumi.secret(pulumi.all([pulumi.output(ctx), resolved]).apply(([c, s]) => buildHostBundle(c as HostRenderContext, s)));
}

/**
 * Puts a host bundle on a running host and applies it: a private upload directory, the bundle as
 * one file (CopyToRemote), and the apply script run as root (Command). The apply's trigger is the
 * bundle hash, so a config change reconfigures the host in place (never a new droplet), and the
 * same bundle never runs twice. A new host address uploads and applies again.
 */
export class HostConfiguration extends pulumi.ComponentResource {
  /** sha256 of the bundle's manifest: what the host runs once the apply succeeded. */
  readonly bundleHash: pulumi.Output<string>;
  /** What the apply script printed: files changed, services reloaded, or why it was rejected. */
  readonly applyOutput: pulumi.Output<string>;

  constructor(name: string, args: HostConfigurationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("penguinmails:mail:HostConfiguration", name, {}, opts);
    const bundle = pulumi.secret(args.bundle);
    // The hash covers file hashes, never file content, so it can be plain: previews show it change.
    this.bundleHash = pulumi.unsecret(bundle.apply((b) => b.hash));
    const connection = {
      host: args.connection.host,
      user: args.connection.user,
      privateKey: pulumi.secret(args.connection.privateKey),
      hostKey: args.connection.hostKey,
    };

    // Once per host; host-bundle.sh keeps the directory private on every apply after that.
    const uploadDir = new command.remote.Command(`${name}-upload-dir`, {
      connection,
      create: prepareUploadCommand,
      triggers: [args.connection.host],
    }, { parent: this });

    // Packed inside an apply of the secret bundle: the asset, private keys and all, stays secret
    // in the state and in previews (CopyToRemote keeps its inputs as its outputs).
    const upload = new command.remote.CopyToRemote(`${name}-upload`, {
      connection,
      source: pulumi.secret(bundle.apply(async (b) => new pulumi.asset.StringAsset(await packHostBundle(b)))),
      remotePath: uploadPath,
      // CopyToRemote copies again only when the asset changes; a replaced droplet needs it too.
      triggers: [args.connection.host],
    }, { parent: this, dependsOn: [uploadDir] });

    const apply = new command.remote.Command(`${name}-apply`, {
      connection,
      create: this.bundleHash.apply(applyCommand),
      triggers: [this.bundleHash],
    }, { parent: this, dependsOn: [upload] });

    this.applyOutput = apply.stdout;
    this.registerOutputs({ bundleHash: this.bundleHash, applyOutput: this.applyOutput });
  }
}
